"""Logging in with ``vouch login``, one interface for every platform.

On Linux and macOS vouch reads the PIN from its terminal: the app runs it in a pseudo-terminal and types
the PIN it asked for (core/vouch/login_pty.py). On Windows vouch hands PIN and touch to the system's
WebAuthn dialog (Windows Security) and needs no terminal: the app runs it plainly, says "Complete the
Windows Security prompt" and follows its exit code (core/vouch/login_webauthn.py).

``--timeout`` is how long vouch waits for a key to be plugged in; the app waits longer than that (the
PIN, the touch and the server come after), so that vouch's own "no key" (exit 3) is what the user sees.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable
from typing import Protocol

from vouch_desktop.core.vouch.cli_text import LOGIN_TIMEOUT_DEFAULT

LOGIN_GRACE = 90.0  # after the key is found: PIN, touch (the key gives up after ~30 s) and two server calls


class LoginStep(enum.Enum):
    STARTING = "starting"
    INSERT_KEY = "insert your key"  # vouch waits for a key to be plugged in
    WAITING_FOR_PIN = "waiting for PIN"
    CHECKING_PIN = "checking PIN"
    TOUCH_KEY = "touch your key"
    SECURITY_PROMPT = "complete the system's security prompt"  # Windows: PIN and touch in its own dialog
    DONE = "done"


class LoginRunner(Protocol):
    """One login attempt: ``await run(pin, on_progress)``; ``cancel()`` stops vouch for real."""

    needs_pin: bool  # False: the system asks for the PIN itself (Windows)
    key_timeout: int

    async def run(self, pin: str, on_progress: Callable[[LoginStep], None]) -> None: ...
    def cancel(self) -> None: ...


class LoginProcess:
    """What every way of running ``vouch login`` shares: its command line, vouch's own time-out for a
    key to be plugged in (``key_timeout``) and the app's longer one (``timeout``)."""

    def __init__(self, executable: str, key_timeout: int = LOGIN_TIMEOUT_DEFAULT,
                 env: dict[str, str] | None = None, grace: float = LOGIN_GRACE) -> None:
        self.executable = executable
        self.key_timeout = int(key_timeout)
        self.grace = grace
        self.env = env

    @property
    def timeout(self) -> float:
        """The app's own limit: longer than vouch's (``--timeout``), so vouch's answer comes first."""
        return self.key_timeout + self.grace

    def argv(self) -> list[str]:
        return [self.executable, "login", "--timeout", str(self.key_timeout)]


def uses_system_prompt(platform: str = sys.platform) -> bool:
    return platform == "win32"


def login_for_platform(executable: str, platform: str = sys.platform, *,
                       key_timeout: int = LOGIN_TIMEOUT_DEFAULT) -> LoginRunner:
    if uses_system_prompt(platform):
        from vouch_desktop.core.vouch.login_webauthn import WebAuthnLogin

        return WebAuthnLogin(executable, key_timeout=key_timeout)
    from vouch_desktop.core.vouch.login_pty import PtyLogin  # pexpect's pty: POSIX only

    return PtyLogin(executable, key_timeout=key_timeout)
