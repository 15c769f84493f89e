"""The vouch CLI, through its documented interface; exit codes become typed errors with plain words.

Exit codes (exit_code.rs): 0 ok, 1 error, 2 not logged in, 3 no security key, 4 network, 5 permission,
6 config, 7 step-up required, 8 rate limited. The session comes from the vouch agent when one runs
(core/vouch/agent.py), else from ``vouch status``.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from vouch_desktop.core.system.processes import ProcessRegistry
from vouch_desktop.core.vouch.agent import VouchAgent
from vouch_desktop.core.vouch.cli_text import ANSI_ESCAPE
from vouch_desktop.core.vouch.errors import (
    SETUP_AWS_HINT,
    VouchBadOutput,
    VouchConfigError,
    VouchError,
    VouchFailed,
    VouchNetworkError,
    VouchNoKey,
    VouchNotInstalled,
    VouchNotLoggedIn,
    VouchPermissionError,
    VouchRateLimited,
    VouchStepUpRequired,
    VouchTimeout,
)
from vouch_desktop.core.vouch.runner import children, run_vouch
from vouch_desktop.core.vouch.status import VouchStatus, parse_status

__all__ = ["VouchBadOutput", "VouchClient", "VouchConfigError", "VouchError", "VouchFailed", "VouchNetworkError",
           "VouchNoKey", "VouchNotInstalled", "VouchNotLoggedIn", "VouchPermissionError", "VouchRateLimited",
           "VouchStatus", "VouchStepUpRequired", "VouchTimeout", "error_for", "parse_status"]

_BY_CODE: dict[int, tuple[type[VouchError], str, str]] = {
    2: (VouchNotLoggedIn, "You are not logged in to Vouch.", "Log in from the tray (YubiKey touch + PIN)."),
    3: (VouchNoKey, "No YubiKey was found.", "Plug in your YubiKey and try again."),
    4: (VouchNetworkError, "Vouch could not reach its server.", "Check your network connection (and VPN)."),
    5: (VouchPermissionError, "Vouch refused: permission denied.",
        "Your account may not use this role; ask your Vouch administrator."),
    6: (VouchConfigError, "Vouch is not configured correctly.",
        f"{SETUP_AWS_HINT} Or check ~/.config/vouch/config.json."),
    7: (VouchStepUpRequired, "Vouch wants you to log in again before it allows this (step-up).",
        "Log in again with your YubiKey, then try once more."),
    8: (VouchRateLimited, "The Vouch server is limiting requests (rate limited).",
        "Wait a minute, then try again."),
}


def last_line(stderr: str) -> str:
    lines = [line.strip() for line in ANSI_ESCAPE.sub("", stderr).splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def error_for(code: int, stderr: str, action: str) -> VouchError:
    text = last_line(stderr)
    if code in _BY_CODE:
        cls, message, advice = _BY_CODE[code]
        return cls(message, advice=advice, detail=stderr.strip()[-2000:])
    return VouchFailed(f"vouch {action} failed" + (f": {text}" if text else f" (exit code {code})."),
                       detail=stderr.strip()[-2000:])


def _unknown_flag(stderr: str) -> bool:
    text = stderr.lower()
    return any(s in text for s in ("unexpected argument", "unrecognized", "unknown flag", "found argument",
                                   "invalid choice"))


class SessionSource(Protocol):
    """Where the session can be read without running the CLI (the vouch agent)."""

    async def get_session(self) -> VouchStatus | None: ...


def vouch_client(executable: str, processes: ProcessRegistry,
                 agent_sockets: Callable[[], list[Path]] | None = None) -> VouchClient:
    """The vouch the app talks to: the CLI chosen in Settings (else the one on PATH), the session read from its
    agent first, at ``agent_sockets`` when given (the demo's agent), else where vouch puts it."""
    agent = VouchAgent(agent_sockets) if agent_sockets is not None else VouchAgent()
    return VouchClient(executable or None, processes=processes, agent=agent)


class VouchClient:
    def __init__(self, executable: str | None = None, timeout: float = 10.0,
                 wall: Callable[[], float] = time.time, *, processes: ProcessRegistry | None = None,
                 agent: SessionSource | None = None) -> None:
        self._configured = executable or ""
        # the app's registry, so that quitting stops a vouch still running; else vouch's own (stopped at exit)
        self.processes = processes if processes is not None else children
        self.timeout = timeout
        self._wall = wall
        self.agent = agent
        self._status_args: list[str] | None = None  # which status flag spelling this vouch understands
        self._begun: asyncio.Future[VouchStatus] | None = None  # a status read started ahead (begin_status)

    @property
    def executable(self) -> str:
        """The vouch to run: the one chosen in Settings, else the one on PATH. Whether it can be run (not a
        folder, executable) is checked each time it is started (core/vouch/runner.py)."""
        if self._configured:
            return self._configured
        found = shutil.which("vouch")
        if not found:
            raise VouchNotInstalled("The vouch CLI was not found.",
                                    advice="Install Vouch, or set the path to the vouch executable in Settings.")
        return found

    def use_executable(self, executable: str | None) -> None:
        """The vouch the user chose in Settings (None or empty: the one on PATH), from the next call."""
        self._configured = executable or ""
        self._status_args = None

    async def _run(self, args: list[str], action: str, timeout: float | None = None) -> tuple[int, str, str]:
        result = await run_vouch([self.executable, *args], action=action, timeout=timeout or self.timeout,
                                 registry=self.processes)
        return result.returncode, result.stdout, result.stderr

    def begin_status(self) -> asyncio.Future[VouchStatus]:
        """Start reading the status now, to go on with other work while it runs (vouch is a process, and may ask
        its server); the next ``status()`` returns this read instead of starting another."""
        if self._begun is None:
            self._begun = asyncio.ensure_future(self._read_status())
            # its failure is status()'s to raise; not logged as never retrieved should the app end before
            self._begun.add_done_callback(lambda read: read.cancelled() or read.exception())
        return self._begun

    async def status(self) -> VouchStatus:
        begun, self._begun = self._begun, None
        if begun is not None:
            return await begun
        return await self._read_status()

    async def _read_status(self) -> VouchStatus:
        if self.agent is not None:
            from_agent = await self.agent.get_session()
            if from_agent is not None:
                return from_agent
        candidates = [self._status_args] if self._status_args else [["status", "--format", "json"],
                                                                    ["status", "--json"]]
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

    async def setup_aws(self, role_arn: str, region: str = "", profile: str = "") -> str:
        """``vouch setup aws --role ARN [--region R] [--profile P]``; its output (what it did)."""
        args = ["setup", "aws", "--role", role_arn]
        if region:
            args += ["--region", region]
        if profile:
            args += ["--profile", profile]
        code, out, err = await self._run(args, "setup aws", timeout=60)
        if code != 0:
            raise error_for(code, err, "setup aws")
        return ANSI_ESCAPE.sub("", out).strip()

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
