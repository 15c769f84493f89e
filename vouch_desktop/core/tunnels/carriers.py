"""How a tunnel's bytes travel once its SSM session has started.

``PluginCarrier`` hands the session to AWS's session-manager-plugin (a child process);
``BuiltinCarrier`` speaks the data channel itself (core.tunnels.datachannel), on the shared forwarding
thread. Both listen on 127.0.0.1:local_port, report "ready" only when that port accepts, end
with a reason, and answer ``check`` (is it still taking connections: core.tunnels.health).
Both try to survive a network blip (ResumeSession, same stream position, open connections kept):
AWS's plugin does it itself; the built-in backend asks the manager to call ResumeSession
(``resume``) and tells it when a session came back (``on_resumed``). Only a session that cannot be
resumed ends.
``choose_carrier`` applies the user's choice (a TunnelBackend): AUTO takes the plugin when it is
installed and the built-in backend when it is not.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from vouch_desktop.core.aws.errors import AwsUnreachable
from vouch_desktop.core.aws.sessions import translate
from vouch_desktop.core.aws.ssm_commands import SessionRequest, plugin_argv
from vouch_desktop.core.system.processes import ManagedProcess, ProcessRegistry
from vouch_desktop.core.tunnels.backends import TunnelBackend
from vouch_desktop.core.tunnels.datachannel.engine import ForwardingEngine
from vouch_desktop.core.tunnels.errors import TunnelError
from vouch_desktop.core.tunnels.health import AcceptWatch, process_problem

if TYPE_CHECKING:  # the data channel's code is loaded with the first built-in tunnel, not by an idle app
    from vouch_desktop.core.tunnels.datachannel.port_forwarding import PortForwardingSession

OUTPUT_TAIL = 8192  # bytes of the plugin's stdout and stderr kept for an error message
ResumeCall = Callable[[SessionRequest, str], Awaitable[dict[str, Any]]]  # ResumeSession(SessionId) → its reply


class PluginMissing(TunnelError):
    pass


class Carrier(Protocol):
    backend: TunnelBackend

    @property
    def pid(self) -> int | None: ...

    async def start(self, response: dict, request: SessionRequest, endpoint: str, local_port: int) -> None: ...

    async def wait_closed(self) -> str: ...

    async def check(self) -> str:
        """"" while the carrier takes and carries connections; else what is wrong (it may pass)."""
        ...

    async def stop(self) -> None: ...


async def wait_until_accepting(port: int, process: ManagedProcess, timeout: float) -> None:
    """The plugin says "Waiting for connections" before it really listens on some platforms: probe."""
    deadline = time.monotonic() + timeout
    while True:
        if process.returncode is not None:
            for tail in process.tails.values():
                await tail.finished(1.0)  # its last words say why (core.system.redaction cleans them later)
            detail = process.tail_lines("stderr")
            raise TunnelError(f"session-manager-plugin exited (code {process.returncode}) before the port opened"
                              + (f": {detail[-1]}" if detail else ""))
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 1.0)
        except (TimeoutError, OSError):
            if time.monotonic() > deadline:
                raise TunnelError(f"Local port {port} did not open within {timeout:.0f} s") from None
            await asyncio.sleep(0.1)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return


class PluginCarrier:
    backend = TunnelBackend.PLUGIN

    def __init__(self, plugin: str, processes: ProcessRegistry, *, reads_env: bool, timeout: float,
                 accept_limit: float = 5.0) -> None:
        self.plugin = plugin
        self.processes = processes
        self.reads_env = reads_env
        self.timeout = timeout
        self.accept_limit = accept_limit
        self.process: ManagedProcess | None = None
        self.accepting: AcceptWatch | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    async def start(self, response: dict, request: SessionRequest, endpoint: str, local_port: int) -> None:
        argv, env = plugin_argv(self.plugin, response, request, endpoint, use_env=self.reads_env)
        # its output is drained as it comes (it prints a line per connection): only a tail is kept
        self.process = await self.processes.spawn(argv, env=env, tail=OUTPUT_TAIL)
        self.accepting = AcceptWatch(local_port, self.accept_limit)
        await wait_until_accepting(local_port, self.process, self.timeout)

    async def wait_closed(self) -> str:
        process = self.process  # stop() (a restart after a clock jump) may clear it meanwhile
        assert process is not None
        code = await process.wait()
        for tail in process.tails.values():
            await tail.finished(1.0)  # its last words
        detail = process.tail_lines("stderr")
        return f"session-manager-plugin exited (code {code})" + (f": {detail[-1]}" if detail else "")

    async def check(self) -> str:
        problem = process_problem(self.pid)
        if not problem and self.accepting is not None:
            problem = await asyncio.to_thread(self.accepting.problem)
        return problem

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            # SIGINT: AWS's plugin then sends the agent its TerminateSession flag before it exits (on
            # SIGTERM it exits without a word, and the agent holds the session until it times out)
            await process.stop(polite=signal.SIGINT)


class BuiltinCarrier:
    backend = TunnelBackend.BUILTIN
    pid = None

    def __init__(self, engine: ForwardingEngine, *, timeout: float, accept_limit: float = 5.0,
                 resume: ResumeCall | None = None, on_resumed: Callable[[str], None] | None = None) -> None:
        self.engine = engine
        self.timeout = timeout
        self.accept_limit = accept_limit
        self.resume = resume
        self.on_resumed = on_resumed
        self.session: PortForwardingSession | None = None
        self.accepting: AcceptWatch | None = None

    async def start(self, response: dict, request: SessionRequest, endpoint: str, local_port: int) -> None:
        from vouch_desktop.core.tunnels.datachannel.port_forwarding import PortForwardingSession

        session_id = response["SessionId"]
        self.session = PortForwardingSession(response["StreamUrl"], response["TokenValue"], local_port,
                                             handshake_timeout=self.timeout,
                                             resume=self._resumer(request, session_id) if self.resume else None,
                                             on_resumed=self._announcer(session_id))
        self.accepting = AcceptWatch(local_port, self.accept_limit)
        await self.engine.call(self.session.start())  # a ForwardingError is a TunnelError

    def _resumer(self, request: SessionRequest, session_id: str) -> Callable[[], Awaitable[dict[str, Any]]]:
        """ResumeSession for the forwarding thread, called on this (the manager's) loop."""
        loop, resume = asyncio.get_running_loop(), self.resume
        assert resume is not None

        async def call() -> dict[str, Any]:
            try:
                return await resume(request, session_id)
            except Exception as exc:
                from vouch_desktop.core.tunnels.datachannel.port_forwarding import ResumeRefused

                error = translate(exc, profile=request.profile, target=request.target,
                                  action="resuming the tunnel session")
                if isinstance(error, AwsUnreachable):
                    raise error from None  # out of reach for now: the session tries again
                raise ResumeRefused(error.message, advice=error.advice, permanent=True) from None

        async def resume_there() -> dict[str, Any]:
            return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call(), loop))

        return resume_there

    def _announcer(self, session_id: str) -> Callable[[], None]:
        loop = asyncio.get_running_loop()

        def resumed() -> None:
            if self.on_resumed is not None:
                loop.call_soon_threadsafe(self.on_resumed, session_id)

        return resumed

    async def wait_closed(self) -> str:
        session = self.session
        assert session is not None
        return await self.engine.call(session.wait_closed())

    async def check(self) -> str:
        try:  # the forwarding thread's loop answers
            await asyncio.wait_for(self.engine.call(asyncio.sleep(0)), self.accept_limit)
        except TimeoutError:
            return f"the built-in forwarding thread did not answer within {self.accept_limit:g} s"
        return await asyncio.to_thread(self.accepting.problem) if self.accepting is not None else ""

    async def stop(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            await self.engine.call(session.close())


def choose_carrier(choice: TunnelBackend, plugin: str | None, *, processes: ProcessRegistry, engine: ForwardingEngine,
                   plugin_reads_env: bool, timeout: float, accept_limit: float = 5.0, resume: ResumeCall | None = None,
                   on_resumed: Callable[[str], None] | None = None) -> Carrier:
    if choice is not TunnelBackend.BUILTIN and plugin:
        return PluginCarrier(plugin, processes, reads_env=plugin_reads_env, timeout=timeout,
                             accept_limit=accept_limit)
    if choice is TunnelBackend.PLUGIN:
        raise PluginMissing("SessionManagerPlugin is not found.",
                            advice="Install the Session Manager plugin for the AWS CLI and make sure it is on your "
                                   "PATH, set its path in Settings, or choose the built-in tunnel backend there.",
                            permanent=True)
    return BuiltinCarrier(engine, timeout=timeout, accept_limit=accept_limit, resume=resume, on_resumed=on_resumed)
