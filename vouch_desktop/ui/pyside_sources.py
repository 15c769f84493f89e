"""PySide6 reads the whole source of every module imported after it, and Python keeps all of it.

PySide6's import hook asks of each newly imported module whether it uses PySide6 (for its
``__feature__`` switches: snake_case, true_property), by searching the module's source for "PySide6"
with ``inspect.getsource``, which reads through ``linecache``, and linecache keeps every line of every
file it read for good: ~6.5 MB of strings in the idle app (the modules imported after Qt: asyncio, the
app's own...), and more once botocore is loaded. Clearing linecache afterwards does not give the memory
back, as the lines sit between the modules' own objects. So the same question is answered here by
reading the file without caching it: the same answer (the source contains "PySide6"; a module without
a .py source does not), no memory kept. Left as it is when PySide6 no longer has that hook.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from types import ModuleType

import PySide6.QtCore  # noqa: F401  (installs the hook and its module, shibokensupport.feature)

log = logging.getLogger(__name__)
pyside_check: Callable[[ModuleType], bool] | None = None  # PySide6's own, once replaced


def uses_pyside(module: ModuleType) -> bool:
    """Whether the module's source mentions PySide6, as PySide6's own check decides it."""
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or not path.endswith(".py"):
        return False  # built in, an extension, or only compiled (frozen): inspect.getsource finds no source either
    try:
        with open(path, "rb") as source:
            return b"PySide6" in source.read()
    except OSError:
        return False


def read_sources_without_keeping_them() -> bool:
    """Point PySide6's check at ``uses_pyside``; False when this PySide6 has no such check."""
    feature = sys.modules.get("shibokensupport.feature")
    if feature is None or not callable(getattr(feature, "_mod_uses_pyside", None)):
        log.debug("PySide6 has no source check to replace")
        return False
    global pyside_check
    if pyside_check is None:
        pyside_check = feature._mod_uses_pyside  # kept for the tests, which compare the two
    feature._mod_uses_pyside = uses_pyside  # type: ignore[attr-defined]
    return True
