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
    except (OSError, ValueError):
        return False


def takes_one_module(check: object) -> bool:
    """Whether ``check`` looks like the function this replaces: ``_mod_uses_pyside(module)`` (PySide6 6.11,
    as pinned in pyproject.toml), called by PySide6's import hook (``feature_imported(module)``) for each new
    module."""
    code = getattr(check, "__code__", None)
    return callable(check) and code is not None and code.co_argcount == 1 and code.co_varnames[:1] == ("module",)


def read_sources_without_keeping_them() -> bool:
    """Point PySide6's check at ``uses_pyside``; False when this PySide6 has no such check."""
    feature = sys.modules.get("shibokensupport.feature")
    check = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or (check is not uses_pyside and not takes_one_module(check)):
        log.debug("PySide6 has no source check to replace, or not the one this was written for")
        return False
    global pyside_check
    if pyside_check is None:
        pyside_check = check  # kept for the tests, which compare the two
    feature._mod_uses_pyside = uses_pyside  # type: ignore[attr-defined]
    return True
