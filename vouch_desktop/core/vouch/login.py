"""`vouch login` in a pseudo-terminal: it reads the PIN from its terminal and asks for a key touch.

pexpect gives the child a real controlling terminal (the CLI reads the PIN from /dev/tty), and its
asyncio mode keeps the UI thread free. The PIN is typed into the terminal and forgotten: pexpect
keeps no log (``logfile`` stays None), the terminal does not echo it, and it is scrubbed from any
error text as a last precaution.
"""

from __future__ import annotations

import contextlib
import enum
import os
import re
import signal
from collections.abc import Callable

import pexpect

from vouch_desktop.core.vouch.client import VouchFailed, VouchNotInstalled, VouchTimeout, error_for

PIN_PROMPT = re.compile(rb"(?i)\bPIN\b[^\r\n]*:\s*$")
TOUCH_PROMPT = re.compile(rb"(?i)touch")


class LoginStep(enum.Enum):
    STARTING = "starting"
    WAITING_FOR_PIN = "waiting for PIN"
    CHECKING_PIN = "checking PIN"
    TOUCH_KEY = "touch your key"
    DONE = "done"


class VouchLogin:
    """One login attempt: ``await run(pin, on_progress)``; ``cancel()`` stops the child for real."""

    def __init__(self, executable: str, timeout: float = 120.0, env: dict[str, str] | None = None) -> None:
        self.executable = executable
        self.timeout = timeout
        self.env = env
        self.child: pexpect.spawn | None = None

    @property
    def pid(self) -> int | None:
        return self.child.pid if self.child is not None else None

    async def run(self, pin: str, on_progress: Callable[[LoginStep], None]) -> None:
        on_progress(LoginStep.STARTING)
        try:
            self.child = pexpect.spawn(self.executable, ["login", "--timeout", str(int(self.timeout))],
                                       env=self.env or dict(os.environ), timeout=self.timeout, echo=False)
        except pexpect.ExceptionPexpect as exc:
            raise VouchNotInstalled("The vouch CLI could not be started.", advice="Check the vouch path in Settings.",
                                    detail=str(exc)) from None
        child = self.child
        transcript = b""
        try:
            index = await child.expect([PIN_PROMPT, TOUCH_PROMPT, pexpect.EOF], async_=True)
            transcript += child.before or b""
            if index == 0:
                on_progress(LoginStep.WAITING_FOR_PIN)
                child.sendline(pin)
                on_progress(LoginStep.CHECKING_PIN)
                index = await child.expect([PIN_PROMPT, TOUCH_PROMPT, pexpect.EOF], async_=True)
                transcript += child.before or b""
                if index == 0:  # asked again: the PIN was wrong
                    raise VouchFailed("The PIN was not accepted.", advice="Check your YubiKey PIN and try again.")
            if index == 1:
                on_progress(LoginStep.TOUCH_KEY)
                await child.expect([pexpect.EOF], async_=True)
                transcript += child.before or b""
            child.close()
            code = child.exitstatus if child.exitstatus is not None else 1
        except pexpect.TIMEOUT:
            raise VouchTimeout(f"vouch login did not finish within {self.timeout:g} s.",
                               advice="Touch your YubiKey when it blinks; try again.") from None
        finally:
            self._kill()
        if code != 0:
            text = transcript.decode(errors="replace")
            if pin:
                text = text.replace(pin, "****")
            errors = [line.strip() for line in text.splitlines() if line.strip()]
            raise error_for(code, "\n".join(errors[-1:]), "login")
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
            if child.pid is not None:  # always set once spawned (pexpect's types allow None before that)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.pid, signal.SIGKILL)  # the child leads its own session and group
            child.close(force=True)
        elif not child.closed:
            child.close()
