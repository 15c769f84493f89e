"""The login dialog driving the real `vouch login` (fake CLI) in a pty."""

from __future__ import annotations

import json
import subprocess

import psutil

from tests.ui.conftest import until
from vouch_desktop.core.vouch.login import VouchLogin
from vouch_desktop.ui.windows.login_dialog import STEP_TEXT, LoginDialog


def logged_in(fake_vouch):
    out = subprocess.run([fake_vouch.path, "status", "--json"], capture_output=True, text=True, timeout=20).stdout
    return json.loads(out)["authenticated"]


def test_pin_then_touch_prompt_then_logged_in(qtbot, qloop, fake_vouch):
    fake_vouch.configure(touch_seconds=0.5)
    results = []
    dialog = LoginDialog(lambda: VouchLogin(fake_vouch.path, timeout=30))
    qtbot.addWidget(dialog)
    dialog.finished_login.connect(results.append)
    dialog.show()
    assert not dialog.login_button.isEnabled()
    qtbot.keyClicks(dialog.pin_edit, "123456")
    assert dialog.login_button.isEnabled()
    dialog.submit()
    assert dialog.pin_edit.text() == ""  # the PIN left the widget at once

    async def scenario():
        await until(lambda: dialog.step_label.text() == STEP_TEXT["TOUCH_KEY"])
        assert dialog.pages.currentIndex() == 1
        await until(lambda: results == [True])

    qloop.run_until_complete(scenario())
    assert logged_in(fake_vouch)


def test_wrong_pin_shows_the_clis_message_and_asks_again(qtbot, qloop, fake_vouch):
    dialog = LoginDialog(lambda: VouchLogin(fake_vouch.path, timeout=30))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.pin_edit.setText("999999")
    dialog.submit()
    qloop.run_until_complete(until(lambda: not dialog.error_label.isHidden()))
    assert "incorrect PIN (7 attempts remaining)" in dialog.error_label.text()
    assert "999999" not in dialog.error_label.text()
    assert dialog.pages.currentIndex() == 0 and dialog.isVisible()


def test_cancel_during_the_touch_stops_vouch(qtbot, qloop, fake_vouch):
    fake_vouch.configure(touch_seconds=60)
    runners = []

    def make():
        runners.append(VouchLogin(fake_vouch.path, timeout=90))
        return runners[-1]

    dialog = LoginDialog(make)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.pin_edit.setText("123456")
    dialog.submit()
    qloop.run_until_complete(until(lambda: dialog.step_label.text() == STEP_TEXT["TOUCH_KEY"]))
    pid = runners[0].pid
    assert psutil.pid_exists(pid)
    dialog.cancel_button.click()
    qloop.run_until_complete(until(lambda: not psutil.pid_exists(pid)))
    assert not dialog.isVisible() and not logged_in(fake_vouch)
