"""Finding the files in resources/ whether installed, run from a source checkout, or frozen."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path


def resource(*parts: str) -> Traversable:
    try:
        # installed (wheel or editable): resources/ is the package vouch_desktop.resources
        root: Traversable = resources.files("vouch_desktop.resources")
    except ModuleNotFoundError:
        # a plain source checkout on sys.path, or a frozen bundle that keeps the folder beside the package
        root = Path(__file__).resolve().parents[3] / "resources"
    return root.joinpath(*parts)
