"""The vouch agent's socket: the session read straight from the agent, without starting the CLI.

Protocol (crates/vouch-agent: ``wire.rs``, ``protocol.rs``, ``client.rs``): a Unix socket, each frame a
4-byte big-endian length (1 byte to 1 MiB) and a JSON-RPC 2.0 message. ``get_session`` answers the
session (``state.rs`` ``SessionInfo``) or the error -32000 "not authenticated" (-32001 "session expired"
in older agents). The socket (``vouch-common/src/paths.rs``): ``$XDG_RUNTIME_DIR/vouch/agent.sock``,
else ``$XDG_CACHE_HOME``/``~/.cache`` ``/vouch/agent.sock``; older agents used ``~/.vouch/agent.sock``.

Only an answer from the agent is used. No socket, a refused connection, a time-out or anything the
app cannot read means "ask the CLI instead" (as ``vouch status`` itself falls back), logged once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import stat
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.vouch.status import VouchStatus, decode_object, parse_agent_session

log = logging.getLogger(__name__)

MAX_FRAME = 1024 * 1024
NOT_AUTHENTICATED, SESSION_EXPIRED = -32000, -32001
SOCKET_NAME = "agent.sock"


def agent_socket_candidates(env: Mapping[str, str] | None = None, home: Path | None = None) -> list[Path]:
    """Where an agent may listen, newest layout first (no Unix sockets on Windows: none)."""
    if sys.platform == "win32":
        return []
    env = os.environ if env is None else env
    home = home or Path(env.get("HOME") or Path.home())
    found: list[Path] = []
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if os.path.isabs(runtime):
        found.append(Path(runtime) / "vouch" / SOCKET_NAME)
    cache = env.get("XDG_CACHE_HOME", "")
    found.append((Path(cache) if os.path.isabs(cache) else home / ".cache") / "vouch" / SOCKET_NAME)
    found.append(home / ".vouch" / SOCKET_NAME)
    return found


class AgentProtocolError(VouchDesktopError):
    pass


class VouchAgent:
    def __init__(self, candidates: Callable[[], list[Path]] = agent_socket_candidates, timeout: float = 2.0,
                 wall: Callable[[], float] = time.time) -> None:
        self._candidates = candidates
        self.timeout = timeout
        self._wall = wall
        self._ids = itertools.count(1)
        self._last_problem = ""

    def socket_path(self) -> Path | None:
        for path in self._candidates():
            with contextlib.suppress(OSError):
                if stat.S_ISSOCK(path.stat().st_mode):
                    return path
        return None

    async def get_session(self) -> VouchStatus | None:
        """The session as the agent has it; None when no agent answers (then ask the CLI)."""
        path = self.socket_path()
        if path is None:
            return None
        read_at = self._wall()
        try:
            response = await asyncio.wait_for(self._call(path, "get_session"), self.timeout)
            status = self._session_from(response, read_at)
        except (OSError, TimeoutError, AgentProtocolError, VouchDesktopError) as exc:
            problem = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            if problem != self._last_problem:  # once, not every poll
                log.info("vouch agent at %s not used (%s): asking the CLI", path, problem)
                self._last_problem = problem
            return None
        self._last_problem = ""
        return status

    def _session_from(self, response: dict, read_at: float) -> VouchStatus:
        error = response.get("error")
        if error is not None:
            code = error.get("code") if isinstance(error, dict) else None
            if code == NOT_AUTHENTICATED:
                return VouchStatus(authenticated=False, agent_running=True, read_at=read_at)
            if code == SESSION_EXPIRED:
                return VouchStatus(authenticated=False, expires_in_seconds=0, agent_running=True, read_at=read_at)
            raise AgentProtocolError(f"the agent answered with error {str(code)[:20]}")
        return parse_agent_session(response.get("result"), read_at)

    async def _call(self, path: Path, method: str) -> dict:
        request_id = next(self._ids)
        if sys.platform == "win32":
            raise OSError("no Unix sockets on Windows")
        reader, writer = await asyncio.open_unix_connection(str(path), limit=MAX_FRAME + 4)
        try:
            body = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method}).encode()
            writer.write(len(body).to_bytes(4, "big") + body)
            await writer.drain()
            try:
                length = int.from_bytes(await reader.readexactly(4), "big")
                if not 0 < length <= MAX_FRAME:
                    raise AgentProtocolError(f"a frame of {length:,} bytes")
                payload = await reader.readexactly(length)
            except asyncio.IncompleteReadError:
                raise AgentProtocolError("the agent hung up mid-answer") from None
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        response = decode_object(payload.decode("utf-8", errors="replace"), "the vouch agent")
        if response.get("id") != request_id:
            raise AgentProtocolError("an answer to another request")
        return response
