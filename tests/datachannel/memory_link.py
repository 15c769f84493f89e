"""Two in-memory websocket ends, for exercising the data channel without a network."""

from __future__ import annotations

import asyncio


class MemorySocket:
    def __init__(self) -> None:
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.peer: MemorySocket | None = None
        self.sent: list[bytes] = []

    @classmethod
    def pair(cls) -> tuple[MemorySocket, MemorySocket]:
        a, b = cls(), cls()
        a.peer, b.peer = b, a
        return a, b

    async def send(self, data: bytes) -> None:
        if self.peer is None:
            raise ConnectionResetError("closed")
        self.sent.append(data)
        self.peer.inbox.put_nowait(data)

    async def __aiter__(self):
        while (item := await self.inbox.get()) is not None:
            yield item

    def close(self) -> None:
        if self.peer is not None:
            self.peer.inbox.put_nowait(None)
            self.inbox.put_nowait(None)
            self.peer.peer = self.peer = None


class FaultyLink:
    """A socket with ``LinkFaults`` applied to the output stream messages it sends and the input
    stream messages it receives (each fault fires once): for a DataChannel playing the agent."""

    def __init__(self, ws, faults) -> None:
        self.ws = ws
        self.faults = faults
        self._held: bytes | None = None

    @staticmethod
    def _sequence(frame, message_type: str) -> int | None:
        from vouch_desktop.core.tunnels.datachannel.messages import ClientMessage

        if isinstance(frame, str):
            return None
        message = ClientMessage.decode(frame)
        return message.sequence_number if message.message_type == message_type else None

    async def send(self, frame: bytes) -> None:
        sequence = self._sequence(frame, "output_stream_data")
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

    async def __aiter__(self):
        async for frame in self.ws:
            sequence = self._sequence(frame, "input_stream_data")
            if sequence in self.faults.ignore_input:
                self.faults.ignore_input.discard(sequence)
                continue
            yield frame
