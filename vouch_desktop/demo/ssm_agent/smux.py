"""The agent's smux session (github.com/xtaci/smux, version 1, server side), written for the fake.

The agent runs smux over a local socket whose other end is the data channel (port_mux.go): frames
the client sends arrive as message payloads cut anywhere; the agent reads what smux writes in 1 KB
pieces. Like xtaci/smux it accepts the streams the client opens (SYN), keeps a session-wide receive
budget (``MaxReceiveBuffer``) and stops reading frames while it is spent, and, with keep-alive on,
writes a NOP every 10 s and closes the whole session when a 30 s tick finds that nothing at all arrived
since the previous one.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct

from vouch_desktop.demo.ssm_agent import facts

HEADER = struct.Struct("<BBHI")  # version, command, length, stream id
SYN, FIN, PSH, NOP = 0, 1, 2, 3
OUT_LIMIT = 256 * 1024  # what the local socket between smux and the data channel holds before writes wait


class SmuxClosed(Exception):
    pass


class AgentStream:
    def __init__(self, session: SmuxServer, stream_id: int) -> None:
        self.session = session
        self.id = stream_id
        self._chunks: list[bytes] = []
        self._readable = asyncio.Event()
        self.remote_closed = False
        self.local_closed = False

    async def read(self) -> bytes:
        """The next bytes; b"" once the client closed the stream (or the session died)."""
        while not self._chunks and not self.remote_closed and not self.local_closed:
            self._readable.clear()
            await self._readable.wait()
        data = b"".join(self._chunks)
        self._chunks.clear()
        self.session._return_tokens(len(data))
        return data

    async def write(self, data: bytes) -> None:
        for start in range(0, len(data), facts.SMUX_MAX_FRAME):
            if self.local_closed:
                raise SmuxClosed(f"stream {self.id} is closed")
            await self.session._write_frame(PSH, self.id, data[start:start + facts.SMUX_MAX_FRAME])

    async def close(self) -> None:
        if self.local_closed:
            return
        self.local_closed = True
        self._readable.set()
        self.session._return_tokens(sum(map(len, self._chunks)))
        self._chunks.clear()
        with contextlib.suppress(SmuxClosed):
            await self.session._write_frame(FIN, self.id)
        self.session.streams.pop(self.id, None)


class SmuxServer:
    def __init__(self, *, keepalive: bool, interval: float = facts.SMUX_KEEPALIVE_INTERVAL,
                 timeout: float = facts.SMUX_KEEPALIVE_TIMEOUT) -> None:
        self.streams: dict[int, AgentStream] = {}
        self.keepalive = keepalive
        self.nops_sent = 0
        self.closed = asyncio.get_running_loop().create_future()  # resolves to why the session closed
        self._accepts: asyncio.Queue[AgentStream | None] = asyncio.Queue()
        self._pending = bytearray()
        self._out = bytearray()
        self._out_ready = asyncio.Event()
        self._out_room = asyncio.Event()
        self._out_room.set()
        self._bucket = facts.SMUX_RECEIVE_BUFFER
        self._bucket_refilled = asyncio.Event()
        self._data_ready = False
        self._tasks = [asyncio.ensure_future(self._ping(interval)), asyncio.ensure_future(self._watch(timeout))] \
            if keepalive else []

    # ---- frames from the client
    async def feed(self, data: bytes) -> None:
        self._pending += data
        while len(self._pending) >= HEADER.size and not self.closed.done():
            while self._bucket <= 0 and not self.closed.done():  # recvLoop waits for tokens
                self._bucket_refilled.clear()
                await self._bucket_refilled.wait()
            version, command, length, stream_id = HEADER.unpack_from(self._pending)
            if len(self._pending) < HEADER.size + length:
                return
            payload = bytes(self._pending[HEADER.size:HEADER.size + length])
            del self._pending[:HEADER.size + length]
            self._data_ready = True
            if version != 1:
                self.close("invalid protocol")
                return
            stream = self.streams.get(stream_id)
            if command == SYN:
                if stream is None:
                    self.streams[stream_id] = opened = AgentStream(self, stream_id)
                    self._accepts.put_nowait(opened)
            elif command == FIN:
                if stream is not None:
                    stream.remote_closed = True
                    stream._readable.set()
            elif command == PSH:
                if payload and stream is not None:
                    stream._chunks.append(payload)
                    stream._readable.set()
                    self._bucket -= len(payload)
            elif command != NOP:
                self.close("invalid protocol")

    def _return_tokens(self, count: int) -> None:
        self._bucket += count
        if self._bucket > 0:
            self._bucket_refilled.set()

    async def accept(self) -> AgentStream:
        stream = await self._accepts.get()
        if stream is None:
            raise SmuxClosed(self.closed.result())
        return stream

    # ---- frames to the client
    async def _write_frame(self, command: int, stream_id: int, data: bytes = b"") -> None:
        while len(self._out) >= OUT_LIMIT and not self.closed.done():
            self._out_room.clear()
            await self._out_room.wait()
        if self.closed.done():
            raise SmuxClosed(self.closed.result())
        self._out += HEADER.pack(1, command, len(data), stream_id) + data
        self._out_ready.set()

    async def read_out(self, size: int) -> bytes:
        """What smux wrote, at most ``size`` bytes (the agent reads 1 KB at a time)."""
        while not self._out:
            if self.closed.done():
                raise SmuxClosed(self.closed.result())
            self._out_ready.clear()
            await self._out_ready.wait()
        data = bytes(self._out[:size])
        del self._out[:size]
        if len(self._out) < OUT_LIMIT:
            self._out_room.set()
        return data

    # ---- keep-alive
    async def _ping(self, interval: float) -> None:
        with contextlib.suppress(SmuxClosed):
            while True:
                await asyncio.sleep(interval)
                await self._write_frame(NOP, 0)
                self.nops_sent += 1

    async def _watch(self, timeout: float) -> None:
        while True:
            await asyncio.sleep(timeout)
            if not self._data_ready and self._bucket > 0:
                self.close(f"smux keep-alive: nothing received from the client for {timeout:.0f} s")
                return
            self._data_ready = False

    def close(self, reason: str = "closed") -> None:
        if self.closed.done():
            return
        self.closed.set_result(reason)
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        for stream in list(self.streams.values()):
            stream.local_closed = True
            stream._readable.set()
        self.streams.clear()
        self._accepts.put_nowait(None)
        self._out_ready.set()
        self._out_room.set()
        self._bucket_refilled.set()
