"""One running app per user, and a control channel for the command line: a Unix socket that
speaks the typed protocol of core/system/ipc_protocol.py, one request and one reply per connection.
The socket lives in the user's runtime folder (0700) and is itself 0600, so only this user can
talk to the app.

Handlers are registered per request type (``Handlers.register``); a request that is not in the
protocol (too big, too deep, not JSON, unknown command, wrong fields) gets an error reply and one
log line, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.system.ipc_client import is_running
from vouch_desktop.core.system.ipc_protocol import (
    MAX_MESSAGE_BYTES,
    BadMessage,
    ControlError,
    ErrorKind,
    Failure,
    Ping,
    Pong,
    Reply,
    Request,
    decode_request,
    encode_reply,
    failure_for,
)

__all__ = ["AlreadyRunning", "Handlers", "IpcServer", "socket_owner_gone"]

log = logging.getLogger(__name__)
READ_TIMEOUT = 10.0
Q = TypeVar("Q", bound=Request[Any])
Handler = Callable[[Any], Awaitable[Reply]]


class AlreadyRunning(ControlError):
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
            if str(conn.laddr) == str(path) and conn.pid:  # a Unix socket's address is its path
                return conn.pid
    except Exception:  # psutil cannot look on this platform, or may not
        return None
    return None


class Handlers:
    """Request type → the coroutine that answers it."""

    def __init__(self) -> None:
        self._by_type: dict[type[Request[Any]], Handler] = {}
        self.register(Ping, self._pong)

    def register(self, request_type: type[Q], handler: Callable[[Q], Awaitable[Reply]]) -> None:
        if request_type in self._by_type:
            raise ValueError(f"a handler for {request_type.__name__} is registered already")
        self._by_type[request_type] = handler

    @staticmethod
    async def _pong(_: Ping) -> Pong:
        return Pong()

    async def answer(self, line: bytes) -> Reply | Failure:
        """The reply to one request line."""
        try:
            request = decode_request(line)
        except BadMessage as exc:
            log.warning("control socket: bad request: %s", exc.message)
            return Failure(f"bad request: {exc.message}", kind=ErrorKind.BAD_REQUEST)
        handler = self._by_type.get(type(request))
        if handler is None:
            log.warning("control socket: no handler for %r", request.command)
            return Failure(f"bad request: '{request.command}' is not served here", kind=ErrorKind.BAD_REQUEST)
        try:
            reply = await handler(request)
        except VouchDesktopError as exc:
            log.info("control socket: %s failed: %s", request.command, exc.message)
            return failure_for(exc)
        except Exception as exc:  # a bug must not take the control channel down
            log.error("control socket: %s crashed", request.command, exc_info=exc)
            return Failure(f"internal error: {exc}", kind=ErrorKind.INTERNAL)
        if not isinstance(reply, request.reply_type):
            log.error("control socket: %s answered with %s", request.command, type(reply).__name__)
            return Failure("internal error: wrong kind of answer", kind=ErrorKind.INTERNAL)
        return reply


class IpcServer:
    def __init__(self, path: Path, handlers: Handlers) -> None:
        self.path = Path(path)
        self.handlers = handlers
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        if sys.platform == "win32":
            raise ControlError("The command-line control channel is not available on Windows yet.")
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
            self._server = await asyncio.start_unix_server(self._serve, path=str(self.path),
                                                           limit=MAX_MESSAGE_BYTES)
        except OSError as exc:  # e.g. a runtime folder whose path is too long for a socket
            raise ControlError(f"The command-line control socket {self.path} cannot be opened: {exc}.",
                               advice="Commands like 'vouch-desktop status' will not reach this app.") from exc
        finally:
            os.umask(old_umask)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                line = await asyncio.wait_for(reader.readline(), READ_TIMEOUT)
            except (TimeoutError, ValueError, asyncio.LimitOverrunError, asyncio.IncompleteReadError) as exc:
                what = "too long" if isinstance(exc, (ValueError, asyncio.LimitOverrunError)) else "incomplete"
                log.warning("control socket: bad request: %s", what)
                reply: Reply | Failure = Failure(f"bad request: {what}", kind=ErrorKind.BAD_REQUEST)
            else:
                reply = await self.handlers.answer(line)
            writer.write(encode_reply(reply))
            await writer.drain()
        except (ConnectionError, OSError):
            pass  # the client went away
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self.path.unlink(missing_ok=True)
