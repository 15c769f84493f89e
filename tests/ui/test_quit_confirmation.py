"""Quit asks first while tunnels run (issue #21): a question shown without a nested event loop, with
"Don't ask again" saved as a setting; `vouch-desktop quit` (the control socket) and signals are never
asked (tests/ui/test_app_cycles.py quits the real app with a tunnel up both ways, unasked)."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.ui.tray_parts import make_tray_app
from vouch_desktop.core.app.control import ControlHandlers
from vouch_desktop.core.storage.settings import SettingsStore
from vouch_desktop.core.system.ipc_protocol import Quit, encode_request
from vouch_desktop.core.tunnels.state import TunnelState
from vouch_desktop.ui.tray import find_action


@pytest.fixture
def app(qapp, tmp_path, fake_vouch, qloop):
    app = make_tray_app(tmp_path, fake_vouch.path)
    yield app
    qloop.run_until_complete(app.service.tasks.cancel_all())
    app.windows.close_all()


def run(qloop, seconds: float = 0.05) -> None:
    qloop.run_until_complete(asyncio.sleep(seconds))


def choose_quit(app) -> None:
    app.open_menu()
    find_action(app.tray.menu, "Quit Vouch Desktop").trigger()


def test_without_running_tunnels_quit_does_not_ask(app, qloop):
    app.set_tunnel("orders-db", TunnelState.FAILED, "broken")  # a failed tunnel is not running
    choose_quit(app)
    assert app.quits == ["quit"] and app.controller.quit_box is None


def test_while_tunnels_run_quit_asks_and_cancel_keeps_them(app, qloop):
    app.set_tunnel("orders-db", TunnelState.UP)
    app.set_tunnel("reports-db", TunnelState.RECONNECTING)
    ticks = []

    async def ticking():  # other work goes on while the question is open: no nested event loop
        while True:
            ticks.append(1)
            await asyncio.sleep(0.01)

    ticker = app.service.tasks.spawn(ticking())
    choose_quit(app)
    run(qloop, 0.2)
    box = app.controller.quit_box
    assert box is not None and box.isVisible() and not box.isModal() and app.quits == []
    assert box.text() == "2 tunnels are running: orders-db, reports-db."
    assert "stops them" in box.informativeText() and box.windowTitle() == "Quit — Vouch Desktop"
    assert len(ticks) > 5
    choose_quit(app)  # chosen again: the same question comes forward, not a second one
    run(qloop)
    assert app.controller.quit_box is box
    QTest.keyClick(box, Qt.Key.Key_Escape)
    run(qloop)
    assert app.quits == [] and app.controller.quit_box is None and not box.isVisible()
    ticker.cancel()


def test_quit_and_dont_ask_again_is_saved_and_honoured(app, qloop):
    app.set_tunnel("orders-db", TunnelState.UP)
    choose_quit(app)
    run(qloop)
    box = app.controller.quit_box
    assert box.defaultButton() is box.quit_button and box.text() == "1 tunnel is running: orders-db."
    box.dont_ask.setChecked(True)
    QTest.keyClick(box, Qt.Key.Key_Return)  # the default: Quit
    run(qloop)
    assert app.quits == ["quit"]
    assert app.service.settings.current.confirm_quit_with_tunnels is False
    saved, problems = SettingsStore(app.service.paths).load()
    assert saved.confirm_quit_with_tunnels is False and problems == []
    choose_quit(app)  # next time: no question
    assert app.quits == ["quit", "quit"] and app.controller.quit_box is None


def test_dont_ask_again_then_cancel_changes_nothing(app, qloop):
    app.set_tunnel("orders-db", TunnelState.UP)
    choose_quit(app)
    run(qloop)
    box = app.controller.quit_box
    box.dont_ask.setChecked(True)
    box.cancel_button.click()
    run(qloop)
    assert app.quits == [] and app.service.settings.current.confirm_quit_with_tunnels is True


def test_quit_over_the_control_socket_is_not_asked_and_closes_an_open_question(app, qloop):
    app.set_tunnel("orders-db", TunnelState.UP)
    choose_quit(app)
    run(qloop)
    box = app.controller.quit_box
    assert box.isVisible()
    handlers = ControlHandlers(app.service, app.controller).handlers()
    qloop.run_until_complete(handlers.answer(encode_request(Quit())))  # `vouch-desktop quit`
    run(qloop)
    assert app.quits == ["quit"]
    qloop.run_until_complete(app.controller.shutdown())  # what the app does next
    assert not box.isVisible()


def test_the_setting_is_in_the_settings_window(app):
    from vouch_desktop.ui.windows.settings_window import SettingsWindow

    window = SettingsWindow(app.service.settings.current, profiles=[], terminals=[], save=lambda s: None,
                            test_terminal=lambda s: None)
    assert window.confirm_quit.isChecked()
    window.confirm_quit.setChecked(False)
    assert window.collect().confirm_quit_with_tunnels is False
    window.close()
