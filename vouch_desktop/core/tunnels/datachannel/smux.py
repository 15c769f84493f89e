"""smux v1 (github.com/xtaci/smux): many byte streams over one ordered byte stream.

SSM agents newer than 3.0.196.0 multiplex a port-forwarding session's TCP connections this way:
the client opens a stream per local connection, the agent dials the destination for each.
A frame is an 8-byte header (version, command, little-endian length and stream id) and its data.
Frames may arrive split across data channel messages, so the parser keeps what is incomplete.
Version 1 has no per-stream flow control: a session-wide receive buffer bounds memory, and when
it is full ``feed`` waits, which holds back acknowledgements and so the sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import struct
from collections.abc import Awaitable, Callable

from vouch_desktop.core.tunnels.datachannel.messages import ProtocolError

VERSION = 1
FRAME = struct.Struct("<BBHI")
MAX_FRAME_DATA = 32768  # smux's default MaxFrameSize
RECEIVE_BUFFER = 4 * 1024 * 1024  # smux's default MaxReceiveBuffer


class Command(enum.IntEnum):
    SYN = 0  # open a stream
    FIN = 1  # close a stream
    PSH = 2  # data
    NOP = 3  # keep-alive


def frame(command: Command, stream_id: int, data: bytes = b"") -> bytes:
    return FRAME.pack(VERSION, command, len(data), stream_id) + data


class SmuxStream:
    def __init__(self, session: SmuxSession, stream_id: int) -> None:
        self.session = session
        self.id = stream_id
        self._chunks: list[bytes] = []
        self._readable = asyncio.Event()
        self._remote_closed = False
        self._local_closed = False

    async def read(self) -> bytes:
        """The next bytes from the other side; b"" once it has closed the stream."""
        while not self._chunks and not self._remote_closed:
            self._readable.clear()
            await self._readable.wait()
        if not self._chunks:
            return b""
        data = b"".join(self._chunks)
        self._chunks.clear()
        self.session._consumed(len(data))
        return data

    async def write(self, data: bytes) -> None:
        if self._local_closed or self._remote_closed:
            raise ConnectionResetError(f"smux stream {self.id} is closed")
        for start in range(0, len(data), MAX_FRAME_DATA):
            await self.session._send(frame(Command.PSH, self.id, data[start:start + MAX_FRAME_DATA]))

    async def close(self) -> None:
        if self._local_closed:
            return
        self._local_closed = True
        self.session._consumed(sum(map(len, self._chunks)))  # nobody will read these now
        self._chunks.clear()
        with contextlib.suppress(Exception):  # the session may be gone already
            await self.session._send(frame(Command.FIN, self.id))
        self.session._forget_if_done(self)

    @property
    def closed(self) -> bool:
        return self._local_closed or self._remote_closed

    def _push(self, data: bytes) -> None:
        self._chunks.append(data)
        self._readable.set()

    def _remote_close(self) -> None:
        self._remote_closed = True
        self._readable.set()
        self.session._forget_if_done(self)


class SmuxSession:
    """One side of a smux session. ``send`` writes bytes towards the other side, in order."""

    def __init__(self, send: Callable[[bytes], Awaitable[None]], *, client: bool,
                 keepalive: float | None = None, receive_buffer: int = RECEIVE_BUFFER) -> None:
        self._send_bytes = send
        self._client = client
        self._next_id = 1 if client else 0  # client streams are odd, as in smux
        self._streams: dict[int, SmuxStream] = {}
        self._incoming: asyncio.Queue[SmuxStream] = asyncio.Queue()
        self._pending = bytearray()
        self._buffered = 0
        self._receive_buffer = receive_buffer
        self._drained = asyncio.Event()
        self._drained.set()
        self._write_lock = asyncio.Lock()  # one whole frame at a time: the byte stream is shared
        self._closed = False
        self._keepalive = asyncio.ensure_future(self._keep_alive(keepalive)) if keepalive else None

    @property
    def stream_count(self) -> int:
        return len(self._streams)

    async def open_stream(self) -> SmuxStream:
        self._next_id += 2
        stream = SmuxStream(self, self._next_id)
        self._streams[stream.id] = stream
        await self._send(frame(Command.SYN, stream.id))
        return stream

    async def accept(self) -> SmuxStream:
        """The next stream the other side opened (the agent's side uses this)."""
        return await self._incoming.get()

    async def feed(self, data: bytes) -> None:
        """Bytes from the other side, in order, cut anywhere."""
        self._pending += data
        while len(self._pending) >= FRAME.size:
            version, command, length, stream_id = FRAME.unpack_from(self._pending)
            if version != VERSION:
                raise ProtocolError(f"smux frame with version {version}: expected {VERSION}")
            if len(self._pending) < FRAME.size + length:
                break
            payload = bytes(self._pending[FRAME.size:FRAME.size + length])
            del self._pending[:FRAME.size + length]
            await self._dispatch(command, stream_id, payload)

    async def _dispatch(self, command: int, stream_id: int, payload: bytes) -> None:
        stream = self._streams.get(stream_id)
        if command == Command.PSH:
            if stream is not None and not stream._local_closed:
                stream._push(payload)
                self._buffered += len(payload)
                if self._buffered > self._receive_buffer:
                    self._drained.clear()
                    await self._drained.wait()
        elif command == Command.SYN:
            if stream is None and not self._client:
                stream = self._streams[stream_id] = SmuxStream(self, stream_id)
                self._incoming.put_nowait(stream)
        elif command == Command.FIN:
            if stream is not None:
                stream._remote_close()
        elif command != Command.NOP:
            raise ProtocolError(f"unknown smux command {command}")

    def _consumed(self, count: int) -> None:
        self._buffered -= count
        if self._buffered <= self._receive_buffer:
            self._drained.set()

    def _forget_if_done(self, stream: SmuxStream) -> None:
        if stream._local_closed and stream._remote_closed:
            self._streams.pop(stream.id, None)

    async def _send(self, data: bytes) -> None:
        if self._closed:
            raise ConnectionResetError("the smux session is closed")
        async with self._write_lock:
            await self._send_bytes(data)

    async def _keep_alive(self, interval: float) -> None:
        with contextlib.suppress(Exception):  # the session or its channel ended: nothing to keep alive
            while not self._closed:
                await asyncio.sleep(interval)
                await self._send(frame(Command.NOP, 0))

    def close(self) -> None:
        """End every stream (their readers see the end) and stop sending."""
        self._closed = True
        if self._keepalive is not None:
            self._keepalive.cancel()
        for stream in list(self._streams.values()):
            stream._local_closed = True
            stream._remote_close()
        self._drained.set()
