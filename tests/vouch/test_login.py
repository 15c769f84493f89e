"""`vouch login` through a real pty with the fake vouch: PIN, touch prompt, wrong PIN, no key, cancel."""

from __future__ import annotations

import asyncio
import json
import subprocess

import psutil
import pytest

from vouch_desktop.core.vouch.client import VouchFailed, VouchNoKey
from vouch_desktop.core.vouch.login import LoginStep, VouchLogin


def logged_in(fake_vouch):
    out = subprocess.run([fake_vouch.path, "status", "--json"], capture_output=True, text=True, timeout=20).stdout
    return json.loads(out)["authenticated"]


def test_login_with_the_right_pin_shows_the_touch_prompt(fake_vouch):
    fake_vouch.configure(touch_seconds=0.3)
    steps = []
    asyncio.run(VouchLogin(fake_vouch.path, timeout=30).run("123456", steps.append))
    assert steps == [LoginStep.STARTING, LoginStep.WAITING_FOR_PIN, LoginStep.CHECKING_PIN, LoginStep.TOUCH_KEY,
                     LoginStep.DONE]
    assert logged_in(fake_vouch)


def test_wrong_pin_gives_the_clis_own_words(fake_vouch):
    with pytest.raises(VouchFailed) as err:
        asyncio.run(VouchLogin(fake_vouch.path, timeout=30).run("000000", lambda step: None))
    assert "incorrect PIN (7 attempts remaining)" in err.value.message
    assert "000000" not in err.value.user_text()
    assert not logged_in(fake_vouch)


def test_no_key(fake_vouch):
    fake_vouch.configure(key_present=False)
    with pytest.raises(VouchNoKey) as err:
        asyncio.run(VouchLogin(fake_vouch.path, timeout=30).run("123456", lambda step: None))
    assert "YubiKey" in err.value.advice


def test_cancel_while_waiting_for_the_touch_kills_the_child(fake_vouch):
    fake_vouch.configure(touch_seconds=30)
    login = VouchLogin(fake_vouch.path, timeout=60)

    async def scenario():
        steps = []
        task = asyncio.ensure_future(login.run("123456", steps.append))
        while LoginStep.TOUCH_KEY not in steps:
            await asyncio.sleep(0.05)
        pid = login.pid
        assert psutil.pid_exists(pid)
        login.cancel()
        task.cancel()
        with pytest.raises((asyncio.CancelledError, Exception)):
            await task
        return pid

    pid = asyncio.run(scenario())
    assert not psutil.pid_exists(pid)
    assert not logged_in(fake_vouch)
