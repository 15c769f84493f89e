"""The control channel's answers: request type → the coroutine that answers it (``Handlers.register``),
and the reply line for every line a client sends. A request that is not in the protocol (too big, too deep,
not JSON, unknown command, wrong fields) gets an error reply and one log line, never a traceback.

Loaded with the first connection, not at start-up: it brings the protocol's message types
(core/system/ipc_protocol.py), which a starting app does not need to listen (issue 23: time to ready)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.system.ipc_protocol import (
    BadMessage,
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

log = logging.getLogger(__name__)
Q = TypeVar("Q", bound=Request[Any])
Handler = Callable[[Any], Awaitable[Reply]]


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

    # the server's lines (core/system/ipc.py): it reads and writes bytes, and leaves the protocol to these
    async def reply_line(self, line: bytes) -> bytes:
        """The reply line to one request line."""
        return encode_reply(await self.answer(line))

    @staticmethod
    def refusal_line() -> bytes:
        """The reply to a connection the transport did not admit (a loopback port's token missing)."""
        log.warning("control channel: a connection without this app's token was refused")
        return encode_reply(Failure("refused: this connection did not prove it comes from this user",
                                    kind=ErrorKind.REFUSED))

    @staticmethod
    def unreadable_line(what: str) -> bytes:
        """The reply to a request line that could not be read whole (``what``: too long, incomplete)."""
        log.warning("control socket: bad request: %s", what)
        return encode_reply(Failure(f"bad request: {what}", kind=ErrorKind.BAD_REQUEST))
