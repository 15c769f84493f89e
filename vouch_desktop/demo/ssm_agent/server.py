"""The fake SSM data channel endpoint: Session Manager's message gateway and the instance's agent in one.

``FakeAws`` hands out ``StreamUrl``s that point here. A client connects a websocket and presents the
session's current token in its first (text) frame. The first connection of a session starts the
agent's side (``AgentSession``): the handshake for port sessions, then the port plugin (multiplexed or
one connection, decided from both versions) or a shell. Later connections with the session's current
token — after ``ResumeSession`` — carry on the same session: same sequence numbers, same
destination connections. The session ends when its plugin ends (the shell exits, the smux session
dies), on the client's TerminateSession flag, or when the service ends it (``end_session``); the
client is then told with a ``channel_closed`` message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from vouch_desktop.core.tunnels.datachannel.messages import CHANNEL_CLOSED, ClientMessage
from vouch_desktop.demo.ssm_agent import facts
from vouch_desktop.demo.ssm_agent.datachannel import AgentDataChannel, HandlerNotReady, LinkFaults, SessionFailed
from vouch_desktop.demo.ssm_agent.port import BasicPortSession, MuxPortSession

if TYPE_CHECKING:
    from vouch_desktop.demo.ssm_agent.shell import ShellSession

log = logging.getLogger(__name__)
DEFAULT_AGENT_VERSION = "3.3.1142.0"


@dataclass
class AgentTarget:
    """What the agent knows of a session: its current token, its type and properties, where bytes go."""

    token: str
    properties: dict[str, str] | None
    route: tuple[str, int] | None
    session_type: str = facts.PORT
    agent_version: str | None = None  # this instance's agent; None: the fake agent's ``version``


class AgentSession:
    def __init__(self, agent: FakeSsmAgent, session_id: str, target: AgentTarget) -> None:
        self.agent = agent
        self.session_id = session_id
        self.target = target
        self.version = target.agent_version or agent.version
        self.channel = AgentDataChannel(session_id, self._handle, agent.faults)
        self.plugin: MuxPortSession | BasicPortSession | ShellSession | None = None
        self.ended: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.attachments = 0  # websockets that carried this session (1 + the resumes)
        self._task = asyncio.ensure_future(self._run())

    @property
    def multiplexed(self) -> bool:
        return isinstance(self.plugin, MuxPortSession)

    async def _handle(self, message: ClientMessage) -> None:
        if self.plugin is None:
            raise HandlerNotReady
        await self.plugin.handle(message)

    async def _run(self) -> None:
        try:
            reason = await self._execute()
        except SessionFailed as exc:
            log.info("session %s failed: %s", self.session_id, exc)
            reason = str(exc)
        except asyncio.CancelledError:
            return
        await self.end(reason, from_agent=True)

    async def _execute(self) -> str:
        agent, target = self.agent, self.target
        if target.session_type == facts.PORT:
            actions: list[dict[str, Any]] = [{"ActionType": "SessionType", "ActionParameters": {
                "SessionType": facts.PORT, "Properties": target.properties}}]
            if agent.faults.require_kms:  # a fault: real agents never encrypt port sessions
                actions.append(self._kms_action())
            await self.channel.handshake(self.version, actions)
            forwarding_type = (target.properties or {}).get("type", "")
            common: dict[str, Any] = {"read_pause": lambda: agent.read_pause, "on_connect": agent._connected}
            if facts.multiplexes(self.version, self.channel.client_version, forwarding_type):
                keepalive = facts.agent_smux_keepalive(self.version, self.channel.client_version)
                self.plugin = MuxPortSession(self.channel, target.route, keepalive=keepalive, **common)
            else:
                self.plugin = BasicPortSession(self.channel, target.route, forwarding_type=forwarding_type, **common)
        else:
            if agent.kms_key_id:  # the preference encrypts shells: handshake with KMS (sessionplugin.go)
                await self.channel.handshake(self.version, [
                    {"ActionType": "SessionType", "ActionParameters": {"SessionType": target.session_type,
                                                                       "Properties": None}},
                    self._kms_action()])
            else:
                self.channel.handshake_skipped = True
            if sys.platform == "win32":  # a pseudo-terminal is POSIX: this fake has no shell to offer there
                raise SessionFailed("the demo's fake agent offers shells on Linux and macOS only")
            from vouch_desktop.demo.ssm_agent.shell import ShellSession

            self.plugin = ShellSession(self.channel, read_pause=lambda: agent.read_pause)
        await self.plugin.start()
        return await self.plugin.run()

    def _kms_action(self) -> dict[str, Any]:
        return {"ActionType": "KMSEncryption",
                "ActionParameters": {"KMSKeyId": self.agent.kms_key_id or "alias/vouch-demo",
                                     "Challenge": "dm91Y2gtZGVtby1jaGFsbGVuZ2U="}}

    async def _say_goodbye(self, ws: Any, reason: str) -> None:
        """What the service sends the client when a session ends: channel_closed, then it hangs up."""
        await ws.send(ClientMessage(CHANNEL_CLOSED, 0, json.dumps({
            "MessageType": CHANNEL_CLOSED, "MessageId": str(uuid.uuid4()), "DestinationId": "",
            "SessionId": self.session_id, "SchemaVersion": 1, "CreatedDate": datetime.now(UTC).isoformat(),
            "Output": reason}).encode(), flags=facts.AGENT_MESSAGE_FLAGS).encode())
        await ws.close()

    def attach(self, ws: Any) -> None:
        self.attachments += 1
        self.channel.attach(ws)

    async def end(self, reason: str, *, from_agent: bool = False, polite: bool = True) -> None:
        """The session is over: stop the plugin, tell the client why (channel_closed), forget it."""
        if self.ended.done():
            return
        self.ended.set_result(reason)
        if self._task is not asyncio.current_task():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.plugin is not None:
            with contextlib.suppress(Exception):
                stopped = self.plugin.stop()
                if asyncio.iscoroutine(stopped):  # the shell's: it waits for its process
                    await stopped
        self.channel.stop()
        ws, self.channel.ws = self.channel.ws, None
        if ws is not None:
            if polite:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._say_goodbye(ws, reason), 2)
            ws.transport.abort()
        self.agent._forget(self)
        if from_agent:
            self.agent.on_terminate(self.session_id)


class FakeSsmAgent:
    def __init__(self, lookup: Callable[[str], AgentTarget | None],
                 on_terminate: Callable[[str], None] = lambda _: None,
                 *, host: str = "127.0.0.1", version: str = DEFAULT_AGENT_VERSION) -> None:
        self.lookup = lookup
        self._on_terminate = on_terminate
        self.host = host
        self.port = 0
        self.version = version
        self.faults = LinkFaults()
        self.kms_key_id = ""  # Session Manager preferences: KMS encryption (shell sessions only)
        self.read_pause = facts.READ_PAUSE  # 0 takes the agent's 1 ms pause per 1 KB read away (benchmarks)
        self.streams_forwarded = 0  # connections made to destinations
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Any = None
        self._sessions: dict[str, AgentSession] = {}
        self._refuse_until = 0.0  # drop_connections(refuse_for=…): the network stays down a while
        self.refused = 0  # websocket connections turned away meanwhile

    # ---- life cycle (the agent runs its own event loop in a thread)
    def start(self) -> FakeSsmAgent:
        if self._thread is not None:
            return self
        ready = threading.Event()
        loop = self._loop = asyncio.new_event_loop()

        async def serve() -> None:
            from websockets.asyncio.server import serve as websocket_serve

            from vouch_desktop.core.tunnels.datachannel.transport import CoalescingServerConnection

            self._server = await websocket_serve(self._handle, self.host, 0, compression=None, max_size=2 ** 22,
                                                 process_request=self._gate,
                                                 create_connection=CoalescingServerConnection)
            self.port = self._server.sockets[0].getsockname()[1]
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
        await self._end_sessions(list(self._sessions), "the agent stopped")
        server = self._server
        if server is not None:  # None if serving never started
            server.close()
            await server.wait_closed()

    def url_for(self, session_id: str) -> str:
        return f"ws://{self.host}:{self.port}/v1/data-channel/{session_id}?role=publish_subscribe"

    # ---- controls (from any thread)
    def end_session(self, session_id: str) -> None:
        """The session ended on the service's side: tell its client and close it."""
        self._call(self._end_sessions([session_id], f"Session {session_id} was terminated."))

    def drop_connections(self, refuse_for: float = 0.0) -> None:
        """Cut every data channel websocket (a network drop): the sessions stay, ready to be resumed.
        ``refuse_for`` seconds more, new websockets are turned away (the network is still down)."""
        self._refuse_until = time.monotonic() + refuse_for
        self._call(self._drop())

    def _gate(self, connection: Any, request: Any) -> Any:
        if time.monotonic() < self._refuse_until:
            self.refused += 1
            return connection.respond(503, "the network is down\n")
        return None

    def reset(self) -> None:
        """End every session at once, without telling anyone (between tests)."""
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._end_sessions(list(self._sessions), "reset", polite=False),
                                             self._loop).result(10)
        self.faults = LinkFaults()
        self.version = DEFAULT_AGENT_VERSION
        self.kms_key_id = ""
        self.read_pause = facts.READ_PAUSE
        self.streams_forwarded = 0
        self._refuse_until = 0.0
        self.refused = 0

    def session(self, session_id: str) -> AgentSession | None:
        return self._sessions.get(session_id)

    def on_terminate(self, session_id: str) -> None:
        try:
            self._on_terminate(session_id)
        except Exception as exc:  # the service may know the session no more
            log.debug("ending %s on the service: %s", session_id, exc)

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run on the agent's loop without waiting: the caller may be the client's own event loop."""
        if self._loop is None:
            coroutine.close()
            return
        asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    async def _end_sessions(self, session_ids: list[str], reason: str, polite: bool = True) -> None:
        sessions = [s for sid in session_ids if (s := self._sessions.get(sid)) is not None]
        await asyncio.gather(*(s.end(reason, polite=polite) for s in sessions), return_exceptions=True)

    async def _drop(self) -> None:
        for session in list(self._sessions.values()):
            ws = session.channel.ws
            if ws is not None:
                session.channel.detach(ws)
                ws.transport.abort()

    def _forget(self, session: AgentSession) -> None:
        if self._sessions.get(session.session_id) is session:
            del self._sessions[session.session_id]

    def _connected(self) -> None:
        self.streams_forwarded += 1

    # ---- one websocket
    async def _handle(self, ws: Any) -> None:
        session_id = ws.request.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        try:
            opening = json.loads(await asyncio.wait_for(ws.recv(), 10))
        except Exception:
            return
        target = self.lookup(session_id)
        if target is None or not isinstance(opening, dict) or opening.get("TokenValue") != target.token:
            await ws.close(4001, "invalid or expired session token")
            return
        session = self._sessions.get(session_id)
        if session is None:
            session = self._sessions[session_id] = AgentSession(self, session_id, target)
        session.attach(ws)
        try:
            await session.channel.serve(ws)
        finally:
            session.channel.detach(ws)
