"""How a tunnel's bytes travel once its SSM session has started.

``PluginCarrier`` hands the session to AWS's session-manager-plugin (a child process);
``BuiltinCarrier`` speaks the data channel itself (core.tunnels.datachannel), on the shared forwarding
thread. Both listen on 127.0.0.1:local_port, report "ready" only when that port accepts, and end
with a reason. Both survive a network blip on their own (ResumeSession, same stream position, open
connections kept): AWS's plugin does it itself; the built-in backend asks the manager to call
ResumeSession (``resume``) and tells it when a session came back (``on_resumed``). Only a session that
cannot be resumed ends. ``choose_carrier`` applies the user's choice: "auto" takes the plugin when it is
installed and the built-in backend when it is not.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from vouch_desktop.core.aws.sessions import AwsUnreachable, translate
from vouch_desktop.core.aws.ssm_commands import SessionRequest, plugin_argv
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.system.processes import ManagedProcess, ProcessRegistry
from vouch_desktop.core.tunnels.datachannel.engine import ForwardingEngine
from vouch_desktop.core.tunnels.datachannel.port_forwarding import ForwardingError, PortForwardingSession, ResumeRefused

PLUGIN, BUILTIN = "AWS plugin", "built-in"
ResumeCall = Callable[[SessionRequest, str], Awaitable[dict[str, Any]]]  # ssm ResumeSession(SessionId) → its reply
BACKEND_CHOICES = {"auto": "Automatic (AWS plugin when installed, else built-in)",
                   "plugin": "AWS session-manager-plugin", "builtin": "Built-in (no plugin needed)"}


class TunnelError(VouchDesktopError):
    """A tunnel could not start; ``permanent`` when trying again cannot help."""

    def __init__(self, message: str, *, advice: str = "", permanent: bool = False) -> None:
        super().__init__(message, advice=advice)
        self.permanent = permanent


class PortInUse(TunnelError):
    pass


class PluginMissing(TunnelError):
    pass


class Carrier(Protocol):
    name: str

    @property
    def pid(self) -> int | None: ...

    async def start(self, response: dict, request: SessionRequest, endpoint: str, local_port: int) -> None: ...

    async def wait_closed(self) -> str: ...

    async def stop(self) -> None: ...


async def wait_until_accepting(port: int, process: ManagedProcess, timeout: float) -> None:
    """The plugin says "Waiting for connections" before it really listens on some platforms: probe."""
    deadline = time.monotonic() + timeout
    while True:
        if process.returncode is not None:
            raise TunnelError(f"session-manager-plugin exited (code {process.returncode}) before the port opened")
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
    name = PLUGIN

    def __init__(self, plugin: str, processes: ProcessRegistry, *, reads_env: bool, timeout: float) -> None:
        self.plugin = plugin
        self.processes = processes
        self.reads_env = reads_env
        self.timeout = timeout
        self.process: ManagedProcess | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    async def start(self, response: dict, request: SessionRequest, endpoint: str, local_port: int) -> None:
        argv, env = plugin_argv(self.plugin, response, request, endpoint, use_env=self.reads_env)
        self.process = await self.processes.spawn(argv, env=env, stdout=asyncio.subprocess.PIPE,
                                                  stderr=asyncio.subprocess.PIPE)
        await wait_until_accepting(local_port, self.process, self.timeout)

    async def wait_closed(self) -> str:
        process = self.process  # stop() (a restart after a clock jump) may clear it meanwhile
        assert process is not None
        tail = b""
        if process.stderr is not None:
            with contextlib.suppress(Exception):
                tail = (await process.stderr.read())[-400:]
        code = await process.wait()
        detail = tail.decode(errors="replace").strip().splitlines()
        return f"session-manager-plugin exited (code {code})" + (f": {detail[-1]}" if detail else "")

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            await process.stop()


class BuiltinCarrier:
    name = BUILTIN
    pid = None

    def __init__(self, engine: ForwardingEngine, *, timeout: float, resume: ResumeCall | None = None,
                 on_resumed: Callable[[str], None] | None = None) -> None:
        self.engine = engine
        self.timeout = timeout
        self.resume = resume
        self.on_resumed = on_resumed
        self.session: PortForwardingSession | None = None

    async def start(self, response: dict, request: SessionRequest, endpoint: str, local_port: int) -> None:
        session_id = response["SessionId"]
        self.session = PortForwardingSession(response["StreamUrl"], response["TokenValue"], local_port,
                                             handshake_timeout=self.timeout,
                                             resume=self._resumer(request, session_id) if self.resume else None,
                                             on_resumed=self._announcer(session_id))
        try:
            await self.engine.call(self.session.start())
        except ForwardingError as exc:
            raise TunnelError(exc.message, advice=exc.advice, permanent=exc.permanent) from None

    def _resumer(self, request: SessionRequest, session_id: str) -> Callable[[], Awaitable[dict[str, Any]]]:
        """ResumeSession for the forwarding thread, called on this (the manager's) loop."""
        loop, resume = asyncio.get_running_loop(), self.resume
        assert resume is not None

        async def call() -> dict[str, Any]:
            try:
                return await resume(request, session_id)
            except Exception as exc:
                error = translate(exc, profile=request.profile, target=request.target,
                                  action="resuming the tunnel session")
                if isinstance(error, AwsUnreachable):
                    raise error from None  # out of reach for now: the session tries again
                raise ResumeRefused(error.message, advice=error.advice) from None

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

    async def stop(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            await self.engine.call(session.close())


def choose_carrier(choice: str, plugin: str | None, *, processes: ProcessRegistry, engine: ForwardingEngine,
                   plugin_reads_env: bool, timeout: float, resume: ResumeCall | None = None,
                   on_resumed: Callable[[str], None] | None = None) -> Carrier:
    if choice != "builtin" and plugin:
        return PluginCarrier(plugin, processes, reads_env=plugin_reads_env, timeout=timeout)
    if choice == "plugin":
        raise PluginMissing("SessionManagerPlugin is not found.",
                            advice="Install the Session Manager plugin for the AWS CLI and make sure it is on your "
                                   "PATH, set its path in Settings, or choose the built-in tunnel backend there.",
                            permanent=True)
    return BuiltinCarrier(engine, timeout=timeout, resume=resume, on_resumed=on_resumed)
