"""Sequencing, acknowledgements and retransmission between a client and an agent end, in memory."""

from __future__ import annotations

import asyncio

import pytest

from tests.datachannel.memory_link import FaultyLink, MemorySocket
from vouch_desktop.core.tunnels.datachannel.channel import ChannelClosed, DataChannel
from vouch_desktop.core.tunnels.datachannel.messages import (
    INPUT_STREAM,
    OUTPUT_STREAM,
    PAUSE_PUBLICATION,
    START_PUBLICATION,
    ClientMessage,
    PayloadType,
    compact_json,
)
from vouch_desktop.demo.ssm_agent import LinkFaults


class Ends:
    """A client end and an agent end; the agent's link applies ``faults``."""

    def __init__(self, faults: LinkFaults | None = None, **options) -> None:
        self.client_socket, self.agent_socket = MemorySocket.pair()
        self.faults = faults or LinkFaults()
        self.client_got: list[bytes] = []
        self.agent_got: list[bytes] = []
        self.client = DataChannel(self.client_socket, outgoing=INPUT_STREAM, incoming=OUTPUT_STREAM,
                                  on_message=self._collect(self.client_got), **options)
        self.agent = DataChannel(FaultyLink(self.agent_socket, self.faults), outgoing=OUTPUT_STREAM,
                                 incoming=INPUT_STREAM, on_message=self._collect(self.agent_got), **options)
        self.tasks = [asyncio.ensure_future(self.client.run()), asyncio.ensure_future(self.agent.run())]

    @staticmethod
    def _collect(into: list[bytes]):
        async def on_message(message: ClientMessage) -> None:
            into.append(message.payload)
        return on_message

    async def settle(self, expect_client: int = 0, expect_agent: int = 0, timeout: float = 5.0) -> None:
        async def done() -> None:
            while (len(self.client_got) < expect_client or len(self.agent_got) < expect_agent
                   or self.client.unacknowledged or self.agent.unacknowledged):
                await asyncio.sleep(0.01)
        await asyncio.wait_for(done(), timeout)

    async def close(self) -> None:
        self.client_socket.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def payloads(n: int) -> list[bytes]:
    return [f"message {i}".encode() for i in range(n)]


def test_messages_arrive_in_order_and_are_all_acknowledged():
    async def scenario():
        ends = Ends()
        for data in payloads(20):
            await ends.agent.send(PayloadType.OUTPUT, data)
            await ends.client.send(PayloadType.OUTPUT, data)
        await ends.settle(20, 20)
        assert ends.client_got == payloads(20) and ends.agent_got == payloads(20)
        assert ends.client.stats.resent == ends.agent.stats.resent == 0
        await ends.close()

    asyncio.run(scenario())


def test_a_dropped_frame_is_resent_and_later_ones_wait_for_it():
    async def scenario():
        ends = Ends(LinkFaults(drop_output={2, 5}))
        for data in payloads(8):
            await ends.agent.send(PayloadType.OUTPUT, data)
        await ends.settle(8)
        assert ends.client_got == payloads(8)  # in order despite the gaps
        assert ends.agent.stats.resent >= 2
        assert ends.client.stats.out_of_order >= 1  # 3 and 4 came before the resent 2
        await ends.close()

    asyncio.run(scenario())


def test_out_of_order_frames_are_put_back_in_order():
    async def scenario():
        ends = Ends(LinkFaults(swap_output={1, 4}))
        for data in payloads(7):
            await ends.agent.send(PayloadType.OUTPUT, data)
        await ends.settle(7)
        assert ends.client_got == payloads(7)
        assert ends.client.stats.out_of_order == 2
        await ends.close()

    asyncio.run(scenario())


def test_the_client_resends_what_the_agent_did_not_take():
    async def scenario():
        ends = Ends(LinkFaults(ignore_input={0, 3}))
        for data in payloads(5):
            await ends.client.send(PayloadType.OUTPUT, data)
        await ends.settle(expect_agent=5)
        assert ends.agent_got == payloads(5)
        assert ends.client.stats.resent >= 2
        await ends.close()

    asyncio.run(scenario())


def test_a_repeated_frame_is_acknowledged_again_but_delivered_once():
    async def scenario():
        ends = Ends()
        await ends.agent.send(PayloadType.OUTPUT, b"once")
        await ends.settle(1)
        await ends.agent_socket.send(ends.agent_socket.sent[0])  # the same frame again
        await asyncio.sleep(0.1)
        assert ends.client_got == [b"once"] and ends.client.stats.duplicates == 1
        await ends.close()

    asyncio.run(scenario())


def test_the_agent_can_pause_and_resume_the_client():
    async def scenario():
        ends = Ends()
        await ends.agent_socket.send(ClientMessage(PAUSE_PUBLICATION).encode())
        await asyncio.sleep(0.05)
        sending = asyncio.ensure_future(ends.client.send(PayloadType.OUTPUT, b"held"))
        await asyncio.sleep(0.1)
        assert not sending.done() and ends.agent_got == []
        await ends.agent_socket.send(ClientMessage(START_PUBLICATION).encode())
        await asyncio.wait_for(sending, 2)
        await ends.settle(expect_agent=1)
        assert ends.agent_got == [b"held"]
        await ends.close()

    asyncio.run(scenario())


def test_a_full_send_buffer_waits_for_acknowledgements():
    async def scenario():
        ends = Ends(window=4)
        ends.tasks[1].cancel()  # the agent reads nothing for now
        for data in payloads(4):
            await ends.client.send(PayloadType.OUTPUT, data)
        fifth = asyncio.ensure_future(ends.client.send(PayloadType.OUTPUT, b"fifth"))
        await asyncio.sleep(0.1)
        assert not fifth.done() and ends.client.unacknowledged == 4
        ends.tasks[1] = asyncio.ensure_future(ends.agent.run())
        await asyncio.wait_for(fifth, 3)
        await ends.settle(expect_agent=5)
        assert ends.agent_got == payloads(4) + [b"fifth"]
        await ends.close()

    asyncio.run(scenario())


def test_the_channel_ends_with_a_reason():
    async def scenario():
        closed = Ends()
        await closed.agent_socket.send(ClientMessage("channel_closed", 0, compact_json(
            {"MessageType": "channel_closed", "Output": "Session s-1 was terminated."})).encode())
        assert "terminated" in await asyncio.wait_for(closed.tasks[0], 2)
        with pytest.raises(ChannelClosed):
            await closed.client.send(PayloadType.OUTPUT, b"late")
        await closed.close()

        silent = Ends(give_up_after=0.3)
        silent.tasks[1].cancel()  # the agent went away without closing anything
        await silent.client.send(PayloadType.OUTPUT, b"anyone?")
        assert "stopped acknowledging" in await asyncio.wait_for(silent.tasks[0], 3)
        await silent.close()

        hung_up = Ends()
        hung_up.agent_socket.close()
        assert "closed" in await asyncio.wait_for(hung_up.tasks[0], 2)
        await hung_up.close()

    asyncio.run(scenario())


def test_the_last_message_is_delivered_though_the_peer_hangs_up_before_its_acknowledgement():
    """As a client closing a tunnel does: the TerminateSession flag, then the socket closed at once."""
    async def scenario():
        ends = Ends()
        await ends.client.send(PayloadType.FLAG, b"last words")
        ends.client_socket.close()
        assert "closed" in await asyncio.wait_for(ends.tasks[1], 5)  # the agent could not acknowledge it...
        assert ends.agent_got == [b"last words"]  # ...and still handed it on
        await ends.close()

    asyncio.run(scenario())
