"""Sequenced, acknowledged, retransmitted stream messages over one data channel websocket.

Each side numbers its stream messages from 0. The receiver acknowledges every stream message it
gets, delivers them in sequence order (early ones wait in a buffer, repeats are acknowledged again
and dropped), and the sender resends whatever stays unacknowledged longer than the retransmission
timeout, which follows the measured round-trip time as in TCP (RFC 6298, Karn's rule). The same
class serves the client (sends ``input_stream_data``) and the fake agent (sends ``output_stream_data``).

The channel can outlive its websocket: with ``reconnect`` set, a dropped websocket is replaced by
the one ``reconnect`` returns (after a ResumeSession) and the channel carries on with the same
sequence numbers, resending what the other side has not acknowledged; meanwhile sends are kept
for that resend and the send window holds the senders back.

Reading never waits for the application: in-order messages go to a delivery task, so
acknowledgements keep flowing while a slow consumer catches up (waiting there would deadlock two
busy directions: each side's sends wait for acknowledgements the other cannot read). Memory stays
bounded because beyond ``HIGH_WATER`` queued bytes a message is acknowledged only once delivered,
which holds the sender at its window.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from vouch_desktop.core.tunnels.datachannel.messages import (
    ACKNOWLEDGE,
    CHANNEL_CLOSED,
    PAUSE_PUBLICATION,
    START_PUBLICATION,
    ClientMessage,
    Flag,
    PayloadType,
    ProtocolError,
    acknowledged_sequence,
    acknowledgement,
    flag_payload,
)

log = logging.getLogger(__name__)

PAYLOAD_SIZE = 1024  # bytes of stream data per message, as the AWS plugin sends
# messages sent and not yet acknowledged: enough for 20 MB/s at a 50 ms round trip, and few enough
# that a queue of them drains well within the retransmission timeout (a longer queue would time out
# and be resent whole: the AWS plugin avoids that by sleeping 1 ms per message)
WINDOW = 1024
EARLY_CAPACITY = 10_000  # messages kept that arrived ahead of a gap, as the plugin keeps
HIGH_WATER = 4 * 1024 * 1024  # received bytes waiting for delivery before acknowledgements wait too
MIN_RTO, MAX_RTO, CLOCK_GRANULARITY = 0.2, 1.0, 0.01


class WebSocket(Protocol):
    """What the channel needs of a websocket (websockets' client and server connections have it)."""

    async def send(self, message: bytes) -> None: ...  # the channel sends binary frames only

    def __aiter__(self) -> AsyncIterator[bytes | str]: ...


class ChannelClosed(Exception):
    """The channel ended: the agent closed it, the websocket dropped, or the peer went silent."""


Reconnect = Callable[[str], Awaitable[WebSocket]]  # why it dropped → a new websocket, or ChannelClosed


@dataclass
class _Unacked:
    raw: bytes
    first_sent: float
    last_sent: float
    resends: int = 0


@dataclass
class ChannelStats:
    sent: int = 0
    resent: int = 0
    resumed: int = 0
    received: int = 0
    duplicates: int = 0
    out_of_order: int = 0


class DataChannel:
    def __init__(self, ws: WebSocket, *, outgoing: str, incoming: str,
                 on_message: Callable[[ClientMessage], Awaitable[None]],
                 window: int = WINDOW, resend_interval: float = 0.1, give_up_after: float = 60.0) -> None:
        self.ws = ws
        self.outgoing = outgoing
        self.incoming = incoming
        self.on_message = on_message
        self.window = window
        self.resend_interval = resend_interval
        self.give_up_after = give_up_after
        self.reconnect: Reconnect | None = None
        self.stats = ChannelStats()
        self.rtt, self.rtt_variation, self.rto = 0.1, 0.0, MIN_RTO
        self._next_sequence = 0
        self._expected = 0
        self._unacked: OrderedDict[int, _Unacked] = OrderedDict()
        self._early: dict[int, ClientMessage] = {}
        self._deliveries: asyncio.Queue[ClientMessage] = asyncio.Queue()
        self._queued_bytes = 0
        self._withheld: set[int] = set()  # queued, acknowledged once delivered
        self._publishing = True  # the peer can pause us (pause_publication / start_publication)
        self._gate = asyncio.Event()
        self._gate.set()
        self._ended: str | None = None
        self._connected = True

    # ---- sending
    async def send(self, payload_type: PayloadType, payload: bytes) -> None:
        await self._gate.wait()  # room in the unacknowledged buffer and not paused by the peer
        if self._ended is not None:
            raise ChannelClosed(self._ended)
        message = ClientMessage(self.outgoing, self._next_sequence, payload, int(payload_type))
        self._next_sequence += 1
        raw = message.encode()
        now = time.monotonic()
        self._unacked[message.sequence_number] = _Unacked(raw, now, now)
        self.stats.sent += 1
        self._update_gate()
        await self._send_raw(raw)

    async def send_data(self, data: bytes) -> None:
        for start in range(0, len(data), PAYLOAD_SIZE):
            await self.send(PayloadType.OUTPUT, data[start:start + PAYLOAD_SIZE])

    async def send_flag(self, flag: Flag) -> None:
        await self.send(PayloadType.FLAG, flag_payload(flag))

    async def _send_raw(self, raw: bytes) -> None:
        if not self._connected:
            return  # between a drop and the resume: what is not acknowledged is resent after it
        try:
            await self.ws.send(raw)
        except Exception as exc:  # the websocket is gone
            if self.reconnect is not None and self._ended is None:
                return  # the reader sees the drop and resumes the channel
            raise ChannelClosed(f"the data channel connection dropped ({exc})") from None

    @property
    def unacknowledged(self) -> int:
        return len(self._unacked)

    # ---- receiving
    async def run(self) -> str:
        """Read until the channel ends, resending what is not acknowledged; return why it ended."""
        tasks = [asyncio.ensure_future(self._read()), asyncio.ensure_future(self._resend_loop()),
                 asyncio.ensure_future(self._deliver_loop())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if not tasks[2].done():  # what arrived before the end still reaches the application
                await asyncio.wait([asyncio.ensure_future(self._deliveries.join())], timeout=2.0)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return self._ended or "closed"

    def close(self, reason: str) -> None:
        self._end(reason)

    async def _read(self) -> None:
        while True:
            dropped = await self._read_socket(self.ws)
            if dropped is None or self._ended is not None:
                return
            if self.reconnect is None:
                self._end(dropped)
                return
            self._connected = False
            try:
                ws = await self.reconnect(dropped)
            except ChannelClosed as exc:
                self._end(str(exc))
                return
            if self._ended is not None:
                return
            self.ws, self._connected = ws, True
            self.stats.resumed += 1
            now = time.monotonic()
            for entry in self._unacked.values():  # the outage does not count toward giving up
                entry.first_sent, entry.last_sent = now, now - self.rto - 1.0
            try:
                await self._resend_due(now)
            except ChannelClosed as exc:
                self._end(str(exc))
                return

    async def _read_socket(self, ws: WebSocket) -> str | None:
        """Read one websocket: None when the channel ended, else why the websocket dropped."""
        try:
            async for frame in ws:
                if isinstance(frame, str):
                    continue  # text frames only carry the opening token, client → agent
                await self._receive(ClientMessage.decode(frame))
                if self._ended is not None:
                    return None
            return "the data channel connection was closed"
        except ChannelClosed as exc:
            self._end(str(exc))
        except ProtocolError as exc:
            self._end(exc.message)
        except Exception as exc:  # websockets' ConnectionClosedError and friends
            return f"the data channel connection dropped ({type(exc).__name__}: {exc})"
        return None

    def _end(self, reason: str) -> None:
        if self._ended is None:
            self._ended = reason
        self._update_gate()

    def _update_gate(self) -> None:
        if self._ended is not None or (self._publishing and len(self._unacked) < self.window):
            self._gate.set()
        else:
            self._gate.clear()

    async def _receive(self, message: ClientMessage) -> None:
        kind = message.message_type
        if kind == ACKNOWLEDGE:
            self._acknowledged(acknowledged_sequence(message))
        elif kind == self.incoming:
            await self._stream_message(message)
        elif kind == CHANNEL_CLOSED:
            output = message.json().get("Output") or ""
            self._end("the session was closed by Session Manager" + (f": {output}" if output else ""))
        elif kind in (PAUSE_PUBLICATION, START_PUBLICATION):
            self._publishing = kind == START_PUBLICATION
            self._update_gate()
        else:
            log.debug("ignoring a %s message", kind)

    async def _stream_message(self, message: ClientMessage) -> None:
        sequence = message.sequence_number
        if sequence in self._withheld:
            return  # a resend of a queued message: its acknowledgement follows its delivery
        if sequence < self._expected or sequence in self._early:
            self.stats.duplicates += 1
            await self._acknowledge(message)
            return
        if sequence > self._expected:
            if len(self._early) < EARLY_CAPACITY:
                self.stats.out_of_order += 1
                self._early[sequence] = message
                await self._acknowledge(message)
            return
        withhold = self._queued_bytes >= HIGH_WATER
        if withhold:
            self._withheld.add(sequence)
        self._queue(message)
        while self._expected in self._early:
            self._queue(self._early.pop(self._expected))  # acknowledged when it came early
        if not withhold:  # once queued: what arrived is delivered even if the peer hangs up before the ack
            await self._acknowledge(message)

    def _queue(self, message: ClientMessage) -> None:
        self._expected += 1
        self._queued_bytes += len(message.payload)
        self._deliveries.put_nowait(message)

    async def _acknowledge(self, message: ClientMessage) -> None:
        await self._send_raw(acknowledgement(message).encode())

    async def _deliver_loop(self) -> None:
        try:
            while True:
                message = await self._deliveries.get()
                try:
                    await self.on_message(message)
                    self.stats.received += 1
                    self._queued_bytes -= len(message.payload)
                    if message.sequence_number in self._withheld:
                        self._withheld.discard(message.sequence_number)
                        await self._acknowledge(message)
                finally:
                    self._deliveries.task_done()
        except ChannelClosed as exc:
            self._end(str(exc))
        except ProtocolError as exc:
            self._end(exc.message)
        except Exception as exc:  # a fault of ours: end the channel with it rather than hang
            log.exception("delivering a data channel message failed")
            self._end(f"internal error: {type(exc).__name__}: {exc}")

    def _acknowledged(self, sequence: int) -> None:
        entry = self._unacked.pop(sequence, None)
        if entry is None:
            return
        if entry.resends == 0:  # Karn: a resent message's round trip is ambiguous
            sample = time.monotonic() - entry.last_sent
            self.rtt_variation = 0.75 * self.rtt_variation + 0.25 * abs(self.rtt - sample)
            self.rtt = 0.875 * self.rtt + 0.125 * sample
            self.rto = min(MAX_RTO, max(MIN_RTO, self.rtt + max(CLOCK_GRANULARITY, 4 * self.rtt_variation)))
        self._update_gate()

    async def _resend_loop(self) -> None:
        try:
            while self._ended is None:
                await asyncio.sleep(self.resend_interval)
                if self._connected:
                    await self._resend_due(time.monotonic())
        except ChannelClosed as exc:
            self._end(str(exc))

    async def _resend_due(self, now: float) -> None:
        for sequence, entry in list(self._unacked.items())[:256]:
            if now - entry.first_sent > self.give_up_after:
                raise ChannelClosed(f"the other side stopped acknowledging (message {sequence} "
                                    f"unacknowledged for {self.give_up_after:.0f} s)")
            if now - entry.last_sent > self.rto:
                entry.resends += 1
                entry.last_sent = now
                self.stats.resent += 1
                await self._send_raw(entry.raw)
