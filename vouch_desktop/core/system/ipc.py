"""One running app per user, and a control channel for the command line: a Unix socket that
speaks one JSON object per line each way. The socket lives in the user's runtime folder (0700)
and is itself 0600, so only this user can talk to the app."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.system.ipc_client import PROTOCOL, NotRunning, is_running, send_request

__all__ = ["AlreadyRunning", "IpcServer", "NotRunning", "is_running", "send_request", "socket_owner_gone"]

MAX_REQUEST = 64 * 1024
Handler = Callable[[str, dict], Awaitable[dict]]


class AlreadyRunning(VouchDesktopError):
    pass


def socket_owner_gone(path: Path) -> bool:
    """Whether the control socket at ``path`` is a leftover whose owner is gone: the kernel refuses a
    connection when no process listens on it any more. An app that is merely slow to answer (busy, or
    stopped with SIGSTOP or in a debugger) still listens, and the kernel queues the connection (or, its
    queue full, makes us wait): its socket must never be taken over."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):
            return True
        except OSError:  # a time-out (queue full), no permission …: someone is there
            return False
    return False


def socket_owner(path: Path) -> int | None:
    """The pid of the process listening on a Unix socket, where the system shows it (our own user's)."""
    try:
        import psutil

        for conn in psutil.net_connections(kind="unix"):
            if conn.laddr == str(path) and conn.pid:
                return conn.pid
    except Exception:  # psutil cannot look on this platform, or may not
        return None
    return None


class IpcServer:
    def __init__(self, path: Path, handler: Handler) -> None:
        self.path = Path(path)
        self.handler = handler
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        if sys.platform == "win32":
            raise VouchDesktopError("The command-line control channel is not available on Windows yet.")
        if self.path.exists() or self.path.is_symlink():
            if await asyncio.to_thread(is_running, self.path):
                raise AlreadyRunning("Vouch Desktop is already running.")
            if not await asyncio.to_thread(socket_owner_gone, self.path):  # busy, or stopped in a debugger
                owner = socket_owner(self.path)
                raise AlreadyRunning(
                    "Vouch Desktop is already running" + (f" (pid {owner})" if owner else "") + " but does not answer.",
                    advice="It may be busy or stopped (in a debugger). Wait for it, or end it and start again.")
            self.path.unlink()  # left behind by a crash: nobody listens on it any more
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        old_umask = os.umask(0o177)
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=str(self.path), limit=MAX_REQUEST)
        except OSError as exc:  # e.g. a runtime folder whose path is too long for a socket
            raise VouchDesktopError(f"The command-line control socket {self.path} cannot be opened: {exc}.",
                                    advice="Commands like 'vouch-desktop status' will not reach this app.") from exc
        finally:
            os.umask(old_umask)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                line = await asyncio.wait_for(reader.readline(), 10)
                request = json.loads(line)
                if not isinstance(request, dict) or not isinstance(request.get("command"), str):
                    raise ValueError("not a request")
            except (TimeoutError, ValueError, asyncio.LimitOverrunError, asyncio.IncompleteReadError) as exc:
                answer = {"ok": False, "error": f"bad request: {type(exc).__name__}"}
            else:
                answer = await self._answer(request["command"], request.get("args") or {})
            writer.write(json.dumps(answer).encode() + b"\n")
            await writer.drain()
        except (ConnectionError, OSError):
            pass  # the client went away
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer(self, command: str, args: dict) -> dict:
        if command == "ping":
            return {"ok": True, "protocol": PROTOCOL}
        try:
            return {"ok": True, **await self.handler(command, args)}
        except VouchDesktopError as exc:
            return {"ok": False, "error": exc.message, "advice": exc.advice, "kind": type(exc).__name__}
        except Exception as exc:  # a bug must not take the control channel down
            return {"ok": False, "error": f"internal error: {exc}"}

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self.path.unlink(missing_ok=True)
