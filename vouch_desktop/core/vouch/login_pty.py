"""`vouch login` in a pseudo-terminal (Linux, macOS): it reads the PIN from its terminal and asks for a touch.

pexpect gives the child a real controlling terminal (vouch reads the PIN from /dev/tty), and its asyncio
mode keeps the UI thread free. What vouch prints decides each step (core/vouch/cli_text.py):
"Please insert your YubiKey..." → the user is asked to plug it in while vouch waits; ``YubiKey PIN:`` →
the PIN is typed, once; a key without a PIN (vouch would ask ``New PIN (minimum 8 characters):``) →
vouch is stopped before anything is typed; "Touch your YubiKey..." → the touch prompt.

The PIN is typed into the terminal and forgotten: pexpect keeps no log (``logfile`` stays None), the
terminal does not echo it, and it is scrubbed from any error text as a last precaution.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import Callable

import pexpect

from vouch_desktop.core.vouch import cli_text
from vouch_desktop.core.vouch.errors import VouchNotInstalled, VouchPinIncorrect, VouchPinNotSet, VouchTimeout
from vouch_desktop.core.vouch.login import LoginProcess, LoginStep
from vouch_desktop.core.vouch.login_outcome import PIN_AGAIN_ADVICE, login_error, scrub
from vouch_desktop.core.vouch.runner import check_executable

NEW_PIN = re.compile(f"(?:{re.escape(cli_text.NO_PIN_INTRO)}|{re.escape(cli_text.NEW_PIN_PROMPT)})".encode())
PIN_PROMPT = re.compile(rb"(?i)\bPIN\b[^\r\n:]*:[ \t]*$")
INSERT_PROMPT = re.compile(re.escape(cli_text.INSERT_PROMPT).encode())
TOUCH_PROMPT = re.compile(rb"(?i)touch your (?:yubikey|security key)")
Expected = re.Pattern[str] | re.Pattern[bytes] | str | bytes | type[pexpect.EOF] | type[pexpect.TIMEOUT]
PATTERNS: list[Expected] = [NEW_PIN, PIN_PROMPT, INSERT_PROMPT, TOUCH_PROMPT, pexpect.EOF]
NEW, PIN, INSERT, TOUCH, EOF = range(len(PATTERNS))

PIN_NOT_SET_ADVICE = ("Set a PIN first: run 'vouch login' in a terminal (it asks for a new PIN of at least 8 "
                      "characters), or set one with Yubico Authenticator. Then log in here.")


class PtyLogin(LoginProcess):
    needs_pin = True
    child: pexpect.spawn | None = None  # vouch in its pseudo-terminal, once started

    @property
    def pid(self) -> int | None:
        return self.child.pid if self.child is not None else None

    async def run(self, pin: str, on_progress: Callable[[LoginStep], None]) -> None:
        on_progress(LoginStep.STARTING)
        check_executable(self.executable)
        env = cli_text.child_environment(self.env if self.env is not None else dict(os.environ))
        try:
            executable, *args = self.argv()
            self.child = pexpect.spawn(executable, args, env=env,
                                       timeout=self.timeout, echo=False, dimensions=(24, 200))
        except pexpect.ExceptionPexpect as exc:
            raise VouchNotInstalled("The vouch CLI could not be started.", advice="Check the vouch path in Settings.",
                                    detail=str(exc)) from None
        child = self.child
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        transcript = b""
        typed = False
        try:
            while True:
                left = deadline - loop.time()
                if left <= 0:
                    raise pexpect.TIMEOUT("login")
                index = await child.expect(PATTERNS, timeout=left, async_=True)
                transcript += (child.before or b"") + (child.after if isinstance(child.after, bytes) else b"")
                if index == NEW:
                    raise VouchPinNotSet("Your YubiKey has no PIN yet, so vouch would set a new one.",
                                         advice=PIN_NOT_SET_ADVICE)
                if index == PIN:
                    if typed:  # asked a second time (older CLIs): the PIN was refused
                        raise VouchPinIncorrect("The PIN was not accepted.", advice=PIN_AGAIN_ADVICE)
                    on_progress(LoginStep.WAITING_FOR_PIN)
                    child.sendline(pin)
                    typed = True
                    on_progress(LoginStep.CHECKING_PIN)
                elif index == INSERT:
                    on_progress(LoginStep.INSERT_KEY)
                elif index == TOUCH:
                    on_progress(LoginStep.TOUCH_KEY)
                else:
                    break
            child.close()
            code = child.exitstatus if child.exitstatus is not None else 1
        except pexpect.TIMEOUT:
            raise VouchTimeout(f"vouch login did not finish within {self.timeout:g} s.",
                               advice="Touch your YubiKey when it blinks, then try again.") from None
        finally:
            self._kill()
        if code != 0:
            raise login_error(code, scrub(transcript.decode(errors="replace"), pin), key_timeout=self.key_timeout)
        on_progress(LoginStep.DONE)

    def cancel(self) -> None:
        self._kill()

    def _kill(self) -> None:
        child = self.child
        if child is None:
            return
        # pexpect's asyncio mode keeps a read transport on the pty between expects: close it with the child
        cached = getattr(child, "async_pw_transport", None)
        if cached:
            cached[1].close()
            child.async_pw_transport = None
        if child.isalive():
            if child.pid is not None and sys.platform != "win32":  # (a pty: POSIX only)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.pid, signal.SIGKILL)  # the child leads its own session and group
            child.close(force=True)
        elif not child.closed:
            child.close()
