"""One running app per user, and a control channel for the command line that speaks the typed
protocol of core/system/ipc_protocol.py, one request and one reply per connection, over the
platform's transport (core/system/ipc_transport.py: a Unix socket only this user can open, or on
Windows a loopback port guarded by a token in a file only this user can read).

The server reads request lines and writes reply lines; what they say is the business of its ``Handlers``
(core/system/ipc_handlers.py), which the app makes at the first connection: listening needs no protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from vouch_desktop.core.system.ipc_client import is_running
from vouch_desktop.core.system.ipc_errors import ControlError
from vouch_desktop.core.system.ipc_transport import Endpoint, as_endpoint, socket_owner, socket_owner_gone

if TYPE_CHECKING:
    from vouch_desktop.core.system.ipc_handlers import Handlers

__all__ = ["AlreadyRunning", "IpcServer", "socket_owner", "socket_owner_gone"]

log = logging.getLogger(__name__)
READ_TIMEOUT = 10.0


class AlreadyRunning(ControlError):
    pass


class IpcServer:
    """The app's side of the control channel, on ``endpoint`` (a path means a Unix socket)."""

    def __init__(self, endpoint: Endpoint | Path, handlers: Handlers | Callable[[], Handlers]) -> None:
        """``handlers``, or the function that makes them at the first connection (the app's, so that a starting
        app does not load the protocol)."""
        self.endpoint = as_endpoint(endpoint)
        self._handlers = handlers
        self._server: asyncio.AbstractServer | None = None

    @property
    def handlers(self) -> Handlers:
        if callable(self._handlers):
            self._handlers = self._handlers()
        return self._handlers

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
            handlers = self.handlers
            try:
                admitted = await asyncio.wait_for(self.endpoint.admit(reader), READ_TIMEOUT)
                if not admitted:
                    reply = handlers.refusal_line()
                else:
                    line = await asyncio.wait_for(reader.readline(), READ_TIMEOUT)
                    reply = await handlers.reply_line(line)
            except (TimeoutError, ValueError, asyncio.LimitOverrunError, asyncio.IncompleteReadError) as exc:
                what = "too long" if isinstance(exc, (ValueError, asyncio.LimitOverrunError)) else "incomplete"
                reply = handlers.unreadable_line(what)
            writer.write(reply)
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
