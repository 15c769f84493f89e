"""smux v1 between two sessions whose byte stream is cut at random places."""

from __future__ import annotations

import asyncio
import os
import random

import pytest

from vouch_desktop.core.tunnels.datachannel.messages import ProtocolError
from vouch_desktop.core.tunnels.datachannel.smux import FRAME, Command, SmuxSession, frame


def back_to_back(seed: int = 1, receive_buffer: int = 4 * 1024 * 1024):
    """A client and a server session; every write reaches the other side in random-sized pieces."""
    rng = random.Random(seed)
    sessions: dict[str, SmuxSession] = {}

    def sender(to: str):
        async def send(data: bytes) -> None:
            while data:
                cut = rng.randint(1, 50)
                await sessions[to].feed(data[:cut])
                data = data[cut:]
        return send

    sessions["client"] = SmuxSession(sender("server"), client=True, receive_buffer=receive_buffer)
    sessions["server"] = SmuxSession(sender("client"), client=False, receive_buffer=receive_buffer)
    return sessions["client"], sessions["server"]


async def read_all(stream) -> bytes:
    chunks = []
    while data := await stream.read():
        chunks.append(data)
    return b"".join(chunks)


def test_streams_carry_their_own_bytes_and_close():
    async def scenario():
        client, server = back_to_back()
        streams = [await client.open_stream() for _ in range(3)]
        assert [s.id for s in streams] == [3, 5, 7]  # odd ids, as smux clients use
        accepted = [await server.accept() for _ in range(3)]
        payloads = [os.urandom(100_000), b"", os.urandom(70_000)]
        for stream, payload in zip(streams, payloads, strict=True):
            await stream.write(payload)
            await stream.close()
        for stream in accepted:  # in whatever order they were accepted
            assert stream.id in {3, 5, 7}
            assert await read_all(stream) == payloads[[3, 5, 7].index(stream.id)]
            await stream.close()
        # back the other way on a fresh stream
        stream = await client.open_stream()
        peer = await server.accept()
        await peer.write(b"pong")
        assert await stream.read() == b"pong"
        assert client.stream_count == 1
        await stream.close()
        await peer.close()
        assert client.stream_count == server.stream_count == 0

    asyncio.run(scenario())


def test_a_full_receive_buffer_holds_the_sender_until_the_reader_catches_up():
    async def scenario():
        client, server = back_to_back(receive_buffer=10_000)
        stream = await client.open_stream()
        peer = await server.accept()
        writing = asyncio.ensure_future(stream.write(os.urandom(50_000)))
        await asyncio.sleep(0.05)
        assert not writing.done()  # held: nobody reads on the other side
        received = b""
        while len(received) < 50_000:
            received += await peer.read()
        await asyncio.wait_for(writing, 2)

    asyncio.run(scenario())


def test_keepalives_are_ignored_and_nonsense_is_refused():
    async def scenario():
        _, server = back_to_back()
        await server.feed(frame(Command.NOP, 0))
        with pytest.raises(ProtocolError, match="version"):
            await server.feed(FRAME.pack(2, Command.PSH, 0, 3))
        _, server = back_to_back()
        with pytest.raises(ProtocolError, match="command"):
            await server.feed(FRAME.pack(1, 9, 0, 3))

    asyncio.run(scenario())


def test_closing_the_session_ends_every_stream():
    async def scenario():
        client, server = back_to_back()
        stream = await client.open_stream()
        await server.accept()
        reading = asyncio.ensure_future(stream.read())
        await asyncio.sleep(0.01)
        client.close()
        assert await asyncio.wait_for(reading, 1) == b""
        with pytest.raises(ConnectionResetError):
            await stream.write(b"late")

    asyncio.run(scenario())
