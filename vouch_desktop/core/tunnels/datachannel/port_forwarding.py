"""A local port forwarded through one SSM port-forwarding session, without session-manager-plugin.

``start`` opens the session's websocket (``StreamUrl``), presents its token, answers the agent's
handshake, then listens on 127.0.0.1. Agents newer than 3.0.196.0 get every local connection as
its own smux stream; older ones carry one connection at a time (the next waits), and learn of a
closed connection through a DisconnectToPort flag. Such an agent connects to the destination right
after the handshake, so a server that speaks first (SSH, MySQL, SMTP) is heard before any local
connection exists: what it says is kept for the first one (the channel's flow control bounds it).

When the websocket drops (a network blip), the session is resumed as AWS's plugin does it
(sessionhandler ResumeSessionHandler): ``resume`` asks Session Manager for a new token
(ResumeSession), a new websocket presents it, and the channel carries on at the same sequence
numbers, so open connections survive. Only when that fails does the session end.
``wait_closed`` returns why the session ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from vouch_desktop.core.tunnels.datachannel.channel import PAYLOAD_SIZE, ChannelClosed, DataChannel, WebSocket
from vouch_desktop.core.tunnels.datachannel.messages import (
    INPUT_STREAM,
    OUTPUT_STREAM,
    ClientMessage,
    Flag,
    PayloadType,
    ProtocolError,
    compact_json,
    flag_of,
    open_data_channel_input,
)
from vouch_desktop.core.tunnels.datachannel.smux import SmuxSession, SmuxStream
from vouch_desktop.core.tunnels.errors import TunnelError

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

log = logging.getLogger(__name__)

CLIENT_VERSION = "1.2.650.0"  # the session-manager-plugin release whose behaviour this follows
MULTIPLEXING_AFTER = (3, 0, 196, 0)
SMUX_KEEPALIVE_NOT_NEEDED_AFTER = (3, 1, 1511, 0)
TERMINATE_FLAG_AFTER = (2, 3, 722, 0)
SMUX_KEEPALIVE = 10.0
READ_SIZE = 32 * PAYLOAD_SIZE
# SSM agents never encrypt port sessions (sessionplugin.go: KMS is for shells), so no preference of the
# user's causes this: only an agent that breaks that rule. AWS's plugin can do KMS.
KMS_ADVICE = "Choose the AWS plugin tunnel backend in Settings: it supports KMS encryption."
KMS_REFUSAL = ("The SSM agent asked to encrypt this port-forwarding session with KMS, which SSM agents do not "
               "do for port sessions and the built-in tunnel backend does not support.")
# the plugin's reconnect (sessionhandler.go OpenDataChannel): 100–200 ms, doubling, at most 5 s, 5 retries
RESUME_ATTEMPTS = 6
RESUME_FIRST_DELAY, RESUME_MAX_DELAY = 0.1, 5.0


class ForwardingError(TunnelError):
    """The built-in backend cannot carry this session (``permanent`` when another attempt cannot help)."""


class ResumeRefused(TunnelError):
    """Session Manager will not resume the session (it ended, or access is gone): trying again cannot help."""


ResumeSession = Callable[[], Awaitable[dict[str, Any]]]  # ResumeSession's reply: TokenValue, StreamUrl


def version_tuple(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.strip().split("."))
    except ValueError:
        return (0,)


class PortForwardingSession:
    def __init__(self, stream_url: str, token: str, local_port: int, *, handshake_timeout: float = 20.0,
                 resume: ResumeSession | None = None, on_resumed: Callable[[], None] | None = None) -> None:
        self.stream_url = stream_url
        self.token = token
        self.local_port = local_port
        self.handshake_timeout = handshake_timeout
        self.resume = resume
        self.on_resumed = on_resumed
        self.client_id = str(uuid.uuid4())
        self.agent_version = ""
        self.multiplexed = False
        self.connections = 0  # local connections open now
        self.destination_errors = 0  # times the agent could not connect to the destination
        self.channel: DataChannel | None = None
        self._ws: ClientConnection | None = None
        self._server: asyncio.AbstractServer | None = None
        self._mux: SmuxSession | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._serving: set[asyncio.Task] = set()
        self._single = asyncio.Lock()  # agents without multiplexing carry one connection at a time
        self._single_writer: asyncio.StreamWriter | None = None
        self._first_connection = asyncio.Event()  # single mode: what the destination said first waits for it
        self._handshake: asyncio.Future | None = None
        self._run: asyncio.Future | None = None
        self._closing = False

    # ---- life cycle
    async def start(self) -> None:
        self._handshake = asyncio.get_running_loop().create_future()
        try:
            self._ws = await self._connect(self.stream_url, self.token)
        except Exception as exc:  # OSError, InvalidHandshake, InvalidURI, TimeoutError …
            await self.close(terminate=False)
            reason = exc or type(exc).__name__
            raise ForwardingError(f"Cannot open the Session Manager data channel: {reason}") from None
        self.channel = DataChannel(self._ws, outgoing=INPUT_STREAM, incoming=OUTPUT_STREAM, on_message=self._on_message)
        self._run = asyncio.ensure_future(self._run_channel())
        try:
            await self._await_handshake()
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.local_port)
        except OSError as exc:
            await self.close()
            raise ForwardingError(f"Cannot listen on local port {self.local_port}: {exc.strerror or exc}") from None
        except BaseException:
            await self.close()
            raise
        if self.resume is not None:
            self.channel.reconnect = self._resume
        log.info("data channel up (agent %s, %s)", self.agent_version,
                 "multiplexed" if self.multiplexed else "one connection at a time")

    async def _connect(self, url: str, token: str) -> ClientConnection:
        from websockets.asyncio.client import connect

        from vouch_desktop.core.tunnels.datachannel.transport import CoalescingClientConnection

        ws = await connect(url, open_timeout=self.handshake_timeout, max_size=2 ** 22, compression=None,
                           ping_interval=20, ping_timeout=20, create_connection=CoalescingClientConnection)
        try:
            await ws.send(open_data_channel_input(token, self.client_id, CLIENT_VERSION))
        except BaseException:
            ws.transport.abort()
            raise
        return ws

    async def _resume(self, dropped: str) -> WebSocket:
        """The websocket dropped: ResumeSession, then a new websocket with the new token (the channel
        then carries on where it stopped). Raises ChannelClosed when the session cannot be resumed."""
        assert self.resume is not None
        if self._ws is not None:
            self._ws.transport.abort()
        log.info("data channel dropped (%s): resuming the session", dropped)
        delay, why = random.uniform(RESUME_FIRST_DELAY, 2 * RESUME_FIRST_DELAY), ""
        for attempt in range(RESUME_ATTEMPTS):
            if self._closing:
                raise ChannelClosed("closed by Vouch Desktop")
            if attempt:
                await asyncio.sleep(delay)
                delay = delay * 2 if delay * 2 <= RESUME_MAX_DELAY else RESUME_FIRST_DELAY
            try:
                reply = await self.resume()
            except ResumeRefused as exc:
                raise ChannelClosed(f"{dropped}, and Session Manager would not resume it: {exc.message}") from None
            except Exception as exc:  # AWS out of reach for now: try again
                why = f"ResumeSession failed: {exc}"
                continue
            token = reply.get("TokenValue")
            if not token:  # the plugin's "Session: … timed out"
                raise ChannelClosed(f"{dropped}, and Session Manager says the session timed out")
            try:
                ws = await self._connect(reply.get("StreamUrl") or self.stream_url, token)
            except Exception as exc:
                why = f"reconnecting failed: {exc or type(exc).__name__}"
                continue
            if self._closing:
                ws.transport.abort()
                raise ChannelClosed("closed by Vouch Desktop")
            self._ws, self.token = ws, token
            log.info("data channel resumed (attempt %d)", attempt + 1)
            if self.on_resumed is not None:
                self.on_resumed()
            return ws
        raise ChannelClosed(f"{dropped}, and resuming it failed {RESUME_ATTEMPTS} times ({why})")

    async def _await_handshake(self) -> None:
        assert self._handshake is not None and self._run is not None
        done, _ = await asyncio.wait({self._handshake, self._run}, timeout=self.handshake_timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if self._handshake in done:
            self._handshake.result()  # raises the refusal, if any
        elif self._run in done:
            raise ForwardingError(f"The data channel closed during the handshake: {self._run.result()}")
        else:
            raise ForwardingError(
                f"The SSM agent did not complete the handshake within {self.handshake_timeout:.0f} s.")

    async def _run_channel(self) -> str:
        assert self.channel is not None
        reason = await self.channel.run()
        self._close_local()
        if self._handshake is not None and not self._handshake.done():
            self._handshake.set_exception(ForwardingError(f"The data channel closed during the handshake: {reason}"))
            self._handshake.exception()  # retrieved: start() reports it through _run
        return reason

    async def wait_closed(self) -> str:
        """Why the session ended (the agent or the service closed it, the network dropped…)."""
        assert self._run is not None
        return await asyncio.shield(self._run)

    async def close(self, terminate: bool = True) -> None:
        if self._closing:
            return
        self._closing = True
        channel = self.channel
        if terminate and channel is not None and self._handshake is not None and self._handshake.done() \
                and not self._handshake.exception() \
                and (self.multiplexed or version_tuple(self.agent_version) > TERMINATE_FLAG_AFTER):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(channel.send_flag(Flag.TERMINATE_SESSION), 1.0)
        self._close_local()
        if self._serving:
            await asyncio.wait(self._serving, timeout=2.0)
        if channel is not None:
            channel.close("closed by Vouch Desktop")
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 2.0)
        if self._run is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._run), 2.0)

    def _close_local(self) -> None:
        self._first_connection.set()  # nobody is coming any more: let held data go
        if self._server is not None:
            self._server.close()
        if self._mux is not None:
            self._mux.close()
        for writer in list(self._writers):
            writer.close()

    # ---- the agent's messages
    async def _on_message(self, message: ClientMessage) -> None:
        kind = message.payload_type
        if kind == PayloadType.OUTPUT:
            await self._from_agent(message.payload)
        elif kind == PayloadType.HANDSHAKE_REQUEST:
            await self._answer_handshake(message.json())
        elif kind == PayloadType.HANDSHAKE_COMPLETE:
            self._handshake_complete()
        elif kind == PayloadType.ENC_CHALLENGE_REQUEST:
            self._refuse(ForwardingError(KMS_REFUSAL, advice=KMS_ADVICE, permanent=True))
        elif kind == PayloadType.FLAG and flag_of(message) == Flag.CONNECT_TO_PORT_ERROR:
            self.destination_errors += 1
            log.warning("the SSM agent could not connect to the destination port")
        elif kind in (PayloadType.ERROR, PayloadType.STDERR):
            log.warning("SSM agent: %s", message.payload.decode(errors="replace").strip())

    async def _from_agent(self, data: bytes) -> None:
        if self._mux is not None:
            await self._mux.feed(data)
            return
        # one connection at a time: the agent dialled the destination at the handshake, so a server that
        # speaks first is heard before anyone connects here. Delivery waits for the first connection
        # (beyond the channel's high-water mark acknowledgements wait too, holding the agent back).
        await self._first_connection.wait()
        writer = self._single_writer
        if writer is not None:  # between connections: the rest of the last one's reply, for nobody
            writer.write(data)
            with contextlib.suppress(ConnectionError):
                await writer.drain()

    async def _answer_handshake(self, request: dict) -> None:
        assert self.channel is not None
        self.agent_version = str(request.get("AgentVersion") or "")
        processed, errors = [], []
        refusal: ForwardingError | None = None
        for action in request.get("RequestedClientActions") or []:
            kind = action.get("ActionType")
            parameters = action.get("ActionParameters") or {}
            status, error = 1, ""  # 1 success, 2 failed, 3 unsupported
            if kind == "SessionType":
                session_type = parameters.get("SessionType")
                forwarding = (parameters.get("Properties") or {}).get("type")
                if session_type != "Port" or forwarding != "LocalPortForwarding":
                    status, error = 2, f"not a port-forwarding session ({session_type}, {forwarding})"
                    refusal = ForwardingError(f"The session's document is not a port-forwarding document "
                                              f"({session_type}).", permanent=True)
            elif kind == "KMSEncryption":
                status, error = 2, "KMS encryption is not supported by this client"
                refusal = ForwardingError(KMS_REFUSAL, advice=KMS_ADVICE, permanent=True)
            else:
                status, error = 3, f"Unsupported action {kind}"
            processed.append({"ActionType": kind, "ActionStatus": status, "ActionResult": None, "Error": error})
            if error:
                errors.append(error)
        await self.channel.send(PayloadType.HANDSHAKE_RESPONSE, compact_json(
            {"ClientVersion": CLIENT_VERSION, "ProcessedClientActions": processed, "Errors": errors}))
        if refusal is not None:
            self._refuse(refusal)

    def _handshake_complete(self) -> None:
        assert self.channel is not None
        version = version_tuple(self.agent_version)
        self.multiplexed = version > MULTIPLEXING_AFTER
        if self.multiplexed:
            keepalive = None if version > SMUX_KEEPALIVE_NOT_NEEDED_AFTER else SMUX_KEEPALIVE
            self._mux = SmuxSession(self.channel.send_data, client=True, keepalive=keepalive)
        if self._handshake is not None and not self._handshake.done():
            self._handshake.set_result(None)

    def _refuse(self, error: ForwardingError) -> None:
        if self._handshake is not None and not self._handshake.done():
            self._handshake.set_exception(error)
        if self.channel is not None:
            self.channel.close(error.message)

    # ---- local connections
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._serving.add(task)
        self._writers.add(writer)
        self.connections += 1
        try:
            if self._mux is not None:
                await self._serve_stream(reader, writer, await self._mux.open_stream())
            else:
                async with self._single:
                    await self._serve_single(reader, writer)
        except (ChannelClosed, ConnectionError, OSError, ProtocolError) as exc:
            log.debug("local connection ended: %s", exc)
        finally:
            self.connections -= 1
            self._writers.discard(writer)
            self._serving.discard(task)
            writer.close()

    async def _serve_stream(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                            stream: SmuxStream) -> None:
        async def upstream() -> None:
            while data := await reader.read(READ_SIZE):
                await stream.write(data)

        async def downstream() -> None:
            while data := await stream.read():
                writer.write(data)
                await writer.drain()

        try:
            await first_to_finish(upstream(), downstream())
        finally:
            await stream.close()

    async def _serve_single(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self.channel is not None
        self._single_writer = writer
        self._first_connection.set()
        try:
            while data := await reader.read(READ_SIZE):
                await self.channel.send_data(data)
        finally:
            self._single_writer = None
            if not self._closing:
                with contextlib.suppress(ChannelClosed):
                    await self.channel.send_flag(Flag.DISCONNECT_TO_PORT)


async def first_to_finish(*coroutines: Awaitable[object]) -> None:
    """Run both directions of a connection; when one ends, the connection is over: stop the other."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, Exception):
            raise result
