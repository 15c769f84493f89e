"""Port-forward tunnels that stay up: StartSession with botocore, a carrier for the bytes, reconnects.

Each tunnel is one asyncio task that loops: wait for valid credentials → start an SSM session →
hand it to a carrier (the session-manager-plugin or the built-in data channel, see
core.tunnels.carriers) → confirm the local port accepts connections → "up", checked every few
seconds (core.tunnels.health: a wedged carrier is restarted) → when the carrier ends or the session
drops, reconnect with backoff. Errors that another attempt cannot fix (access
denied, a missing plugin, a port someone else holds) fail the tunnel for good, with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from vouch_desktop.core.aws.errors import AccessDenied, AwsError, AwsUnreachable, ProfileMissing
from vouch_desktop.core.aws.sessions import AwsSessions, translate
from vouch_desktop.core.aws.ssm_commands import SessionRequest
from vouch_desktop.core.aws.targets import FindMatches, resolve_target
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.events import Event
from vouch_desktop.core.storage.profiles import REMOTE_HOST_DOCUMENT
from vouch_desktop.core.system.processes import ProcessRegistry
from vouch_desktop.core.system.redaction import KnownSecrets
from vouch_desktop.core.tunnels.backends import TunnelBackend
from vouch_desktop.core.tunnels.carriers import Carrier, choose_carrier
from vouch_desktop.core.tunnels.datachannel.engine import ForwardingEngine
from vouch_desktop.core.tunnels.errors import TunnelError
from vouch_desktop.core.tunnels.ports import PortInUse, check_port_free, pick_free_port
from vouch_desktop.core.tunnels.state import TunnelSpec, TunnelState, TunnelStatus
from vouch_desktop.core.vouch.errors import VouchNotLoggedIn

log = logging.getLogger(__name__)


@dataclass
class Backoff:
    first: float = 0.5
    factor: float = 2.0
    cap: float = 30.0
    max_failures: int = 8  # consecutive failed attempts (never reaching "up") before giving up
    # a tunnel that had been up for `stable` s and dropped is tried again at once (clients are waiting);
    # one that keeps dropping sooner gets the backoff, so it cannot start sessions in a tight loop
    after_drop: float = 0.05
    stable: float = 2.0

    def delay(self, attempt: int, up_for: float | None = None) -> float:
        """Seconds before attempt ``attempt + 1``; ``up_for``: how long the tunnel had been up, if it just dropped."""
        if attempt == 1 and up_for is not None and up_for >= self.stable:
            return self.after_drop
        base = min(self.cap, self.first * self.factor ** max(0, attempt - 1))
        return base * random.uniform(0.8, 1.2)


class Tunnel:
    def __init__(self, manager: TunnelManager, spec: TunnelSpec, aws_profile: str) -> None:
        self.manager = manager
        self.spec = spec
        self.aws_profile = aws_profile
        self.local_port = spec.local_port or pick_free_port()  # fixed for the life of the tunnel
        self.status = TunnelStatus(spec.name, TunnelState.STARTING, self.local_port, target=spec.target)
        self.carrier: Carrier | None = None
        self.session_id = ""
        self.unterminated: list[str] = []  # sessions ended while AWS could not be reached: terminated later
        self.task: asyncio.Task | None = None
        self.stopping = False

    def set(self, state: TunnelState, reason: str = "", advice: str = "", attempts: int | None = None) -> None:
        # what the tray, `tunnel list`, notifications and the log show: a plugin's message may quote its secrets
        clean = self.manager.secrets.redact
        self.status = replace(self.status, state=state, reason=clean(reason), advice=clean(advice), since=time.time(),
                              attempts=self.status.attempts if attempts is None else attempts,
                              backend=self.carrier.backend if self.carrier is not None else self.status.backend)
        self.manager.changed.emit(self.status)

    async def run(self) -> None:
        failures = 0  # consecutive attempts that did not reach "up": they set the backoff
        counted = 0  # those of them that count toward giving up (AWS out of reach does not)
        ever_up = False
        up_since: float | None = None  # while up: since when
        reason = advice = ""
        while not self.stopping:
            if not self.manager.credentials_valid:
                self.set(TunnelState.PAUSED, "waiting for a Vouch login")
                await self.manager.wait_for_credentials()
                continue
            # while retrying, the last failure stays on show: it says why the tunnel is not up
            self.set(TunnelState.RECONNECTING if ever_up or failures else TunnelState.STARTING,
                     reason if failures else "", advice if failures else "", attempts=failures)
            unreachable = False
            try:
                await self.start_once(first=not ever_up and failures == 0)
                self.set(TunnelState.UP, attempts=0)
                self.manager.record("tunnel_recovered" if ever_up else "tunnel_start", self, "up")
                await self.terminate_sessions()  # AWS answers again: end what an outage left open
                ever_up, failures, counted = True, 0, 0
                up_since = time.monotonic()
                reason, advice = await self.wait_for_end(), ""
            except TunnelError as exc:
                if exc.permanent:
                    return self.fail(exc)
                reason, advice = exc.message, exc.advice
            except (ProfileMissing, AccessDenied) as exc:
                return self.fail(exc)
            except VouchNotLoggedIn:
                self.manager.credentials_valid = False
                continue
            except AwsUnreachable as exc:  # the network or AWS is down: keep trying until it is back
                reason, advice, unreachable = exc.message, exc.advice, True
            except AwsError as exc:
                reason, advice = exc.message, exc.advice
                if exc.code in ("InvalidDocument", "ValidationException", "InvalidParameters"):
                    return self.fail(exc)
            finally:
                await self.cleanup()
            if self.stopping:
                break
            reason, advice = self.manager.secrets.redact(reason), self.manager.secrets.redact(advice)
            failures += 1
            counted += 0 if unreachable else 1
            if counted >= self.manager.backoff.max_failures:
                return self.fail(TunnelError(f"gave up after {failures} attempts: {reason}", advice=advice))
            log.info("tunnel %s dropped (%s); reconnecting", self.spec.name, reason)
            self.set(TunnelState.RECONNECTING, reason, advice, attempts=failures)
            # the end of an up tunnel is a drop; each attempt after it (or before the first up) a retry
            self.manager.record("tunnel_drop" if ever_up and failures == 1 else "tunnel_retry", self, reason)
            up_for, up_since = (None if up_since is None else time.monotonic() - up_since), None
            await self.manager.sleep(self.manager.backoff.delay(failures, up_for))
        self.set(TunnelState.STOPPED)

    def fail(self, exc: VouchDesktopError) -> None:
        message = self.manager.secrets.redact(exc.message)
        log.warning("tunnel %s failed: %s", self.spec.name, message)
        self.set(TunnelState.FAILED, message, exc.advice)
        self.manager.record("tunnel_failure", self, message)
        self.manager.failed.emit(self.status)

    def request(self, target: str) -> SessionRequest:
        parameters = {"portNumber": [str(self.spec.remote_port)], "localPortNumber": [str(self.local_port)]}
        document = self.spec.document or REMOTE_HOST_DOCUMENT
        if document == REMOTE_HOST_DOCUMENT:
            parameters["host"] = [self.spec.remote_host]
        return SessionRequest(target=target, region=self.spec.region, profile=self.aws_profile,
                              document=document, parameters=parameters)

    async def start_once(self, first: bool) -> None:
        carrier = self.manager.choose_carrier()
        try:
            check_port_free(self.local_port)
        except PortInUse as exc:
            # our own previous session may still be releasing the port: only the first start is final
            exc.permanent = first
            raise
        target = await self.manager.resolve_target(self.spec, self.aws_profile)
        request = self.request(target)
        ssm = self.manager.aws.client("ssm", self.aws_profile, self.spec.region)
        try:
            response = await asyncio.to_thread(
                ssm.start_session, **request.api_arguments(), Reason=f"Vouch Desktop tunnel {self.spec.name}"[:256])
        except Exception as exc:
            raise translate(exc, profile=self.aws_profile, target=target, action="starting the tunnel session") from exc
        self.session_id = response["SessionId"]
        # before anything the carrier says is read: its output may quote the session's or the profile's secrets
        self.manager.secrets.add_session(response)
        self.manager.secrets.add(await asyncio.to_thread(self.manager.aws.keys_in_use, self.aws_profile))
        self.carrier = carrier
        await carrier.start(response, request, ssm.meta.endpoint_url, self.local_port)

    async def wait_for_end(self) -> str:
        """Why the carrier ended, or what its health check found wrong twice in a row (it is then restarted)."""
        carrier = self.carrier
        assert carrier is not None
        closed = asyncio.ensure_future(carrier.wait_closed())
        problems = 0
        try:
            while True:
                done, _ = await asyncio.wait({closed}, timeout=self.manager.health_interval)
                if done:
                    return closed.result()
                problem = await carrier.check()
                problems = problems + 1 if problem else 0
                if problems >= 2:
                    log.warning("tunnel %s is wedged (%s): restarting it", self.spec.name, problem)
                    return f"restarted: {problem}"
        finally:
            if not closed.done():
                closed.cancel()
                await asyncio.gather(closed, return_exceptions=True)

    async def cleanup(self) -> None:
        carrier, self.carrier = self.carrier, None
        if carrier is not None:
            await carrier.stop()
        session_id, self.session_id = self.session_id, ""
        if session_id:
            self.unterminated.append(session_id)
        await self.terminate_sessions()

    async def terminate_sessions(self) -> None:
        """Terminate the sessions this tunnel ended, best effort (one may be gone already). One that AWS
        could not be reached for is kept and tried again once the tunnel is up, so that an outage does
        not leave sessions open on the service."""
        for session_id in list(self.unterminated):
            try:
                ssm = self.manager.aws.client("ssm", self.aws_profile, self.spec.region)
                await asyncio.to_thread(ssm.terminate_session, SessionId=session_id)
            except Exception as exc:  # whatever it is, it must not end the tunnel
                if isinstance(translate(exc), AwsUnreachable):
                    continue
                log.debug("terminating session %s: %s", session_id, exc)
            self.unterminated.remove(session_id)


class TunnelManager:
    def __init__(self, aws: AwsSessions, processes: ProcessRegistry, *,
                 plugin_path: Callable[[], str | None],
                 resolve_tag_filter: FindMatches | None = None,
                 record: Callable[[str, dict[str, object]], object] | None = None,
                 backoff: Backoff | None = None, start_timeout: float = 20.0,
                 plugin_reads_env: bool = True, backend: Callable[[], str] = lambda: TunnelBackend.AUTO,
                 health_interval: float = 2.0, accept_limit: float = 5.0,
                 secrets: KnownSecrets | None = None) -> None:
        self.aws = aws
        self.processes = processes
        self.plugin_path = plugin_path
        self.backend = backend
        self.engine = ForwardingEngine()  # carries the built-in tunnels, started on first use
        self._resolve_tag_filter = resolve_tag_filter
        self._record = record
        self.backoff = backoff or Backoff()
        self.start_timeout = start_timeout
        self.plugin_reads_env = plugin_reads_env
        self.health_interval = health_interval  # how often an "up" tunnel's carrier is checked
        self.accept_limit = accept_limit  # a connection waiting longer than this to be accepted: wedged
        self.secrets = secrets or KnownSecrets()  # removed from every text a tunnel shows or records
        self.changed: Event[TunnelStatus] = Event()
        self.failed: Event[TunnelStatus] = Event()
        self._tunnels: dict[str, Tunnel] = {}
        self._retiring: set[asyncio.Task] = set()  # tunnels whose profile went away, being stopped
        self._credentials = asyncio.Event()
        self._credentials.set()
        self._wake = asyncio.Event()

    # ---- credentials: pause while logged out, resume after a new login
    @property
    def credentials_valid(self) -> bool:
        return self._credentials.is_set()

    @credentials_valid.setter
    def credentials_valid(self, valid: bool) -> None:
        if valid:
            self._credentials.set()
        else:
            self._credentials.clear()

    async def wait_for_credentials(self) -> None:
        await self._credentials.wait()

    async def sleep(self, seconds: float) -> None:
        """Backoff sleep that a wake-up (resume from sleep, new login) cuts short."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    def wake(self) -> None:
        self._wake.set()
        self._wake = asyncio.Event()

    # ---- queries
    def status(self, name: str) -> TunnelStatus:
        tunnel = self._tunnels.get(name)
        return tunnel.status if tunnel else TunnelStatus(name)

    def statuses(self) -> list[TunnelStatus]:
        return [t.status for t in self._tunnels.values()]

    def pids(self) -> list[int]:
        """The plugin processes of the tunnels (built-in tunnels have none)."""
        return [pid for t in self._tunnels.values() if t.carrier is not None and (pid := t.carrier.pid) is not None]

    def choose_carrier(self) -> Carrier:
        choice = TunnelBackend(self.backend())
        return choose_carrier(choice, self.plugin_path() if choice is not TunnelBackend.BUILTIN else None,
                              processes=self.processes, engine=self.engine,
                              plugin_reads_env=self.plugin_reads_env, timeout=self.start_timeout,
                              accept_limit=self.accept_limit, resume=self.resume_session,
                              on_resumed=self.session_resumed)

    async def resume_session(self, request: SessionRequest, session_id: str) -> dict:
        """ResumeSession for a built-in tunnel whose websocket dropped (its connections stay open)."""
        ssm = self.aws.client("ssm", request.profile, request.region)
        return await asyncio.to_thread(ssm.resume_session, SessionId=session_id)

    def session_resumed(self, session_id: str) -> None:
        for tunnel in self._tunnels.values():
            if tunnel.session_id == session_id:
                log.info("tunnel %s: session resumed after a network drop", tunnel.spec.name)
                self.record("tunnel_recovered", tunnel, "session resumed after a network drop (connections kept)")

    # ---- control
    async def start(self, spec: TunnelSpec, default_aws_profile: str = "") -> TunnelStatus:
        existing = self._tunnels.get(spec.name)
        if existing is not None and existing.status.active:
            return existing.status
        tunnel = Tunnel(self, spec, spec.aws_profile or default_aws_profile)
        self._tunnels[spec.name] = tunnel
        self.changed.emit(tunnel.status)
        tunnel.task = asyncio.ensure_future(tunnel.run())
        return tunnel.status

    async def stop(self, name: str) -> None:
        tunnel = self._tunnels.get(name)
        if tunnel is not None:
            await self._stop(tunnel)

    def retire(self, name: str) -> None:
        """Stop a tunnel whose profile is going away (deleted, renamed): it leaves the list at once, so no
        menu, `tunnel list` or `tunnel down` shows a tunnel none of them can reach any more, and its
        carrier and session end right after (``stop_all`` waits for that too). Synchronous, for
        ``ProfileBook.removing``; needs the running loop."""
        tunnel = self._tunnels.pop(name, None)
        if tunnel is None:
            return
        log.info("stopping tunnel %s: its profile is going away", name)
        task = asyncio.ensure_future(self._stop(tunnel, "stopped: its profile was deleted or renamed"))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _stop(self, tunnel: Tunnel, message: str = "stopped") -> None:
        tunnel.stopping = True
        if tunnel.task is not None and not tunnel.task.done():
            tunnel.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await tunnel.task
        await tunnel.cleanup()
        if tunnel.status.state is not TunnelState.FAILED:
            tunnel.set(TunnelState.STOPPED)
        self.record("tunnel_stop", tunnel, message)

    async def stop_all(self) -> None:
        await asyncio.gather(*(self.stop(name) for name in list(self._tunnels)), *self._retiring)
        self.engine.stop()

    async def reconnect_all(self, reason: str) -> None:
        """After a resume from sleep or a network change the sessions are likely dead: restart them."""
        for tunnel in self._tunnels.values():
            if tunnel.status.state is TunnelState.UP and tunnel.carrier is not None:
                log.info("restarting tunnel %s: %s", tunnel.spec.name, reason)
                await tunnel.carrier.stop()
        self.wake()

    async def resolve_target(self, spec: TunnelSpec, aws_profile: str) -> str:
        """The instance to reach the remote host through: a tag filter takes its first match."""
        if self._resolve_tag_filter is None:
            return spec.target
        target = await resolve_target(self._resolve_tag_filter, aws_profile, spec.region, spec.target)
        assert target is not None  # the first match is always taken
        return target

    def record(self, kind: str, tunnel: Tunnel, message: str) -> None:
        if self._record is not None:
            self._record(kind, {"profile": tunnel.spec.name, "target": tunnel.spec.target,
                                "region": tunnel.spec.region, "message": self.secrets.redact(message),
                                "local_port": tunnel.local_port})
