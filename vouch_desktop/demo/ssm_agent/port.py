"""The agent's port plugin (agent/session/plugins/port): where a port session's bytes go.

``MuxPortSession`` (port_mux.go): every smux stream the client opens becomes a new connection to
the destination; a destination that cannot be reached gets a ConnectToPortError flag and the stream
closed. ``BasicPortSession`` (port_basic.go), for agents up to 3.0.196.0, for clients older than
1.1.70 and for sessions that are not local port forwarding (AWS-StartSSHSession): one connection,
dialled right after the handshake; when it breaks (the client's DisconnectToPort flag, or the
destination closing it) the agent dials again when the client next sends data — except for SSH
sessions, which end with their connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections.abc import Callable
from typing import Any

from vouch_desktop.core.tunnels.datachannel.messages import ClientMessage, Flag, PayloadType, flag_of
from vouch_desktop.demo.ssm_agent import facts
from vouch_desktop.demo.ssm_agent.datachannel import AgentDataChannel, HandlerNotReady, SessionFailed
from vouch_desktop.demo.ssm_agent.smux import AgentStream, SmuxClosed, SmuxServer

log = logging.getLogger(__name__)
READ_SIZE = 32 * 1024  # io.Copy's buffer, destination → smux stream


class SessionCancelled(Exception):
    """The client's TerminateSession flag."""


def flag_message(flag: Flag) -> bytes:
    return struct.pack(">I", flag)


class PortSessionBase:
    def __init__(self, channel: AgentDataChannel, route: tuple[str, int] | None, *, read_pause: Callable[[], float],
                 on_connect: Callable[[], None]) -> None:
        self.channel = channel
        self.route = route
        self.read_pause = read_pause  # the agent's pause after each read, as it is set now
        self.on_connect = on_connect  # counts connections made to the destination
        self.cancelled: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def dial(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.route is None:
            raise OSError("no route to the destination")
        connection = await asyncio.open_connection(*self.route)
        self.on_connect()
        return connection

    def cancel(self) -> None:
        if not self.cancelled.done():
            self.cancelled.set_result(None)

    async def send_flag(self, flag: Flag) -> None:
        await self.channel.send_stream(PayloadType.FLAG, flag_message(flag))

    async def paced(self) -> None:
        """The pause after each read, and no reading while the service has paused the channel."""
        if pause := self.read_pause():
            await asyncio.sleep(pause)
        await self.channel.wait_active()


class MuxPortSession(PortSessionBase):
    def __init__(self, *args, keepalive: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.keepalive = keepalive
        self.smux: SmuxServer | None = None
        self._connections: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()  # closed at the end even if their task never ran

    async def start(self) -> None:
        self.smux = SmuxServer(keepalive=self.keepalive)

    @property
    def connections_open(self) -> int:
        """The connections to the destination being carried now (one per smux stream)."""
        return len(self._connections)

    async def handle(self, message: ClientMessage) -> None:
        if self.smux is None:
            raise HandlerNotReady
        if message.payload_type == PayloadType.OUTPUT:
            await self.smux.feed(message.payload)
        elif message.payload_type == PayloadType.FLAG and flag_of(message) == Flag.TERMINATE_SESSION:
            self.cancel()

    async def run(self) -> str:
        """WritePump: until the smux session ends (or the session is cancelled)."""
        assert self.smux is not None
        tasks = [asyncio.ensure_future(self._to_client()), asyncio.ensure_future(self._accept())]
        try:
            await asyncio.wait([*tasks, self.cancelled, self.smux.closed], return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.smux.close("the session ended")
            for task in [*tasks, *self._connections]:
                task.cancel()
            await asyncio.gather(*tasks, *self._connections, return_exceptions=True)
            for writer in self._writers:
                writer.close()
        return "" if self.cancelled.done() else self.smux.closed.result()

    async def _to_client(self) -> None:  # transferDataToMgs
        assert self.smux is not None
        with contextlib.suppress(SmuxClosed):
            while True:
                await self.channel.wait_active()
                data = await self.smux.read_out(facts.PAYLOAD_SIZE)
                await self.channel.send_stream(PayloadType.OUTPUT, data)
                await self.paced()

    async def _accept(self) -> None:  # handleServerConnections
        assert self.smux is not None
        with contextlib.suppress(SmuxClosed):
            while True:
                stream = await self.smux.accept()
                try:
                    reader, writer = await self.dial()
                except OSError as exc:
                    log.info("unable to dial connection to server: %s", exc)
                    await self.send_flag(Flag.CONNECT_TO_PORT_ERROR)
                    await stream.close()
                    continue
                self._writers.add(writer)
                task = asyncio.ensure_future(self._transfer(stream, reader, writer))
                self._connections.add(task)
                task.add_done_callback(self._connections.discard)

    async def _transfer(self, stream: AgentStream, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def upstream() -> None:  # stream → destination
            while data := await stream.read():
                writer.write(data)
                await writer.drain()

        async def downstream() -> None:  # destination → stream
            while data := await reader.read(READ_SIZE):
                await stream.write(data)

        tasks = [asyncio.ensure_future(upstream()), asyncio.ensure_future(downstream())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            writer.close()
            self._writers.discard(writer)
            await stream.close()

    def stop(self) -> None:
        if self.smux is not None:
            self.smux.close("stopped")
        for writer in self._writers:
            writer.close()


class BasicPortSession(PortSessionBase):
    def __init__(self, *args, forwarding_type: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.forwarding_type = forwarding_type
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.reconnect_to_port = False
        self._reconnected: asyncio.Future[BaseException | None] | None = None

    async def start(self) -> None:
        """InitializeSession: dial now, before the client sends anything."""
        try:
            self.reader, self.writer = await self.dial()
        except OSError as exc:
            raise SessionFailed(f"Unable to connect to specified port: {exc}") from None

    async def handle(self, message: ClientMessage) -> None:
        if self.writer is None:  # IsConnectionAvailable
            raise HandlerNotReady
        if message.payload_type == PayloadType.OUTPUT:
            if self.reconnect_to_port:
                error: BaseException | None = None
                try:
                    self.reader, self.writer = await self.dial()
                except OSError as exc:
                    error = exc
                if self._reconnected is not None and not self._reconnected.done():
                    self._reconnected.set_result(error)
                if error is not None:
                    raise error
                self.reconnect_to_port = False
            self.writer.write(message.payload)
            await self.writer.drain()
        elif message.payload_type == PayloadType.FLAG:
            flag = flag_of(message)
            if flag == Flag.DISCONNECT_TO_PORT:
                self._disconnect()
            elif flag == Flag.TERMINATE_SESSION:
                self.cancel()

    @property
    def connections_open(self) -> int:
        """The connection to the destination: 1 until the client's DisconnectToPort (or its end), then 0."""
        return 0 if self.writer is None or self.reconnect_to_port else 1

    def _disconnect(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reconnect_to_port = True

    async def run(self) -> str:
        pump = asyncio.ensure_future(self._write_pump())
        ends: list[asyncio.Future[Any]] = [pump, self.cancelled]
        try:
            await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED)
        finally:
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)
            self.stop()
        return "" if self.cancelled.done() or pump.cancelled() else pump.result()

    async def _write_pump(self) -> str:
        while True:
            await self.channel.wait_active()
            reader = self.reader
            assert reader is not None
            try:
                data = await reader.read(facts.PAYLOAD_SIZE)
            except OSError:
                data = b""
            if not data:
                if self.forwarding_type != facts.LOCAL_PORT_FORWARDING:
                    return ""  # handleSSHDPortError: the session ends with its connection
                if self.reader is not reader:
                    continue  # the client's data made the agent dial again already
                # handlePortError: close, and wait for the client's next data to dial again
                self._disconnect()
                self._reconnected = asyncio.get_running_loop().create_future()
                error = await self._reconnected
                if error is not None:
                    return f"Unable to connect to specified port: {error}"
                continue
            await self.channel.send_stream(PayloadType.OUTPUT, data)
            await self.paced()

    def stop(self) -> None:
        if self.writer is not None:
            self.writer.close()
