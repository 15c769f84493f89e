"""`vouch login` against the faithful fake: through a real pty on Linux/macOS (PIN typed once, errors named,
nothing typed into a new-PIN prompt, the insert-your-key wait), and as on Windows (the system's prompt,
no terminal, the exit code decides); cancelling stops vouch for real."""

from __future__ import annotations

import asyncio
import json
import subprocess

import psutil
import pytest

from vouch_desktop.core.vouch.errors import (
    VouchLoginCancelled,
    VouchNetworkError,
    VouchNoKey,
    VouchPinAuthBlocked,
    VouchPinBlocked,
    VouchPinIncorrect,
    VouchPinNotSet,
    VouchRateLimited,
    VouchStepUpRequired,
)
from vouch_desktop.core.vouch.login import LOGIN_GRACE, LoginStep, login_for_platform
from vouch_desktop.core.vouch.login_pty import PtyLogin
from vouch_desktop.core.vouch.login_webauthn import WebAuthnLogin


def logged_in(fake_vouch):
    out = subprocess.run([fake_vouch.path, "status", "--format", "json"], capture_output=True, text=True,
                         timeout=20).stdout
    return json.loads(out)["authenticated"]


def attempt(runner, pin="123456"):
    steps = []
    error = None
    try:
        asyncio.run(runner.run(pin, steps.append))
    except Exception as exc:  # noqa: BLE001 (the test looks at what it was)
        error = exc
    return steps, error


def test_one_interface_chosen_per_platform(fake_vouch):
    windows = login_for_platform(fake_vouch.path, "win32")
    assert isinstance(windows, WebAuthnLogin) and not windows.needs_pin
    for platform in ("linux", "darwin"):
        unix = login_for_platform(fake_vouch.path, platform, key_timeout=45)
        assert isinstance(unix, PtyLogin) and unix.needs_pin and unix.key_timeout == 45
        assert unix.timeout == 45 + LOGIN_GRACE  # the app waits longer than vouch's own --timeout


def test_right_pin_shows_the_touch_prompt(fake_vouch):
    fake_vouch.configure(touch_seconds=0.3)
    steps, error = attempt(PtyLogin(fake_vouch.path))
    assert error is None
    assert steps == [LoginStep.STARTING, LoginStep.WAITING_FOR_PIN, LoginStep.CHECKING_PIN, LoginStep.TOUCH_KEY,
                     LoginStep.DONE]
    assert logged_in(fake_vouch)


def test_wrong_pin_is_named_and_the_pin_is_nowhere(fake_vouch):
    steps, error = attempt(PtyLogin(fake_vouch.path), pin="000000")
    assert isinstance(error, VouchPinIncorrect) and error.message == "The PIN was not accepted."
    assert error.attempts_left is None  # the real CLI does not say how many are left
    assert "000000" not in error.user_text() + error.detail
    assert steps.count(LoginStep.WAITING_FOR_PIN) == 1  # typed once: vouch does not ask again
    assert not logged_in(fake_vouch)


def test_blocked_pin_says_what_to_do(fake_vouch):
    fake_vouch.state.set_pin_retries(0)
    _, error = attempt(PtyLogin(fake_vouch.path))
    assert isinstance(error, VouchPinBlocked)
    assert "reset" in error.advice.lower() and "vouch enroll" in error.advice


def test_three_wrong_in_a_row_ask_for_a_replug(fake_vouch):
    errors = [attempt(PtyLogin(fake_vouch.path), pin="000000")[1] for _ in range(3)]
    assert [type(e) for e in errors] == [VouchPinIncorrect, VouchPinIncorrect, VouchPinAuthBlocked]
    assert "Unplug your YubiKey" in errors[-1].advice


def test_a_key_without_a_pin_stops_before_anything_is_typed(fake_vouch):
    fake_vouch.configure(pin_set=False)
    login = PtyLogin(fake_vouch.path)
    steps, error = attempt(login, pin="12345678")
    assert isinstance(error, VouchPinNotSet) and "Set a PIN first" in error.advice
    assert LoginStep.WAITING_FOR_PIN not in steps
    knobs = fake_vouch.state.knobs()
    assert knobs["pin_set"] is False and knobs.get("pin") != "12345678"  # no PIN was set with the user's PIN
    assert not psutil.pid_exists(login.pid)


def test_no_key_shows_insert_then_vouchs_own_timeout(fake_vouch):
    fake_vouch.configure(key_present=False)
    steps, error = attempt(PtyLogin(fake_vouch.path, key_timeout=1))
    assert LoginStep.INSERT_KEY in steps and LoginStep.WAITING_FOR_PIN not in steps
    assert isinstance(error, VouchNoKey) and error.message == "No YubiKey was plugged in within 1 s."


def test_a_key_plugged_in_while_vouch_waits(fake_vouch):
    fake_vouch.configure(key_present=False, touch_seconds=0.2)

    async def scenario():
        steps = []
        task = asyncio.ensure_future(PtyLogin(fake_vouch.path, key_timeout=30).run("123456", steps.append))
        while LoginStep.INSERT_KEY not in steps:
            await asyncio.sleep(0.05)
        fake_vouch.configure(key_present=True)
        await task
        return steps

    steps = asyncio.run(scenario())
    assert steps[:2] == [LoginStep.STARTING, LoginStep.INSERT_KEY] and steps[-1] is LoginStep.DONE


@pytest.mark.parametrize("code, error", [(4, VouchNetworkError), (7, VouchStepUpRequired), (8, VouchRateLimited)])
def test_other_exit_codes_have_their_own_errors(fake_vouch, code, error):
    fake_vouch.configure(exit_code=code)
    _, raised = attempt(PtyLogin(fake_vouch.path))
    assert isinstance(raised, error) and raised.advice


def test_server_out_of_reach_at_login(fake_vouch):
    fake_vouch.configure(network_down=True)
    _, error = attempt(PtyLogin(fake_vouch.path))
    assert isinstance(error, VouchNetworkError)


def test_vouch_runs_in_english_without_rust_log(fake_vouch, tmp_path, monkeypatch):
    record = tmp_path / "env.json"
    wrapper = tmp_path / "vouch"
    wrapper.write_text(f"#!/usr/bin/env python3\nimport json, os, sys\n"
                       f"json.dump(dict(os.environ), open({str(record)!r}, 'w'))\n"
                       f"os.execv({fake_vouch.path!r}, [{fake_vouch.path!r}] + sys.argv[1:])\n")
    wrapper.chmod(0o755)
    monkeypatch.setenv("RUST_LOG", "debug")
    monkeypatch.setenv("VOUCH_LANG", "fr-FR")
    fake_vouch.configure(touch_seconds=0.1)
    assert attempt(PtyLogin(str(wrapper)))[1] is None
    env = json.loads(record.read_text())
    assert "RUST_LOG" not in env and env["VOUCH_LANG"] == "en-US"


@pytest.mark.parametrize("when", [LoginStep.INSERT_KEY, LoginStep.TOUCH_KEY])
def test_cancel_kills_vouch(fake_vouch, when):
    fake_vouch.configure(touch_seconds=30, key_present=when is not LoginStep.INSERT_KEY)
    login = PtyLogin(fake_vouch.path, key_timeout=60)

    async def scenario():
        steps = []
        task = asyncio.ensure_future(login.run("123456", steps.append))
        while when not in steps:
            await asyncio.sleep(0.05)
        pid = login.pid
        assert psutil.pid_exists(pid)
        login.cancel()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return pid

    pid = asyncio.run(scenario())
    assert not psutil.pid_exists(pid)
    assert not logged_in(fake_vouch)


# ---------------------------------------------------------------- as on Windows: the system's security prompt
def test_webauthn_login_follows_the_prompt_and_the_exit_code(fake_vouch):
    fake_vouch.configure(webauthn=True, touch_seconds=0.3)
    steps, error = attempt(WebAuthnLogin(fake_vouch.path), pin="")
    assert error is None and steps == [LoginStep.STARTING, LoginStep.SECURITY_PROMPT, LoginStep.DONE]
    assert logged_in(fake_vouch)


@pytest.mark.parametrize("result, error", [("cancelled", VouchLoginCancelled), ("no_key", VouchNoKey),
                                           ("timeout", VouchNoKey)])
def test_webauthn_failures(fake_vouch, result, error):
    fake_vouch.configure(webauthn=True, touch_seconds=0.1, webauthn_result=result)
    steps, raised = attempt(WebAuthnLogin(fake_vouch.path), pin="")
    assert LoginStep.SECURITY_PROMPT in steps and isinstance(raised, error)


def test_webauthn_no_key_until_vouchs_timeout(fake_vouch):
    fake_vouch.configure(webauthn=True, key_present=False)
    login = WebAuthnLogin(fake_vouch.path, key_timeout=1)
    assert login.timeout > login.key_timeout
    _, raised = attempt(login, pin="")
    assert isinstance(raised, VouchNoKey)


def test_webauthn_cancel_kills_vouch(fake_vouch):
    fake_vouch.configure(webauthn=True, touch_seconds=30)
    login = WebAuthnLogin(fake_vouch.path)

    async def scenario():
        steps = []
        task = asyncio.ensure_future(login.run("", steps.append))
        while LoginStep.SECURITY_PROMPT not in steps:
            await asyncio.sleep(0.05)
        pid = login.pid
        login.cancel()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return pid

    pid = asyncio.run(scenario())
    assert not psutil.pid_exists(pid) and not logged_in(fake_vouch)
