"""Saving where the app cannot write shows the error where the user acted: in the settings window, the
profile dialog and the import box, which stay open; nothing changes in memory or on disk.

The write is refused at the one place the store writes files (``atomic_write_text``) with the OSError a
read-only folder gives: as root (CI) a real read-only folder does not refuse anything in this process.
The same save into a real read-only folder is run where modes apply by tests/damage/permission_run.py
(``save_into_a_read_only_folder``)."""

from __future__ import annotations

import errno

import pytest
import tomli_w

from vouch_desktop.core.connect.terminals import registry
from vouch_desktop.core.storage import store as store_module
from vouch_desktop.core.storage.profiles import InstanceProfile, ProfileBook
from vouch_desktop.core.storage.settings import SettingsStore
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.ui.windows.profile_dialogs import InstanceProfileDialog
from vouch_desktop.ui.windows.profiles_window import ProfilesWindow
from vouch_desktop.ui.windows.settings_window import SettingsWindow


@pytest.fixture
def paths(tmp_path):
    return AppPaths.under(tmp_path).ensure()


@pytest.fixture
def read_only(monkeypatch):
    def refuse(path, *_args, **_kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    def apply() -> None:
        monkeypatch.setattr(store_module, "atomic_write_text", refuse)

    return apply


def test_settings_window_shows_a_failed_save_and_stays_open(qtbot, paths, read_only):
    store = SettingsStore(paths)
    settings, _ = store.load()
    read_only()
    window = SettingsWindow(settings, profiles=["vouch", "work"], terminals=registry("linux"), save=store.save,
                            test_terminal=lambda s: None)
    qtbot.addWidget(window)
    window.show()
    window.aws_profile.setCurrentText("work")
    window.try_save()
    assert window.isVisible() and window.result() == 0  # not accepted: the user's input is still there
    assert window.fields.general.isVisible()
    text = window.fields.general.text()
    assert str(paths.settings_file) in text and "Permission denied" in text and "writable" in text
    assert window.aws_profile.currentText() == "work" and not paths.settings_file.exists()


def test_profile_dialog_shows_a_failed_save_and_the_book_is_unchanged(qtbot, paths, read_only):
    book = ProfileBook(paths)
    book.load()
    book.add(InstanceProfile("web", "i-0123456789abcdef0", "eu-west-1"))
    saved = paths.profiles_file.read_bytes()
    read_only()
    dialog = InstanceProfileDialog(InstanceProfile("", "", "eu-west-1"), ["eu-west-1"], book.add, title="New")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.name.setText("api")
    dialog.target.setText("i-0fedcba9876543210")
    dialog.try_save()
    assert dialog.isVisible() and dialog.fields.general.isVisible()
    assert str(paths.profiles_file) in dialog.fields.general.text()
    assert [p.name for p in book.instances] == ["web"]  # undone: what the app shows is what the file holds
    assert paths.profiles_file.read_bytes() == saved


def test_import_box_shows_a_failed_save(qtbot, paths, read_only, tmp_path):
    book = ProfileBook(paths)
    book.load()
    shared = tmp_path / "team.toml"
    shared.write_text(tomli_w.dumps({"instance": [{"name": "web", "target": "i-0123456789abcdef0",
                                                   "region": "eu-west-1"}]}))
    window = ProfilesWindow(book, lambda p: None, lambda p: None)
    qtbot.addWidget(window)
    box = window.import_from(shared)
    read_only()
    next(b for b in box.buttons() if b.text() == "Import, keep mine").click()
    errors = [w for w in window.findChildren(type(box)) if w is not box and w.isVisible()]
    assert errors and str(paths.profiles_file) in errors[-1].text()
    assert book.instances == []


def test_import_box_of_a_file_with_problems_offers_no_import(qtbot, paths, tmp_path):
    book = ProfileBook(paths)
    book.load()
    shared = tmp_path / "team.toml"
    shared.write_text(tomli_w.dumps({"instance": [{"name": "web", "target": "i-0123456789abcdef0",
                                                   "region": "eu-west-1", "colour": "red"}]}))
    window = ProfilesWindow(book, lambda p: None, lambda p: None)
    qtbot.addWidget(window)
    box = window.import_from(shared)
    assert "unknown field 'colour'" in box.text() and "nothing will be imported" in box.text()
    assert not [b for b in box.buttons() if b.text().startswith("Import")]
