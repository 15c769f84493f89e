"""The login dialog driving the real `vouch login` (the faithful fake) in a pty, and as on Windows: what the
user sees on every path, and that Enter, Cancel and asking again work."""

from __future__ import annotations

import json
import subprocess

import psutil
import pytest
from PySide6.QtCore import Qt

from tests.ui.conftest import until
from vouch_desktop.core.vouch.login import login_for_platform
from vouch_desktop.core.vouch.login_pty import PtyLogin
from vouch_desktop.ui.windows.login_dialog import PIN_PAGE, PROGRESS_PAGE, STEP_TEXT, LoginDialog


@pytest.fixture(autouse=True)
def tray_app_keeps_running(qapp):
    qapp.setQuitOnLastWindowClosed(False)  # as the tray app: closing the dialog must not end the loop
    yield
    qapp.setQuitOnLastWindowClosed(True)


def logged_in(fake_vouch):
    out = subprocess.run([fake_vouch.path, "status", "--format", "json"], capture_output=True, text=True,
                         timeout=20).stdout
    return json.loads(out)["authenticated"]


def dialog_for(qtbot, make_runner, **kwargs) -> tuple[LoginDialog, list[bool]]:
    results: list[bool] = []
    dialog = LoginDialog(make_runner, **kwargs)
    qtbot.addWidget(dialog)
    dialog.finished_login.connect(results.append)
    dialog.show()
    return dialog, results


def error_shown(dialog: LoginDialog) -> bool:
    return not dialog.error_label.isHidden() and dialog.pages.currentIndex() == PIN_PAGE


def test_pin_then_touch_prompt_then_logged_in(qtbot, qloop, fake_vouch):
    fake_vouch.configure(touch_seconds=0.5)
    dialog, results = dialog_for(qtbot, lambda: PtyLogin(fake_vouch.path))
    assert not dialog.login_button.isEnabled()
    qtbot.keyClicks(dialog.pin_edit, "123456")
    assert dialog.login_button.isEnabled()
    dialog.submit()
    assert dialog.pin_edit.text() == ""  # the PIN left the widget at once

    async def scenario():
        await until(lambda: dialog.step_label.text() == STEP_TEXT["TOUCH_KEY"])
        assert dialog.pages.currentIndex() == PROGRESS_PAGE
        await until(lambda: results == [True])

    qloop.run_until_complete(scenario())
    assert logged_in(fake_vouch)


def test_wrong_pin_is_named_asked_again_and_enter_submits_again(qtbot, qloop, fake_vouch):
    fake_vouch.configure(touch_seconds=0.2)
    dialog, results = dialog_for(qtbot, lambda: PtyLogin(fake_vouch.path))
    qtbot.keyClicks(dialog.pin_edit, "999999")
    qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_Return)
    qloop.run_until_complete(until(lambda: error_shown(dialog)))
    assert dialog.error_label.text().startswith("The PIN was not accepted.")
    assert "Too many wrong PINs lock the key" in dialog.error_label.text()
    assert "999999" not in dialog.error_label.text() and dialog.isVisible()
    assert dialog.pin_edit.isEnabled() and dialog.focusWidget() is dialog.pin_edit
    qtbot.keyClicks(dialog.pin_edit, "123456")
    qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_Return)  # Enter works again after the error
    qloop.run_until_complete(until(lambda: results == [True]))
    assert logged_in(fake_vouch)


def test_blocked_pin_says_what_to_do_and_takes_no_more_pins(qtbot, qloop, fake_vouch):
    fake_vouch.state.set_pin_retries(0)
    dialog, _ = dialog_for(qtbot, lambda: PtyLogin(fake_vouch.path))
    dialog.pin_edit.setText("123456")
    dialog.submit()
    qloop.run_until_complete(until(lambda: error_shown(dialog)))
    text = dialog.error_label.text()
    assert "PIN is blocked" in text and "vouch enroll" in text and "reset" in text.lower()
    assert not dialog.pin_edit.isEnabled() and not dialog.login_button.isEnabled()


def test_a_key_without_a_pin_is_explained_and_nothing_is_typed(qtbot, qloop, fake_vouch):
    fake_vouch.configure(pin_set=False)
    dialog, _ = dialog_for(qtbot, lambda: PtyLogin(fake_vouch.path))
    dialog.pin_edit.setText("12345678")
    dialog.submit()
    qloop.run_until_complete(until(lambda: error_shown(dialog)))
    assert "has no PIN yet" in dialog.error_label.text() and "Set a PIN first" in dialog.error_label.text()
    assert fake_vouch.state.knobs()["pin_set"] is False and fake_vouch.state.knobs().get("pin") != "12345678"


def test_no_key_shows_insert_your_yubikey_and_cancel_stops_vouch(qtbot, qloop, fake_vouch):
    fake_vouch.configure(key_present=False)
    runners = []

    def make():
        runners.append(PtyLogin(fake_vouch.path, key_timeout=60))
        return runners[-1]

    dialog, results = dialog_for(qtbot, make, key_timeout=60)
    dialog.pin_edit.setText("123456")
    dialog.submit()
    qloop.run_until_complete(until(lambda: dialog.step_label.text() == STEP_TEXT["INSERT_KEY"]))
    assert "vouch waits up to 60 s" in dialog.step_hint.text()
    pid = runners[0].pid
    dialog.cancel_button.click()
    qloop.run_until_complete(until(lambda: not psutil.pid_exists(pid)))
    assert results == [False] and not dialog.isVisible()


def test_no_key_until_vouchs_timeout_shows_its_answer(qtbot, qloop, fake_vouch):
    fake_vouch.configure(key_present=False)
    dialog, _ = dialog_for(qtbot, lambda: PtyLogin(fake_vouch.path, key_timeout=1), key_timeout=1)
    dialog.pin_edit.setText("123456")
    dialog.submit()
    qloop.run_until_complete(until(lambda: error_shown(dialog)))
    assert dialog.error_label.text().startswith("No YubiKey was plugged in within 1 s.")


@pytest.mark.parametrize("code, words", [(7, "step-up"), (8, "rate limited")])
def test_step_up_and_rate_limit_have_their_own_words(qtbot, qloop, fake_vouch, code, words):
    fake_vouch.configure(exit_code=code)
    dialog, _ = dialog_for(qtbot, lambda: PtyLogin(fake_vouch.path))
    dialog.pin_edit.setText("123456")
    dialog.submit()
    qloop.run_until_complete(until(lambda: error_shown(dialog)))
    assert words in dialog.error_label.text()


def test_cancel_during_the_touch_stops_vouch(qtbot, qloop, fake_vouch):
    fake_vouch.configure(touch_seconds=60)
    runners = []

    def make():
        runners.append(PtyLogin(fake_vouch.path))
        return runners[-1]

    dialog, _ = dialog_for(qtbot, make)
    dialog.pin_edit.setText("123456")
    dialog.submit()
    qloop.run_until_complete(until(lambda: dialog.step_label.text() == STEP_TEXT["TOUCH_KEY"]))
    pid = runners[0].pid
    assert psutil.pid_exists(pid)
    dialog.cancel_button.click()
    qloop.run_until_complete(until(lambda: not psutil.pid_exists(pid)))
    assert not dialog.isVisible() and not logged_in(fake_vouch)


# ---------------------------------------------------------------- as on Windows
def test_windows_security_prompt_path(qtbot, qloop, fake_vouch):
    fake_vouch.configure(webauthn=True, touch_seconds=1.0)
    dialog, results = dialog_for(qtbot, lambda: login_for_platform(fake_vouch.path, "win32"), system_prompt=True)
    assert dialog.pin_edit.isHidden() and dialog.login_button.isEnabled()  # Windows asks for the PIN itself
    dialog.login_button.click()
    qloop.run_until_complete(until(lambda: dialog.step_label.text() == "Complete the Windows Security prompt"))
    qloop.run_until_complete(until(lambda: results == [True]))
    assert logged_in(fake_vouch)


def test_windows_prompt_cancelled(qtbot, qloop, fake_vouch):
    fake_vouch.configure(webauthn=True, touch_seconds=0.1, webauthn_result="cancelled")
    dialog, results = dialog_for(qtbot, lambda: login_for_platform(fake_vouch.path, "win32"), system_prompt=True)
    dialog.login_button.click()
    qloop.run_until_complete(until(lambda: error_shown(dialog)))
    assert dialog.error_label.text().startswith("The Windows Security prompt was closed")
    assert dialog.login_button.isEnabled() and results == []
