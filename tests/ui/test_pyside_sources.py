"""PySide6's question "does this module use PySide6?" answered without keeping every module's source in
memory (ui/pyside_sources.py): the same answers as PySide6's own check, and nothing left in linecache."""

from __future__ import annotations

import linecache
import sys

import vouch_desktop.ui  # noqa: F401  (replaces the check, as the app does)
import vouch_desktop.ui.tray  # noqa: F401  (a module that uses PySide6)
from vouch_desktop.ui import pyside_sources


def test_the_check_is_replaced_and_agrees_with_pyside6_on_every_loaded_module():
    feature = sys.modules["shibokensupport.feature"]
    assert feature._mod_uses_pyside is pyside_sources.uses_pyside
    assert pyside_sources.pyside_check is not None
    modules = [m for m in list(sys.modules.values()) if m is not None]
    assert len(modules) > 300  # the stdlib, PySide6 and its support modules (no source), the app, pytest
    differ = [m.__name__ for m in modules if pyside_sources.pyside_check(m) != pyside_sources.uses_pyside(m)]
    assert differ == []
    assert pyside_sources.uses_pyside(sys.modules["vouch_desktop.ui.tray"]) is True
    assert pyside_sources.uses_pyside(sys.modules["vouch_desktop.core.errors"]) is False
    assert pyside_sources.uses_pyside(sys) is False  # built in


def test_a_module_imported_now_is_judged_without_its_source_kept(tmp_path, monkeypatch):
    (tmp_path / "uses_qt_here.py").write_text("# mentions PySide6 in a comment: PySide6 counts that too\nX = 1\n")
    (tmp_path / "plain_module_here.py").write_text("Y = 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    linecache.clearcache()
    import plain_module_here  # noqa: F401  (an import statement: PySide6's hook sits in __import__)
    import uses_qt_here  # noqa: F401
    feature_dict = sys.modules["shibokensupport.feature"].pyside_feature_dict
    assert feature_dict["uses_qt_here"] == 0  # "uses PySide": its __feature__ switches apply
    assert feature_dict["plain_module_here"] == -1  # "ignore this module"
    assert not [name for name in linecache.cache if "_here.py" in name]


def test_a_pyside6_whose_check_is_another_function_is_left_alone(monkeypatch):
    """A later PySide6 may change the check (other arguments) or drop it: then nothing is replaced."""
    feature = sys.modules["shibokensupport.feature"]

    def other_check(module, source_hint):  # a changed signature
        return False

    monkeypatch.setattr(feature, "_mod_uses_pyside", other_check)
    assert pyside_sources.read_sources_without_keeping_them() is False
    assert feature._mod_uses_pyside is other_check
    assert pyside_sources.takes_one_module(None) is False
    with monkeypatch.context() as without:  # no feature module at all (the hook keeps its own reference)
        without.delitem(sys.modules, "shibokensupport.feature")
        assert pyside_sources.read_sources_without_keeping_them() is False
    monkeypatch.setattr(feature, "_mod_uses_pyside", pyside_sources.pyside_check)
    assert pyside_sources.read_sources_without_keeping_them() is True  # the one it was written for
    assert feature._mod_uses_pyside is pyside_sources.uses_pyside
