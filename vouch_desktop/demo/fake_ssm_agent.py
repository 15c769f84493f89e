"""A fake SSM agent endpoint: the far side of port-forwarding data channels, on 127.0.0.1.

``FakeAws`` hands out ``StreamUrl``s that point here. For each websocket the fake agent checks the
token of the opening text frame, sends the handshake request, then forwards: every smux stream
(agents newer than 3.0.196.0; the default version here) or the one connection of an older agent
goes to the session's route, a real server on 127.0.0.1. It speaks the protocol through the same
``core.tunnels.datachannel`` classes as the client, from the agent's side (the golden-bytes tests in
tests/datachannel pin the wire format independently).

``faults`` make the link imperfect for tests: outgoing messages dropped once or sent out of order,
incoming messages ignored once (so the client has to resend them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vouch_desktop.core.tunnels.datachannel.channel import DataChannel
from vouch_desktop.core.tunnels.datachannel.messages import (
    INPUT_STREAM,
    OUTPUT_STREAM,
    ClientMessage,
    Flag,
    PayloadType,
    compact_json,
    flag_of,
)
from vouch_desktop.core.tunnels.datachannel.port_forwarding import MULTIPLEXING_AFTER, first_to_finish, version_tuple
from vouch_desktop.core.tunnels.datachannel.smux import SmuxSession, SmuxStream

if TYPE_CHECKING:
    from websockets.asyncio.server import Server

log = logging.getLogger(__name__)
DEFAULT_AGENT_VERSION = "3.3.1142.0"


@dataclass
class AgentTarget:
    """What the agent knows of a session: its token, the document's port properties, where bytes go."""

    token: str
    properties: dict
    route: tuple[str, int] | None


@dataclass
class LinkFaults:
    drop_output: set[int] = field(default_factory=set)  # output sequence numbers lost the first time
    swap_output: set[int] = field(default_factory=set)  # output n held back and sent after n + 1
    ignore_input: set[int] = field(default_factory=set)  # input sequence numbers ignored the first time
    require_kms: bool = False  # ask for KMS encryption in the handshake


def _stream_sequence(frame: bytes | str, message_type: str) -> int | None:
    if isinstance(frame, str):
        return None
    message = ClientMessage.decode(frame)
    return message.sequence_number if message.message_type == message_type else None


class FaultyLink:
    """The agent's websocket, with ``LinkFaults`` applied (each fault fires once)."""

    def __init__(self, ws, faults: LinkFaults) -> None:
        self.ws = ws
        self.faults = faults
        self._held: bytes | None = None

    async def send(self, frame: bytes) -> None:
        sequence = _stream_sequence(frame, OUTPUT_STREAM)
        if sequence in self.faults.drop_output:
            self.faults.drop_output.discard(sequence)
            return
        if sequence in self.faults.swap_output and self._held is None:
            self.faults.swap_output.discard(sequence)
            self._held = frame
            return
        await self.ws.send(frame)
        if self._held is not None and sequence is not None:
            held, self._held = self._held, None
            await self.ws.send(held)

    async def __aiter__(self) -> AsyncIterator[bytes | str]:
        async for frame in self.ws:
            sequence = _stream_sequence(frame, INPUT_STREAM)
            if sequence in self.faults.ignore_input:
                self.faults.ignore_input.discard(sequence)
                continue
            yield frame


class FakeSsmAgent:
    def __init__(self, lookup: Callable[[str], AgentTarget | None],
                 on_terminate: Callable[[str], None] = lambda _: None,
                 *, host: str = "127.0.0.1", version: str = DEFAULT_AGENT_VERSION) -> None:
        self.lookup = lookup
        self.on_terminate = on_terminate
        self.host = host
        self.port = 0
        self.version = version
        self.faults = LinkFaults()
        self.streams_forwarded = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Server | None = None
        self._sessions: dict[str, set[_AgentSide]] = {}

    # ---- life cycle (the agent runs its own event loop in a thread)
    def start(self) -> FakeSsmAgent:
        if self._thread is not None:
            return self
        ready = threading.Event()
        self._loop = loop = asyncio.new_event_loop()

        async def serve() -> None:
            from websockets.asyncio.server import serve as websocket_serve

            self._server = server = await websocket_serve(self._handle, self.host, 0, compression=None,
                                                          max_size=2 ** 22)
            self.port = server.sockets[0].getsockname()[1]
            ready.set()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(serve())
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-ssm-agent", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = self._thread = None

    async def _shutdown(self) -> None:
        server = self._server
        if server is not None:  # None if serving never started
            server.close()
        await self._close_sessions(list(self._sessions), "the agent stopped")
        if server is not None:
            await server.wait_closed()

    def url_for(self, session_id: str) -> str:
        return f"ws://{self.host}:{self.port}/v1/data-channel/{session_id}?role=publish_subscribe"

    def end_session(self, session_id: str) -> None:
        """The session ended on the service's side: tell its channels and close them."""
        self._call(self._close_sessions([session_id], f"Session {session_id} was terminated.", polite=True))

    def drop_connections(self) -> None:
        """Close every data channel websocket abruptly (a network drop, an agent restart)."""
        self._call(self._close_sessions(list(self._sessions), "dropped"))

    def _call(self, coroutine) -> None:
        """Run on the agent's loop without waiting: the caller may be the client's own event loop."""
        if self._loop is None:
            coroutine.close()
            return
        asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    async def _close_sessions(self, session_ids: list[str], reason: str, polite: bool = False) -> None:
        sides = [side for sid in session_ids for side in self._sessions.get(sid, ())]
        await asyncio.gather(*(side.close(reason, polite) for side in sides), return_exceptions=True)

    # ---- one websocket
    async def _handle(self, ws) -> None:
        session_id = ws.request.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        try:
            opening = json.loads(await asyncio.wait_for(ws.recv(), 10))
        except Exception:
            return
        target = self.lookup(session_id)
        if target is None or not isinstance(opening, dict) or opening.get("TokenValue") != target.token:
            await ws.close(4001, "invalid or expired session token")
            return
        side = _AgentSide(self, ws, session_id, target)
        self._sessions.setdefault(session_id, set()).add(side)
        try:
            await side.run()
        finally:
            self._sessions.get(session_id, set()).discard(side)
            if not self._sessions.get(session_id):
                self._sessions.pop(session_id, None)


class _AgentSide:
    def __init__(self, agent: FakeSsmAgent, ws, session_id: str, target: AgentTarget) -> None:
        self.agent = agent
        self.ws = ws
        self.session_id = session_id
        self.target = target
        self.channel = DataChannel(FaultyLink(ws, agent.faults), outgoing=OUTPUT_STREAM, incoming=INPUT_STREAM,
                                   on_message=self.on_message)
        self.multiplexed = version_tuple(agent.version) > MULTIPLEXING_AFTER
        self.mux = SmuxSession(self.channel.send_data, client=False) if self.multiplexed else None
        self.destination: asyncio.StreamWriter | None = None
        self.tasks: set[asyncio.Future] = set()

    def spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def run(self) -> None:
        running = asyncio.ensure_future(self.channel.run())
        actions = [{"ActionType": "SessionType", "ActionParameters": {"SessionType": "Port",
                                                                      "Properties": self.target.properties}}]
        if self.agent.faults.require_kms:
            actions.append({"ActionType": "KMSEncryption", "ActionParameters": {"KMSKeyId": "alias/vouch-demo"}})
        with contextlib.suppress(Exception):
            await self.channel.send(PayloadType.HANDSHAKE_REQUEST, compact_json(
                {"AgentVersion": self.agent.version, "RequestedClientActions": actions}))
        if self.mux is not None:
            self.spawn(self.accept_streams())
        try:
            reason = await running
            log.debug("agent side of %s ended: %s", self.session_id, reason)
        finally:
            if self.mux is not None:
                self.mux.close()
            if self.destination is not None:
                self.destination.close()
            for task in list(self.tasks):
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self.ws.close()

    async def close(self, reason: str, polite: bool) -> None:
        if polite:  # the service says why before it hangs up
            with contextlib.suppress(Exception):
                await self.ws.send(ClientMessage("channel_closed", 0, compact_json(
                    {"MessageType": "channel_closed", "SessionId": self.session_id, "Output": reason})).encode())
        self.channel.close(reason)
        if polite:
            await self.ws.close()
        else:
            self.ws.transport.abort()

    async def on_message(self, message: ClientMessage) -> None:
        kind = message.payload_type
        if kind == PayloadType.HANDSHAKE_RESPONSE:
            response = message.json()
            if any(a.get("ActionStatus") != 1 for a in response.get("ProcessedClientActions") or []):
                self.channel.close(f"the client refused the handshake: {response.get('Errors')}")
                return
            await self.channel.send(PayloadType.HANDSHAKE_COMPLETE, compact_json(
                {"HandshakeTimeToComplete": 1_000_000, "CustomerMessage": ""}))
        elif kind == PayloadType.OUTPUT:
            if self.mux is not None:
                await self.mux.feed(message.payload)
            else:
                await self.write_single(message.payload)
        elif kind == PayloadType.FLAG:
            flag = flag_of(message)
            if flag == Flag.DISCONNECT_TO_PORT and self.destination is not None:
                self.destination.close()
                self.destination = None
            elif flag == Flag.TERMINATE_SESSION:
                self.agent.on_terminate(self.session_id)
                self.channel.close("terminated by the client")

    async def dial(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        if self.target.route is None:
            await self.channel.send_flag(Flag.CONNECT_TO_PORT_ERROR)
            return None
        try:
            return await asyncio.open_connection(*self.target.route)
        except OSError:
            await self.channel.send_flag(Flag.CONNECT_TO_PORT_ERROR)
            return None

    async def accept_streams(self) -> None:
        assert self.mux is not None
        while True:
            self.spawn(self.forward(await self.mux.accept()))

    async def forward(self, stream: SmuxStream) -> None:
        connection = await self.dial()
        if connection is None:
            await stream.close()
            return
        reader, writer = connection
        self.agent.streams_forwarded += 1

        async def upstream() -> None:
            while data := await stream.read():
                writer.write(data)
                await writer.drain()

        async def downstream() -> None:
            while data := await reader.read(65536):
                await stream.write(data)

        try:
            with contextlib.suppress(ConnectionError, OSError):
                await first_to_finish(upstream(), downstream())
        finally:
            writer.close()
            await stream.close()

    async def write_single(self, data: bytes) -> None:
        if self.destination is None:
            connection = await self.dial()
            if connection is None:
                return
            reader, self.destination = connection
            self.agent.streams_forwarded += 1
            self.spawn(self.pump_single(reader))
        self.destination.write(data)
        with contextlib.suppress(ConnectionError):
            await self.destination.drain()

    async def pump_single(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                await self.channel.send_data(data)
