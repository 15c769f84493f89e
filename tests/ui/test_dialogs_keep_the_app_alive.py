"""Issue #16, part 1: a dialog opened from async work never freezes the app. Every dialog the tray
opens on an async path (the tag filter's "Which one?", the SSH set-up question, the information
and warning boxes) is opened the way a user opens it; while it is open the session clock, the key
watcher, the control socket and any other task keep running, and Quit (the tray's, `vouch-desktop
quit`, SIGTERM) ends the app within 5 s with the dialog still open. A command-line `connect` that
needs a choice answers at once and does not hold the control socket."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox, QWidget

from tests.test_cli import cli, runtime_env  # noqa: F401 (a fixture)
from tests.ui import test_app_end_to_end
from tests.ui.conftest import until
from vouch_desktop.core.storage.profiles import InstanceProfile
from vouch_desktop.core.system.ipc_client import send_request
from vouch_desktop.core.system.ipc_protocol import GetStatus
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.core.vouch.session_state import SessionState
from vouch_desktop.ui.composition import VouchDesktop
from vouch_desktop.ui.tray import find_action

pytestmark = pytest.mark.desktop
demo = test_app_end_to_end.demo  # the end-to-end tests' demo world (fixture)
QUIT_WITHIN = 5.0


def open_dialogs(kind: type[QWidget], title: str) -> list[QWidget]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()
            and w.windowTitle().startswith(title)]


def menu_action(desktop: VouchDesktop, text: str, submenu: str = ""):
    desktop.tray.menu.aboutToShow.emit()
    return find_action(desktop.tray.submenu(submenu) if submenu else desktop.tray.menu, text)


def chooser(desktop: VouchDesktop) -> tuple[type[QWidget], str]:
    menu_action(desktop, "any web server", submenu="Instances").trigger()
    return QInputDialog, "Connect: any web server"


def ssh_question(desktop: VouchDesktop) -> tuple[type[QWidget], str]:
    menu_action(desktop, "Set up SSH over SSM…").trigger()
    return QMessageBox, "SSH over SSM"


def information(desktop: VouchDesktop) -> tuple[type[QWidget], str]:
    menu_action(desktop, "Check AWS access").trigger()
    return QMessageBox, "AWS access"


def warning(desktop: VouchDesktop) -> tuple[type[QWidget], str]:
    desktop.service.profiles.add(InstanceProfile("no such server", "Name=nothing-*", "eu-west-1"))
    menu_action(desktop, "no such server", submenu="Instances").trigger()
    return QMessageBox, "Connect to no such server"


DIALOGS = {"which-one": chooser, "ssh-setup": ssh_question, "information": information, "warning": warning}


@pytest.mark.parametrize("open_dialog", DIALOGS.values(), ids=DIALOGS.keys())
def test_with_a_dialog_open_everything_keeps_running_and_quit_works(qapp, qloop, demo, open_dialog, reliability):
    paths = AppPaths.default().ensure()
    desktop = VouchDesktop(qapp, paths, argparse.Namespace(quit_after=None), demo)
    service, tray = desktop.service, desktop.tray

    async def scenario():
        task = asyncio.ensure_future(desktop.run())
        await asyncio.wait_for(desktop.ready.wait(), 30)
        kind, title = open_dialog(desktop)
        await until(lambda: open_dialogs(kind, title), timeout=30, what=f"the {title!r} dialog")
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        other = asyncio.ensure_future(ticker())
        await until(lambda: ticks >= 10, timeout=5, what="another task running")
        # the session clock: a login that ends in 10 minutes turns the icon "expiring"
        demo.vouch_state.log_in(10 * 60)
        service.monitor.poke()
        await until(lambda: service.monitor.snapshot.state is SessionState.EXPIRING and tray.state == "expiring",
                    timeout=10, what="the session monitor")
        # the key watcher notices the key leaving
        demo.vouch_state.configure(key_present=False)
        await until(lambda: not service.key.present and "YubiKey: not found" in tray.icon.toolTip(), timeout=10,
                    what="the key watcher")
        # the control socket answers
        status = await asyncio.wait_for(
            asyncio.to_thread(send_request, paths.control_endpoint(demo=True), GetStatus(), timeout=5), 10)
        assert status.state == "expiring"
        assert open_dialogs(kind, title), "the dialog is still open"
        other.cancel()
        started = time.monotonic()
        tray.menu.actions()[-1].trigger()  # Quit Vouch Desktop
        assert await asyncio.wait_for(task, QUIT_WITHIN) == 0
        took = time.monotonic() - started
        assert not open_dialogs(kind, title)
        return ticks, took

    ticks, took = qloop.run_until_complete(scenario())
    reliability(other_task_ticks=ticks, quit_with_dialog_open_s=round(took, 2))


def start_demo_app(env: dict[str, str]) -> subprocess.Popen[str]:
    app = subprocess.Popen([sys.executable, "-m", "vouch_desktop", "--demo"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    assert app.stdout is not None
    for line in app.stdout:
        if "vouch-desktop: ready" in line or time.monotonic() > deadline:
            break
    return app


@pytest.mark.parametrize("how", ["vouch-desktop quit", "SIGTERM"])
def test_a_cli_connect_that_needs_a_choice_answers_at_once_and_quit_still_works(runtime_env, how,  # noqa: F811
                                                                                reliability):
    app = start_demo_app(runtime_env)
    try:
        started = time.monotonic()
        connect = cli("--demo", "connect", "any web server", env=runtime_env, timeout=30)
        answered = time.monotonic() - started
        assert connect.returncode == 0, connect.stderr
        assert "choose the instance in the window that opened" in connect.stdout
        # the chooser is open in the app now, and the socket is free
        status = cli("--demo", "status", env=runtime_env, timeout=30)
        assert status.returncode == 0 and status.stdout.startswith("Logged in as"), status.stderr
        started = time.monotonic()
        if how == "SIGTERM":
            os.kill(app.pid, signal.SIGTERM)
        else:
            assert cli("--demo", "quit", env=runtime_env, timeout=30).returncode == 0
        assert app.wait(timeout=QUIT_WITHIN) == 0
        took = time.monotonic() - started
    finally:
        if app.poll() is None:
            app.kill()
        app.wait()
        assert app.stdout is not None
        output = app.stdout.read()
        app.stdout.close()
    assert "Traceback" not in output and "Cannot enter into task" not in output, output
    reliability(connect_answered_s=round(answered, 2), quit_with_chooser_open_s=round(took, 2))
