"""The vouch CLI, through its documented interface; exit codes become typed errors with plain words.

Exit codes: 0 ok, 1 error, 2 not logged in, 3 no security key, 4 network, 5 permission, 6 config.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass

from vouch_desktop.core.errors import ExternalToolError
from vouch_desktop.core.system.processes import ProcessRegistry, ProcessTimeout, run
from vouch_desktop.core.vouch.errors import (
    VouchBadOutput,
    VouchConfigError,
    VouchError,
    VouchFailed,
    VouchNetworkError,
    VouchNoKey,
    VouchNotInstalled,
    VouchNotLoggedIn,
    VouchPermissionError,
    VouchTimeout,
)

_BY_CODE: dict[int, tuple[type[VouchError], str, str]] = {
    2: (VouchNotLoggedIn, "You are not logged in to Vouch.", "Log in from the tray (YubiKey touch + PIN)."),
    3: (VouchNoKey, "No security key was found.", "Plug in your YubiKey and try again."),
    4: (VouchNetworkError, "Vouch could not reach its server.", "Check your network connection (and VPN)."),
    5: (VouchPermissionError, "Vouch refused: permission denied.",
        "Your account may not use this role; ask your Vouch administrator."),
    6: (VouchConfigError, "Vouch is not configured correctly.",
        "Run 'vouch setup aws' or check ~/.config/vouch/config.json."),
}


def error_for(code: int, stderr: str, action: str) -> VouchError:
    text = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    if code in _BY_CODE:
        cls, message, advice = _BY_CODE[code]
        return cls(message, advice=advice, detail=text)
    return VouchFailed(f"vouch {action} failed" + (f": {text}" if text else f" (exit code {code})."), detail=text)


@dataclass(frozen=True)
class VouchStatus:
    authenticated: bool
    email: str = ""
    expires_in_seconds: int = 0
    agent_running: bool = False
    read_at: float = 0.0  # wall-clock time when the status was read

    @property
    def expires_at(self) -> float | None:
        """Absolute wall-clock expiry, computed once from the relative value the CLI gave."""
        return self.read_at + self.expires_in_seconds if self.authenticated else None


def parse_status(text: str, read_at: float) -> VouchStatus:
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("authenticated"), bool):
            raise ValueError("no 'authenticated' field")
        expires = int(data.get("expires_in_seconds") or 0)
    except (ValueError, TypeError) as exc:
        raise VouchBadOutput("vouch status gave output this app cannot read.",
                             advice="Update the vouch CLI, or report this together with 'vouch --version'.",
                             detail=f"{exc}: {text[:200]!r}") from None
    return VouchStatus(authenticated=data["authenticated"] and expires > 0, email=str(data.get("email") or ""),
                       expires_in_seconds=max(0, expires), agent_running=bool(data.get("agent_running")),
                       read_at=read_at)


def _unknown_flag(stderr: str) -> bool:
    text = stderr.lower()
    return any(s in text for s in ("unexpected argument", "unrecognized", "unknown flag", "found argument",
                                   "invalid choice"))


class VouchClient:
    def __init__(self, executable: str | None = None, timeout: float = 10.0,
                 wall: Callable[[], float] = time.time, *, processes: ProcessRegistry | None = None) -> None:
        self._configured = executable or ""
        # the app's registry, so that quitting stops a vouch still running; a one-off client has its own
        self.processes = processes if processes is not None else ProcessRegistry()
        self.timeout = timeout
        self._wall = wall
        self._status_args: list[str] | None = None  # which status flag spelling this vouch understands

    @property
    def executable(self) -> str:
        found = self._configured or shutil.which("vouch")
        if not found:
            raise VouchNotInstalled("The vouch CLI was not found.",
                                    advice="Install Vouch, or set the path to the vouch executable in Settings.")
        return found

    def use_executable(self, executable: str | None) -> None:
        """The vouch the user chose in Settings (None or empty: the one on PATH), from the next call."""
        self._configured = executable or ""

    async def _run(self, args: list[str], action: str, timeout: float | None = None) -> tuple[int, str, str]:
        try:
            result = await run([self.executable, *args], timeout=timeout or self.timeout, registry=self.processes)
        except ProcessTimeout:
            raise VouchTimeout(f"vouch {action} did not answer within {timeout or self.timeout:g} s.",
                               advice="The Vouch agent may be stuck: try again, or restart it.") from None
        except ExternalToolError as exc:
            raise VouchNotInstalled(exc.message, advice="Check the vouch path in Settings.") from None
        return result.returncode, result.stdout, result.stderr

    async def status(self) -> VouchStatus:
        candidates = ([self._status_args] if self._status_args
                      else [["status", "--format", "json"], ["status", "--json"]])
        for args in candidates:
            read_at = self._wall()
            code, out, err = await self._run(args, "status")
            if code == 0:
                self._status_args = args
                return parse_status(out, read_at)
            if code == 2 and _unknown_flag(err):
                continue  # an older vouch: try the other spelling
            if code == 2:
                return VouchStatus(authenticated=False, read_at=read_at)
            raise error_for(code, err, "status")
        raise VouchBadOutput("This vouch does not support 'status --format json' nor 'status --json'.",
                             advice="Update the vouch CLI.")

    async def logout(self) -> None:
        code, _, err = await self._run(["logout"], "logout")
        if code not in (0, 2):
            raise error_for(code, err, "logout")

    async def setup_aws(self) -> str:
        code, out, err = await self._run(["setup", "aws"], "setup aws", timeout=60)
        if code != 0:
            raise error_for(code, err, "setup aws")
        return out.strip()

    async def setup_ssm(self) -> str:
        code, out, err = await self._run(["setup", "ssm"], "setup ssm", timeout=60)
        if code != 0:
            raise error_for(code, err, "setup ssm")
        return out.strip()

    async def credential_works(self, role_arn: str) -> bool:
        """Whether credential_process would succeed; the credentials themselves are dropped unread."""
        code, _, err = await self._run(["credential", "aws", "--role", role_arn], "credential")
        if code != 0:
            raise error_for(code, err, "credential")
        return True
