"""One running app per user, and a control channel for the command line that speaks the typed
protocol of core/system/ipc_protocol.py, one request and one reply per connection, over the
platform's transport (core/system/ipc_transport.py: a Unix socket only this user can open, or on
Windows a loopback port guarded by a token in a file only this user can read).

Handlers are registered per request type (``Handlers.register``); a request that is not in the
protocol (too big, too deep, not JSON, unknown command, wrong fields) gets an error reply and one
log line, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.system.ipc_client import is_running
from vouch_desktop.core.system.ipc_protocol import (
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
from vouch_desktop.core.system.ipc_transport import Endpoint, as_endpoint, socket_owner, socket_owner_gone

__all__ = ["AlreadyRunning", "Handlers", "IpcServer", "socket_owner", "socket_owner_gone"]

log = logging.getLogger(__name__)
READ_TIMEOUT = 10.0
Q = TypeVar("Q", bound=Request[Any])
Handler = Callable[[Any], Awaitable[Reply]]


class AlreadyRunning(ControlError):
    pass


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
    """The app's side of the control channel, on ``endpoint`` (a path means a Unix socket)."""

    def __init__(self, endpoint: Endpoint | Path, handlers: Handlers) -> None:
        self.endpoint = as_endpoint(endpoint)
        self.handlers = handlers
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        """Listen, unless another app owns the endpoint: one that answers, or one that is alive but does
        not answer (busy, stopped in a debugger) is never replaced; a leftover of one that is gone is."""
        endpoint = self.endpoint
        if endpoint.present():
            if await asyncio.to_thread(is_running, endpoint):
                raise AlreadyRunning("Vouch Desktop is already running.")
            if not await asyncio.to_thread(endpoint.owner_gone):  # busy, or stopped in a debugger
                owner = await asyncio.to_thread(endpoint.owner_pid)
                raise AlreadyRunning(
                    "Vouch Desktop is already running" + (f" (pid {owner})" if owner else "") + " but does not answer.",
                    advice="It may be busy or stopped (in a debugger). Wait for it, or end it and start again.")
            endpoint.remove_leftover()  # left behind by a crash: nobody listens on it any more
        try:
            self._server = await endpoint.listen(self._serve)
        except FileExistsError:  # another app published itself between our look and now
            raise AlreadyRunning("Vouch Desktop is already running.") from None
        except OSError as exc:  # e.g. a runtime folder whose path is too long for a socket
            raise ControlError(f"The command-line control channel ({endpoint.describe()}) cannot be opened: {exc}.",
                               advice="Commands like 'vouch-desktop status' will not reach this app.") from exc

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                admitted = await asyncio.wait_for(self.endpoint.admit(reader), READ_TIMEOUT)
                if not admitted:
                    log.warning("control channel: a connection without this app's token was refused")
                    reply: Reply | Failure = Failure("refused: this connection did not prove it comes from this "
                                                     "user", kind=ErrorKind.REFUSED)
                else:
                    line = await asyncio.wait_for(reader.readline(), READ_TIMEOUT)
                    reply = await self.handlers.answer(line)
            except (TimeoutError, ValueError, asyncio.LimitOverrunError, asyncio.IncompleteReadError) as exc:
                what = "too long" if isinstance(exc, (ValueError, asyncio.LimitOverrunError)) else "incomplete"
                log.warning("control socket: bad request: %s", what)
                reply = Failure(f"bad request: {what}", kind=ErrorKind.BAD_REQUEST)
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
            self.endpoint.close()
