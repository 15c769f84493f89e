"""Keyboard paths, typed with QTest as a user types them: Enter edits in Profiles and the selection
follows the edited profile (renamed too), Delete acts on the selection only, Esc and Ctrl+W close
every window, Enter submits the login again after a wrong PIN."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

from tests.ui.conftest import until
from tests.ui.every_window import every_window
from vouch_desktop.core.storage.profiles import InstanceProfile, ProfileBook, TunnelProfile
from vouch_desktop.core.storage.settings import Settings
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.ui.windows.ask import Keeper
from vouch_desktop.ui.windows.profile_dialogs import InstanceProfileDialog
from vouch_desktop.ui.windows.profile_windows import ProfileWindows
from vouch_desktop.ui.windows.profiles_window import ProfileList

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def book(tmp_path):
    book = ProfileBook(AppPaths.under(tmp_path).ensure())
    for name in ("alpha", "beta", "gamma"):
        book.add(InstanceProfile(name, "i-0123456789abcdef0", "eu-west-1"))
    book.add(TunnelProfile("orders", "Name=bastion-*", 5432, "eu-west-1", "orders.example.com"))
    return book


@pytest.fixture
def profile_windows(qtbot, book):
    service = SimpleNamespace(profiles=book, settings=SimpleNamespace(current=Settings(regions=["eu-west-1"])))
    keeper = Keeper()
    windows = ProfileWindows(service, tasks=None, keeper=keeper)  # type: ignore[arg-type]
    windows.show_profiles()
    assert windows.window is not None
    qtbot.addWidget(windows.window)
    qtbot.waitExposed(windows.window)
    windows.window.activateWindow()  # keys go where the focus is: only in the active window
    qtbot.waitActive(windows.window)
    yield windows, keeper
    keeper.close_all()


def names(profiles: ProfileList) -> list[str]:
    return [profiles.list.item(i).text().split(" — ")[0] for i in range(profiles.list.count())]


def selected(profiles: ProfileList) -> list[str]:
    return [item.text().split(" — ")[0] for item in profiles.list.selectedItems()]


def open_dialog(keeper: Keeper) -> InstanceProfileDialog:
    dialogs = [w for w in keeper.open_windows if isinstance(w, InstanceProfileDialog)]
    assert len(dialogs) == 1
    return dialogs[0]


def test_enter_edits_a_rename_keeps_it_selected_and_delete_removes_that_one(qtbot, profile_windows, book):
    windows, keeper = profile_windows
    profiles = windows.window.instances
    profiles.list.setFocus()
    qtbot.waitUntil(profiles.list.hasFocus)
    assert selected(profiles) == []  # the focus frame is on the first row; nothing is chosen yet
    qtbot.keyClick(profiles.list, Qt.Key.Key_Down)
    assert selected(profiles) == ["beta"]
    qtbot.keyClick(profiles.list, Qt.Key.Key_Return)
    dialog = open_dialog(keeper)
    qtbot.waitUntil(dialog.isActiveWindow)  # the window the user types into now
    assert dialog.name.text() == "beta" and dialog.windowTitle() == "Edit instance profile — Vouch Desktop"
    dialog.name.selectAll()
    qtbot.keyClicks(dialog.name, "beta-renamed")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)  # Save is the default button
    assert not dialog.isVisible()
    assert names(profiles) == ["alpha", "beta-renamed", "gamma"]
    assert selected(profiles) == ["beta-renamed"]  # the selection followed the edit
    windows.window.activateWindow()  # as the window manager does when the dialog closes (Xvfb has none)
    qtbot.waitUntil(windows.window.isActiveWindow)
    assert profiles.list.hasFocus()
    qtbot.keyClick(profiles.list, Qt.Key.Key_Delete)
    assert [p.name for p in book.instances] == ["alpha", "gamma"]
    assert profiles.undo_label.text() == "Deleted “beta-renamed”."


def test_delete_does_nothing_without_a_selection_even_with_a_focus_frame(qtbot, profile_windows, book):
    windows, _ = profile_windows
    profiles = windows.window.instances
    profiles.list.setFocus()
    profiles.list.clearSelection()
    profiles.list.setCurrentRow(0, profiles.list.selectionModel().SelectionFlag.NoUpdate)  # the focus frame only
    assert selected(profiles) == [] and not profiles.buttons["Delete"].isEnabled()
    qtbot.keyClick(profiles.list, Qt.Key.Key_Delete)
    qtbot.keyClick(profiles.list, Qt.Key.Key_Return)
    assert [p.name for p in book.instances] == ["alpha", "beta", "gamma"]
    assert not profiles.undo_label.isVisible()


def test_delete_in_the_search_box_deletes_text_not_a_profile(qtbot, profile_windows, book):
    windows, _ = profile_windows
    profiles = windows.window.instances
    profiles.select("gamma")
    qtbot.keyClicks(profiles.search, "gam")
    profiles.search.setCursorPosition(0)
    qtbot.keyClick(profiles.search, Qt.Key.Key_Delete)
    assert profiles.search.text() == "am" and [p.name for p in book.instances] == ["alpha", "beta", "gamma"]


def test_a_new_profile_is_selected_in_its_tab(qtbot, profile_windows, book):
    windows, keeper = profile_windows
    windows.window.tabs.setCurrentIndex(1)  # tunnels
    windows.edit_instance(None)
    dialog = open_dialog(keeper)
    qtbot.keyClicks(dialog.name, "delta")
    qtbot.keyClicks(dialog.target, "i-0123456789abcdef1")
    dialog.try_save()
    assert windows.window.tabs.currentWidget() is windows.window.instances
    assert selected(windows.window.instances) == ["delta"]


@pytest.mark.parametrize("keys", ["Escape", "Ctrl+W"])
def test_esc_and_ctrl_w_close_every_window(qtbot, tmp_path, keys):
    keeper = Keeper()
    for name, window in every_window(tmp_path).items():
        qtbot.addWidget(window)
        keeper.show(window)
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        focus = QApplication.focusWidget() or window
        if keys == "Escape":
            qtbot.keyClick(focus, Qt.Key.Key_Escape)
        else:
            qtbot.keyClick(focus, Qt.Key.Key_W, CTRL)
        qtbot.waitUntil(lambda w=window: not w.isVisible(), timeout=2000)
        assert window.windowTitle().endswith(" — Vouch Desktop"), name


def test_enter_submits_the_login_again_after_a_wrong_pin(qtbot, qloop, fake_vouch):
    from vouch_desktop.core.vouch.login import login_for_platform
    from vouch_desktop.ui.windows.login_dialog import LoginDialog

    results: list[bool] = []
    dialog = LoginDialog(lambda: login_for_platform(fake_vouch.path, "linux"))
    qtbot.addWidget(dialog)
    dialog.finished_login.connect(results.append)
    Keeper().show(dialog)
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.pin_edit, "999999")
    qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_Return)
    qloop.run_until_complete(until(lambda: not dialog.error_label.isHidden()))
    assert dialog.pin_edit.hasFocus() or QApplication.focusWidget() is dialog.pin_edit
    qtbot.keyClicks(dialog.pin_edit, "123456")
    qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_Return)
    qloop.run_until_complete(until(lambda: results == [True], timeout=20))
    assert dialog.result() == QDialog.DialogCode.Accepted.value
