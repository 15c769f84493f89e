"""History as a user reads it: a tunnel's drop and its recovery are different lines, an expiry and a
failed login (with vouch's reason) are recorded, an older file's "reconnect" lines read as what they
were, and double-click or Enter shows an entry in full."""

from __future__ import annotations

import asyncio
import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.app.parts import make_service
from vouch_desktop.core.storage.history import History
from vouch_desktop.core.vouch.errors import VouchError
from vouch_desktop.core.vouch.login import login_for_platform
from vouch_desktop.core.vouch.session_state import SessionState
from vouch_desktop.ui.windows.ask import Keeper
from vouch_desktop.ui.windows.history_window import HistoryWindow

CTRL = Qt.KeyboardModifier.ControlModifier


def what(window: HistoryWindow) -> list[str]:
    return [row[1] for row in window.rows()]


@pytest.fixture
def window(qtbot, tmp_path):
    history = History(tmp_path / "history.jsonl")
    window = HistoryWindow(history, tmp_path)
    qtbot.addWidget(window)
    Keeper().show(window)
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window, history


def test_drop_retry_and_recovery_are_told_apart_and_old_lines_read_as_what_they_were(qtbot, window):
    view, history = window
    with history.path.open("a") as file:  # as an earlier version wrote them: one kind for both
        for message in ("the plugin exited (code -9)", "up"):
            file.write(json.dumps({"time": "2026-01-02T03:04:05+00:00", "kind": "tunnel_reconnect",
                                   "profile": "orders", "message": message}) + "\n")
    for kind, message in (("tunnel_start", "up"), ("tunnel_drop", "the plugin exited (code -9)"),
                          ("tunnel_retry", "AWS is out of reach"), ("tunnel_recovered", "up")):
        history.add(kind, profile="orders", target="Name=bastion-*", region="eu-west-1", message=message,
                    local_port=15432)
    QTest.keyClick(view.search, Qt.Key.Key_F5)
    assert what(view) == ["Tunnel back up", "Tunnel retry failed", "Tunnel dropped", "Tunnel up",
                          "Tunnel back up", "Tunnel dropped"]
    view.kind.setCurrentIndex(view.kind.findData("tunnel_drop"))
    assert [row[5] for row in view.rows()] == ["the plugin exited (code -9) (localhost:15432)",
                                               "the plugin exited (code -9)"]


def test_double_click_and_enter_show_the_entry_in_full(qtbot, window):
    view, history = window
    history.add("tunnel_failure", profile="orders", target="Name=bastion-*", region="eu-west-1",
                message="AWS denied access to ssm:StartSession on the bastion", local_port=15432)
    history.add("connect", profile="web", target="i-0123456789abcdef0", region="eu-west-1")
    QTest.keyClick(view.search, Qt.Key.Key_R, CTRL)
    assert what(view) == ["Connected", "Tunnel failed"]
    table = view.table
    second = table.visualRect(view.proxy.index(1, 1)).center()
    # a double-click as the window system delivers it: press and release, then the double-click
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, second)
    QTest.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, second)
    box = view.details_box
    assert box is not None and box.isVisible()
    assert box.text().splitlines()[1:] == ["What: Tunnel failed", "Profile: orders", "Target: Name=bastion-*",
                                           "Region: eu-west-1", "Local port: 15432",
                                           "Details: AWS denied access to ssm:StartSession on the bastion"]
    box.close()
    view.search.setFocus()
    QTest.keyClick(view.search, Qt.Key.Key_Down)  # into the results, at the row selected before
    assert table.hasFocus() and table.currentIndex().row() == 1
    QTest.keyClick(table, Qt.Key.Key_Up)
    QTest.keyClick(table, Qt.Key.Key_Return)
    assert view.details_box.isVisible() and "What: Connected" in view.details_box.text()


def test_expiry_and_failed_logins_are_recorded(tmp_path, fake_vouch):
    service = make_service(tmp_path, fake_vouch.path)
    service.monitor.transition.emit((SessionState.EXPIRING, SessionState.EXPIRED))
    service.monitor.transition.emit((SessionState.EXPIRED, SessionState.EXPIRED))  # told once
    login = service.recording(login_for_platform(fake_vouch.path, "linux"))

    async def wrong_pin() -> None:
        with pytest.raises(VouchError):
            await login.run("999999", lambda step: None)

    asyncio.run(wrong_pin())
    entries = service.history.recent()
    assert [e.kind for e in entries] == ["login_failure", "session_expired"]
    assert "PIN" in entries[0].message and "999999" not in entries[0].message
