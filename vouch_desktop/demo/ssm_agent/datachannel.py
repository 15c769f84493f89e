"""The agent's end of a data channel, done the way amazon-ssm-agent's session/datachannel does it.

Independent of the client in ``core.tunnels.datachannel`` (only the message codec is shared, and that
is pinned by golden bytes and by AWS's plugin), so that the client is tested against the agent's
rules rather than its own:

- outgoing stream messages are numbered from 0, the first carries the SYN flag; they stay in a buffer
  until acknowledged, and every 100 ms the *oldest* one is resent if it is older than the
  retransmission timeout (one message a tick, never given up);
- an incoming message in sequence is handed to the session plugin and acknowledged only if the
  plugin took it (a plugin that is not ready yet rejects it, and the client resends); one ahead of
  sequence is acknowledged and kept; one already seen is acknowledged again;
- the session outlives its websocket: while no client is connected (a network drop, before a
  ResumeSession reconnect) the service has paused it — nothing is sent or resent and the plugins stop
  reading their connections — and a client that reconnects with the session's current token carries
  on at the same sequence numbers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from vouch_desktop.core.tunnels.datachannel.messages import (
    ACKNOWLEDGE,
    CHANNEL_CLOSED,
    INPUT_STREAM,
    OUTPUT_STREAM,
    PAUSE_PUBLICATION,
    START_PUBLICATION,
    ClientMessage,
    PayloadType,
    ProtocolError,
    acknowledged_sequence,
    compact_json,
    encode,
    encode_acknowledgement,
)
from vouch_desktop.demo.ssm_agent import facts

log = logging.getLogger(__name__)


class HandlerNotReady(Exception):
    """mgsContracts.ErrHandlerNotReady: the plugin cannot take this message yet (no acknowledgement)."""


@dataclass
class LinkFaults:
    """Faults for tests. Each fires once. ``require_kms`` is a fault too: it makes the agent ask for KMS
    encryption on *port* sessions, which real agents never do (sessionplugin.go isEncryptionEnabled)."""

    drop_output: set[int] = field(default_factory=set)  # output sequence numbers lost the first time
    swap_output: set[int] = field(default_factory=set)  # output n held back and sent after n + 1
    ignore_input: set[int] = field(default_factory=set)  # input sequence numbers ignored the first time
    require_kms: bool = False


@dataclass
class _Outgoing:
    raw: bytes
    sequence: int
    last_sent: float


class AgentDataChannel:
    def __init__(self, session_id: str, handler: Callable[[ClientMessage], Awaitable[None]],
                 faults: LinkFaults) -> None:
        self.session_id = session_id
        self.handler = handler
        self.faults = faults
        self.ws: Any = None
        self.next_sequence = 0
        self.expected = 0
        self.outgoing: OrderedDict[int, _Outgoing] = OrderedDict()
        self.incoming: dict[int, ClientMessage] = {}
        self.rtt, self.rtt_variation, self.rto = facts.DEFAULT_RTT, 0.0, facts.DEFAULT_RTO
        self.handshake_complete = False
        self.handshake_skipped = False
        self.handshake_response: asyncio.Future[dict] = asyncio.get_running_loop().create_future()
        self.client_version = ""
        self.resends = 0
        self.acknowledged_input = 0
        self._active = asyncio.Event()  # attached and not paused: dataChannel.IsActive()
        self._held: bytes | None = None  # swap_output: the frame held back
        self._resender = asyncio.ensure_future(self._resend_scheduler())

    # ---- the client's websocket comes and goes
    def attach(self, ws: Any) -> None:
        old, self.ws = self.ws, ws
        if old is not None and old is not ws:
            with contextlib.suppress(Exception):
                old.transport.abort()
        self._active.set()  # the service's start_publication

    def detach(self, ws: Any) -> None:
        if self.ws is ws:
            self.ws = None
            self._active.clear()  # the service's pause_publication: nobody to deliver to

    @property
    def active(self) -> bool:
        return self._active.is_set()

    async def wait_active(self) -> None:
        await self._active.wait()

    def stop(self) -> None:
        self._resender.cancel()

    # ---- sending (SendStreamDataMessage)
    async def send_stream(self, payload_type: int, data: bytes) -> None:
        if not data:
            return  # "Ignoring empty stream data payload"
        sequence = self.next_sequence
        self.next_sequence += 1
        flags = facts.SYN_FLAG if sequence == 0 else 0
        raw = encode(OUTPUT_STREAM, sequence, data, int(payload_type), flags)
        if len(self.outgoing) < facts.OUTGOING_CAPACITY:
            self.outgoing[sequence] = _Outgoing(raw, sequence, time.monotonic())
        if self.active:
            await self._send(raw, sequence)

    async def send_json(self, payload_type: int, value: object) -> None:
        await self.send_stream(payload_type, compact_json(value))

    async def _send(self, raw: bytes, sequence: int | None = None) -> None:
        ws = self.ws
        if ws is None:
            return
        if sequence is not None and sequence in self.faults.drop_output:
            self.faults.drop_output.discard(sequence)
            return
        if sequence is not None and sequence in self.faults.swap_output and self._held is None:
            self.faults.swap_output.discard(sequence)
            self._held = raw
            return
        try:
            await ws.send(raw)
            if self._held is not None and sequence is not None:
                held, self._held = self._held, None
                await ws.send(held)
        except Exception as exc:  # the client went away: its reader notices and detaches it
            log.debug("sending on %s failed: %s", self.session_id, exc)

    async def send_control(self, message_type: str, payload: dict) -> None:
        """A message outside the stream (acknowledge, channel_closed): sequence 0, flags 3."""
        message = ClientMessage(message_type, 0, compact_json(payload), flags=facts.AGENT_MESSAGE_FLAGS)
        await self._send(message.encode())

    async def _resend_scheduler(self) -> None:
        while True:
            await asyncio.sleep(facts.RESEND_INTERVAL)
            if not self.active or not self.outgoing:
                continue
            oldest = next(iter(self.outgoing.values()))  # only the front, as the agent does
            now = time.monotonic()
            if now - oldest.last_sent > self.rto:
                oldest.last_sent = now
                self.resends += 1
                await self._send(oldest.raw)

    async def drain(self, timeout: float = facts.CLOSE_DRAIN) -> None:
        """PrepareToCloseChannel: give the client a moment to acknowledge what was sent."""
        deadline = time.monotonic() + timeout
        while self.outgoing and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    # ---- receiving (dataChannelIncomingMessageHandler)
    async def serve(self, ws: Any) -> None:
        """Read one websocket until it closes or drops."""
        with contextlib.suppress(Exception):  # a drop ends the loop; the session stays
            async for frame in ws:
                if isinstance(frame, str):
                    continue
                try:
                    message = ClientMessage.decode(frame)
                except ProtocolError as exc:
                    log.warning("invalid message on %s: %s", self.session_id, exc.message)
                    continue
                await self._dispatch(message)

    async def _dispatch(self, message: ClientMessage) -> None:
        kind = message.message_type
        if kind == INPUT_STREAM:
            if message.sequence_number in self.faults.ignore_input:
                self.faults.ignore_input.discard(message.sequence_number)
                return
            await self._stream_message(message)
        elif kind == ACKNOWLEDGE:
            self._acknowledged(acknowledged_sequence(message))
        elif kind in (PAUSE_PUBLICATION, START_PUBLICATION, CHANNEL_CLOSED):
            log.debug("ignoring %s from the client", kind)
        else:
            log.warning("invalid message type received: %s", kind)

    async def _stream_message(self, message: ClientMessage) -> None:
        sequence = message.sequence_number
        if sequence == self.expected:
            try:
                await self._process(message)
            except HandlerNotReady:
                return
            except Exception as exc:  # the agent logs it and does not acknowledge
                log.info("unable to process stream data %d on %s: %s", sequence, self.session_id, exc)
                return
            await self._acknowledge(message)
            self.expected += 1
            while self.expected in self.incoming:  # processIncomingMessageBufferItems
                try:
                    await self._process(self.incoming[self.expected])
                except Exception as exc:
                    log.info("unable to process buffered stream data %d: %s", self.expected, exc)
                    return
                del self.incoming[self.expected]
                self.expected += 1
        elif sequence > self.expected:
            if len(self.incoming) < facts.INCOMING_CAPACITY:
                await self._acknowledge(message)
                self.incoming[sequence] = message
        else:  # already seen (a resend, or a second message the client numbered the same): not processed again
            log.debug("stream data %d (payload type %d) below the expected %d on %s: ignored", sequence,
                      message.payload_type, self.expected, self.session_id)
            await self._acknowledge(message)

    async def _process(self, message: ClientMessage) -> None:
        kind = message.payload_type
        if kind == PayloadType.HANDSHAKE_RESPONSE:
            if not self.handshake_response.done():
                self.handshake_response.set_result(message.json())
        elif kind == PayloadType.ENC_CHALLENGE_RESPONSE:
            pass
        elif not self.handshake_complete and not self.handshake_skipped:
            log.debug("handshake in progress: input %d ignored", message.sequence_number)
        else:
            await self.handler(message)

    async def _acknowledge(self, message: ClientMessage) -> None:
        """Sent as soon as a message is read (one per 1 KB): AcknowledgedMessageType, AcknowledgedMessageId,
        AcknowledgedMessageSequenceNumber and IsSequentialMessage true, sequence 0, flags AGENT_MESSAGE_FLAGS —
        what ``send_control(ACKNOWLEDGE, …)`` would send, encoded by the shared codec without a dict and JSON."""
        self.acknowledged_input += 1
        await self._send(encode_acknowledgement(message))

    def _acknowledged(self, sequence: int) -> None:
        entry = self.outgoing.pop(sequence, None)
        if entry is None:
            return
        sample = time.monotonic() - entry.last_sent  # calculateRetransmissionTimeout
        self.rtt_variation = 0.75 * self.rtt_variation + 0.25 * abs(self.rtt - sample)
        self.rtt = 0.875 * self.rtt + 0.125 * sample
        self.rto = min(facts.MAX_RTO, self.rtt + max(facts.CLOCK_GRANULARITY, 4 * self.rtt_variation))

    # ---- handshake (PerformHandshake)
    async def handshake(self, agent_version: str, actions: list[dict]) -> None:
        """Send the HandshakeRequest, wait for the client's response, send HandshakeComplete."""
        started = time.monotonic()
        await self.send_json(PayloadType.HANDSHAKE_REQUEST,
                             {"AgentVersion": agent_version, "RequestedClientActions": actions})
        try:
            response = await asyncio.wait_for(asyncio.shield(self.handshake_response), facts.HANDSHAKE_TIMEOUT)
        except TimeoutError:
            raise SessionFailed("Handshake timed out. Please ensure that you have the latest version of the "
                                "session manager plugin.") from None
        for action in response.get("ProcessedClientActions") or []:
            if action.get("ActionStatus") != 1:
                raise SessionFailed(f"{action.get('ActionType')} failed on client with status "
                                    f"{action.get('ActionStatus')} error: {action.get('Error')}")
            if action.get("ActionType") == "KMSEncryption":
                raise SessionFailed("this fake agent does not simulate KMS encryption")
        self.client_version = str(response.get("ClientVersion") or "")
        elapsed_ns = int((time.monotonic() - started) * 1e9)  # time.Duration marshals as nanoseconds
        await self.send_json(PayloadType.HANDSHAKE_COMPLETE,
                             {"HandshakeTimeToComplete": elapsed_ns, "CustomerMessage": ""})
        self.handshake_complete = True


class SessionFailed(Exception):
    """The session plugin failed: the session ends, and the client is told why (channel_closed)."""
