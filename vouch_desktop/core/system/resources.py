"""Finding the files in resources/ whether installed, run from a source checkout, or frozen.

A plain path from where the package vouch_desktop.resources is, not importlib.resources: that machinery
(with the zipfile, tempfile and compression modules it imports) costs an idle tray icon ~1 MB, and the
resources are always real files here (a wheel is installed unpacked; the frozen app keeps the folder
beside the code).
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path


def resource(*parts: str) -> Path:
    try:
        # installed (wheel or editable): resources/ is the package vouch_desktop.resources
        spec = find_spec("vouch_desktop.resources")
    except ModuleNotFoundError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        root = Path(list(spec.submodule_search_locations)[0])
    else:  # a plain source checkout on sys.path, or a frozen bundle that keeps the folder beside the package
        root = Path(__file__).resolve().parents[3] / "resources"
    return root.joinpath(*parts)
