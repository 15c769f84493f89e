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
