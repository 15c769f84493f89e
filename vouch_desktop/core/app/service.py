"""The application service: the app's rules in one Qt-free place, on the core objects the
composition root built. The tray renders what it says (its events and state) and asks it to act;
the command line reaches it through the control handlers (core/app/control.py).

Rules kept here: a Vouch login lets tunnels run and makes AWS sessions re-read credentials, a
logout or expiry pauses them; settings are validated, applied to every part and saved as one
step; expiry notices go out only when the user wants them; the instance list is dropped when the
profile or regions change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vouch_desktop.core.app.settings_holder import SettingsChange, SettingsHolder
from vouch_desktop.core.app.tasks import Tasks
from vouch_desktop.core.aws.access import CallerIdentity, check_access
from vouch_desktop.core.aws.discovery import DiscoveredInstance, DiscoveryResult, InstanceDiscovery, RegionDone
from vouch_desktop.core.aws.sessions import AwsSessions
from vouch_desktop.core.aws.ssm_commands import find_tools, ssh_argv
from vouch_desktop.core.connect.errors import ConnectError
from vouch_desktop.core.databases.errors import DatabaseError
from vouch_desktop.core.errors import ValidationError, ValidationErrors, VouchDesktopError
from vouch_desktop.core.events import Event
from vouch_desktop.core.storage.history import History
from vouch_desktop.core.storage.profiles import InstanceProfile, ProfileBook, TunnelProfile
from vouch_desktop.core.storage.settings import Settings, SettingsStore
from vouch_desktop.core.system.autostart import Autostart, launch_command
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.core.system.processes import ProcessRegistry
from vouch_desktop.core.tunnels.manager import TunnelManager
from vouch_desktop.core.tunnels.state import TunnelState, TunnelStatus
from vouch_desktop.core.vouch.client import VouchClient
from vouch_desktop.core.vouch.login import LoginRunner, LoginStep
from vouch_desktop.core.vouch.session_monitor import SessionMonitor
from vouch_desktop.core.vouch.session_state import Notice, SessionSnapshot, SessionState, notice_for_transition
from vouch_desktop.core.vouch.yubikey import KeyDetector, KeyPresence, watch_key

if TYPE_CHECKING:  # loaded at their first use, not by a starting or idle app (issue 23: time to ready)
    from vouch_desktop.core.aws.databases import DatabaseDiscovery, DatabaseEndpoint
    from vouch_desktop.core.connect.connector import Chooser, Connection, Connector
    from vouch_desktop.core.connect.diagnostics import Diagnostics
    from vouch_desktop.core.connect.ssh_config import SshConfigEditor, SshSetupOutcome
    from vouch_desktop.core.databases.sign_in import AskPassword, DatabaseSignIn, OpenedClient, Opener

log = logging.getLogger(__name__)
TUNNEL_UP_WAIT = 45.0  # `tunnel up` answers once each tunnel is up or failed, within this time
TERMINAL_TEST = ["sh", "-c", "echo 'Vouch Desktop: this terminal works.'; sleep 5"]


class SshSetupFailed(ConnectError):
    """~/.ssh/config could not be changed."""


class RecordedLogin:
    """A login runner whose failures are also handed to ``failed`` (for the history)."""

    def __init__(self, runner: LoginRunner, failed: Callable[[VouchDesktopError], None]) -> None:
        self.runner, self.failed = runner, failed
        self.cancelled = False
        self.needs_pin, self.key_timeout = runner.needs_pin, runner.key_timeout

    async def run(self, pin: str, on_progress: Callable[[LoginStep], None]) -> None:
        try:
            await self.runner.run(pin, on_progress)
        except VouchDesktopError as exc:
            if not self.cancelled:  # stopping vouch on Cancel may make it fail: that is no failed login
                self.failed(exc)
            raise

    def cancel(self) -> None:
        self.cancelled = True
        self.runner.cancel()

    def __getattr__(self, name: str) -> Any:  # what else the runner offers (its pid)
        return getattr(self.runner, name)


class TunnelNotUp(DatabaseError):
    """A database client was asked for, but its tunnel did not come up."""


def set_root_log_level(level: str) -> None:
    logging.getLogger().setLevel(level)


async def open_in_terminal(settings: Settings, command: list[str], title: str,
                           values: dict[str, str] | None = None) -> None:
    """core/connect/connector.py's, loaded with the first terminal."""
    from vouch_desktop.core.connect.connector import open_in_terminal as open_it

    await open_it(settings, command, title, values)


@dataclass(eq=False)
class AppService:
    """Everything the app works with (built by the composition root), and the rules between them."""

    paths: AppPaths
    settings_store: SettingsStore
    settings: SettingsHolder
    profiles: ProfileBook
    history: History
    processes: ProcessRegistry
    aws: AwsSessions
    vouch: VouchClient
    monitor: SessionMonitor
    key_detector: KeyDetector
    discovery: InstanceDiscovery
    tunnels: TunnelManager
    autostart: Autostart
    tasks: Tasks
    set_log_level: Callable[[str], None] = set_root_log_level

    key: KeyPresence = field(init=False, default_factory=lambda: KeyPresence(False, known=False,
                                                                              detail="not checked yet"))
    instances: DiscoveryResult | None = field(init=False, default=None)  # the last discovery, while still valid
    key_changed: Event[KeyPresence] = field(init=False, default_factory=Event)
    notices: Event[Notice] = field(init=False, default_factory=Event)  # session notices the user asked for
    _background: list[asyncio.Task[Any]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        # the first listener of the session monitor: tunnels know the login state before anything renders
        self.monitor.changed.connect(self.on_session)
        self.monitor.transition.connect(self.on_transition)
        self.monitor.clock_jumped.connect(self.on_clock_jump)
        self.settings.changed.connect(self.on_settings_changed)

    # Made from the parts above at their first use (a test may set its own first): a starting tray uses none of
    # them, and loading their code would put off "ready" (issue 23).
    @cached_property
    def connector(self) -> Connector:
        from vouch_desktop.core.connect.connector import Connector

        return Connector(self.vouch, self.aws, self.discovery, self.history, self.processes)

    @cached_property
    def databases(self) -> DatabaseDiscovery:
        from vouch_desktop.core.aws.databases import DatabaseDiscovery

        return DatabaseDiscovery(self.aws)

    @cached_property
    def ssh_config(self) -> SshConfigEditor:
        from vouch_desktop.core.connect.ssh_config import SshConfigEditor

        return SshConfigEditor()

    @cached_property
    def databases_sign_in(self) -> DatabaseSignIn:
        """Database sign-in through tunnels (keyring, IAM tokens, clients)."""
        from vouch_desktop.core.databases.passwords import PasswordVault
        from vouch_desktop.core.databases.secret_files import SecretFiles
        from vouch_desktop.core.databases.sign_in import DatabaseSignIn

        return DatabaseSignIn(PasswordVault(self.paths.data_dir / "database-passwords.json"),
                              SecretFiles(self._secret_files_folder), self.aws)

    @property
    def _secret_files_folder(self) -> Path:
        return self.paths.runtime_dir / "db-sign-in"

    # ---------------------------------------------------------------- life cycle
    async def start(self) -> None:
        """Read the real state (login, key), then keep watching it; start the tunnels marked so."""
        await self.monitor.refresh_now()
        self.on_key(await asyncio.to_thread(self.key_detector.present))
        self._background.append(self.tasks.spawn(self.monitor.run(refresh_first=False), what="session monitor"))
        self._background.append(self.tasks.spawn(watch_key(self.key_detector, self.on_key), what="key watch"))
        for tunnel in self.profiles.tunnels:
            if tunnel.start_at_launch:
                await self.tunnels.start(tunnel, self.settings.current.aws_profile)

    async def tidy_up(self) -> None:
        """After start: the database sign-in files a run that was killed left behind, and no client holds, go.
        Only when there are any: the sign-in code is not loaded for nothing."""
        from vouch_desktop.core.databases.secret_files import SecretFiles

        if await asyncio.to_thread(SecretFiles(self._secret_files_folder).files):
            await self.databases_sign_in.start()

    async def stop(self) -> None:
        """Stop watching, stop every tunnel and child process, cancel what is still running."""
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.tunnels.stop_all()
        await self.discovery.stop()  # its worker ended as it expects, before the registry stops what is left
        await self.processes.stop_all()
        if "databases_sign_in" in vars(self):  # made (cached_property keeps it there): it may have files to remove
            await self.databases_sign_in.stop()
        await self.tasks.cancel_all()

    # ---------------------------------------------------------------- session and key
    def on_session(self, snapshot: SessionSnapshot) -> None:
        """A login lets tunnels run (and AWS re-reads the new credentials); expiry or logout pauses them."""
        if snapshot.state in (SessionState.VALID, SessionState.EXPIRING):
            if not self.tunnels.credentials_valid:
                self.aws.forget()  # new credentials after a login
            self.tunnels.credentials_valid = True
        elif snapshot.state in (SessionState.EXPIRED, SessionState.LOGGED_OUT):
            self.tunnels.credentials_valid = False

    def on_clock_jump(self, seconds: float) -> None:
        """After a suspend the sessions are likely dead: restart the tunnels at once."""
        self.tasks.spawn(self.tunnels.reconnect_all("the clock jumped (resume from sleep)"), what="reconnect")

    def on_transition(self, change: tuple[SessionState, SessionState]) -> None:
        old, new = change
        if new is SessionState.EXPIRED and old is not SessionState.EXPIRED:
            self.history.add("session_expired", message=self.monitor.snapshot.email)
        notice = notice_for_transition(*change, self.monitor.snapshot)
        if notice is not None and self.settings.current.notify_enabled:
            self.notices.emit(notice)

    def on_key(self, presence: KeyPresence) -> None:
        self.key = presence
        self.key_changed.emit(presence)

    def login_blocked_reason(self) -> str:
        """Why logging in cannot work now ("" when it can)."""
        if self.key.known and not self.key.present and not self.settings.current.allow_login_without_key:
            return "plug in your YubiKey"
        return ""

    def after_login(self, ok: bool) -> None:
        if ok:
            self.history.add("login")
            self.aws.forget()
            self.monitor.poke()

    def login_failed(self, error: VouchDesktopError) -> None:
        """A login that vouch refused (a wrong PIN, no key, …); a cancelled one is not a failure."""
        self.history.add("login_failure", message=error.message)

    def recording(self, runner: LoginRunner) -> LoginRunner:
        """``runner`` with its failures kept in the history."""
        return RecordedLogin(runner, self.login_failed)

    async def log_out(self) -> None:
        await self.vouch.logout()
        self.history.add("logout")
        self.monitor.logged_out_by_user()

    async def check_aws_access(self) -> CallerIdentity:
        settings = self.settings.current
        return await check_access(self.aws, settings.aws_profile, settings.regions[0])

    # ---------------------------------------------------------------- instances and shells
    async def load_instances(self, on_region: RegionDone[DiscoveredInstance] | None = None) -> DiscoveryResult:
        """Every chosen region's instances; ``on_region`` hears of each region as soon as it is done."""
        settings = self.settings.current
        self.instances = await self.discovery.discover(settings.aws_profile, settings.regions, on_region)
        return self.instances

    @staticmethod
    def draft_profile(instance: DiscoveredInstance) -> InstanceProfile:
        return InstanceProfile(instance.name or instance.instance_id, instance.instance_id, instance.region)

    async def connect(self, profile: InstanceProfile, choose: Chooser) -> Connection | None:
        return await self.connector.connect(profile, self.settings.current, choose)

    async def connect_to(self, profile: InstanceProfile, instance: DiscoveredInstance) -> Connection:
        return await self.connector.connect_to(profile, self.settings.current, instance.instance_id)

    def ssh_routed(self) -> bool:
        return self.ssh_config.status().routed

    def set_up_ssh(self) -> SshSetupOutcome:
        """Add the SSH-over-SSM block to ~/.ssh/config (or the file ssh is told to read); what it did."""
        try:
            return self.ssh_config.set_up(self.settings.current.aws_profile)
        except OSError as exc:
            raise SshSetupFailed(f"{self.ssh_config.path} could not be changed: {exc.strerror or exc}.",
                                 advice="Check the file's permissions, or add the block by hand.") from exc

    def ssh_command_line(self, instance: DiscoveredInstance, user: str = "") -> str:
        """The ssh command for ``instance`` as it works here (with -F FILE when ssh must be told its file)."""
        from vouch_desktop.core.connect.ssh_config import ssh_command_line

        return ssh_command_line(instance.instance_id, user, self.ssh_config.ssh_options())

    async def open_ssh(self, instance: DiscoveredInstance, user: str = "") -> None:
        settings = self.settings.current
        await open_in_terminal(settings, ssh_argv(instance.instance_id, user, options=self.ssh_config.ssh_options()),
                               f"ssh {instance.label}",
                               {"target": instance.instance_id, "region": instance.region,
                                "profile": settings.aws_profile})

    async def test_terminal(self, settings: Settings) -> None:
        """Open a short test command in the terminal ``settings`` choose (not saved yet)."""
        await open_in_terminal(settings, TERMINAL_TEST, "Vouch Desktop terminal test")

    def diagnostics(self) -> Diagnostics:
        from vouch_desktop.core.connect.diagnostics import Diagnostics

        settings = self.settings.current
        return Diagnostics(self.vouch, self.aws, lambda: find_tools(settings.plugin_path), settings.aws_profile,
                           settings.regions[0], self.ssh_config, processes=self.processes)

    async def database_endpoints(self) -> list[DatabaseEndpoint]:
        settings = self.settings.current
        endpoints, _ = await self.databases.discover(settings.aws_profile, settings.regions)
        return endpoints

    # ---------------------------------------------------------------- tunnels
    def tunnels_named(self, name: str) -> list[TunnelProfile]:
        """A group's tunnels, or the one tunnel of that name (UnknownProfile when neither)."""
        group = [t for t in self.profiles.tunnels if t.group == name]
        return group or [self.profiles.require(name, TunnelProfile)]

    def tunnel_status(self, profile: TunnelProfile) -> TunnelStatus:
        return self.tunnels.status(profile.name)

    async def start_tunnel(self, profile: TunnelProfile) -> None:
        await self.tunnels.start(profile, self.settings.current.aws_profile)

    async def set_tunnel(self, profile: TunnelProfile, on: bool) -> None:
        if on:
            await self.start_tunnel(profile)
        else:
            await self.tunnels.stop(profile.name)

    def active_tunnels(self) -> list[TunnelStatus]:
        """The saved tunnels that are up or on their way (starting, reconnecting, paused)."""
        return [status for profile in self.profiles.tunnels if (status := self.tunnel_status(profile)).active]

    async def stop_all_tunnels(self) -> None:
        await asyncio.gather(*(self.tunnels.stop(status.name) for status in self.active_tunnels()))

    def quit_needs_confirmation(self) -> list[TunnelStatus]:
        """The tunnels quitting would stop, when the user wants to be asked first (else empty)."""
        return self.active_tunnels() if self.settings.current.confirm_quit_with_tunnels else []

    def stop_confirming_quit(self) -> None:
        """"Don't ask again": saved like any other setting."""
        self.apply_settings(replace(self.settings.current, confirm_quit_with_tunnels=False))

    async def bring_up(self, profiles: list[TunnelProfile], wait: float = TUNNEL_UP_WAIT) -> None:
        """Start them and return once each is up or has failed (or ``wait`` s passed), as a script wants."""
        for profile in profiles:
            await self.start_tunnel(profile)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        pending = (TunnelState.STARTING, TunnelState.RECONNECTING)
        while loop.time() < deadline and any(self.tunnels.status(p.name).state in pending for p in profiles):
            await asyncio.sleep(0.1)

    # ---------------------------------------------------------------- databases through tunnels
    def tunnel_aws_profile(self, profile: TunnelProfile) -> str:
        return profile.aws_profile or self.settings.current.aws_profile

    async def open_database_client(self, profile: TunnelProfile, tool_id: str, ask: AskPassword,
                                   opener: Opener | None = None) -> OpenedClient:
        """Bring the tunnel up (if it is not), get the password (keyring, asked for, an IAM token, or none:
        the client asks), and open the client in a terminal (``opener``: the user's terminal unless given).
        ``SignInCancelled`` when the user cancels the password dialog."""
        from vouch_desktop.core.databases.clients import client_named
        from vouch_desktop.core.databases.sign_in import SignInCancelled

        sign_in = self.databases_sign_in
        tool = client_named(tool_id)
        started = not self.tunnel_status(profile).active
        if started:
            await self.start_tunnel(profile)  # comes up while the password is read or asked for
        try:
            password = await sign_in.password(profile, self.tunnel_aws_profile(profile), ask)
        except SignInCancelled:
            if started:  # it was off, and only for this client: off again
                await self.tunnels.stop(profile.name)
            raise
        status = await self.tunnel_up(profile)
        if opener is None:
            settings = self.settings.current

            async def in_terminal(argv: list[str], title: str) -> None:
                await open_in_terminal(settings, argv, title)

            opener = in_terminal
        return await sign_in.open_client(profile, tool, status.local_port, password, opener)

    async def tunnel_up(self, profile: TunnelProfile) -> TunnelStatus:
        """The tunnel's status once it is up; ``TunnelNotUp`` with its reason when it fails or does not come up."""
        if not self.tunnel_status(profile).active:
            await self.start_tunnel(profile)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TUNNEL_UP_WAIT
        while self.tunnel_status(profile).state in (TunnelState.STARTING, TunnelState.RECONNECTING) \
                and loop.time() < deadline:
            await asyncio.sleep(0.1)
        status = self.tunnel_status(profile)
        if status.state is not TunnelState.UP:
            raise TunnelNotUp(f"The tunnel '{profile.name}' is not up ({status.summary}).",
                              advice=status.advice or "Start it from the Tunnels menu and look at its state.")
        return status

    async def database_password(self, profile: TunnelProfile, ask: AskPassword) -> str | None:
        """The password to copy: the stored one (or asked for), or a fresh IAM token; None when the client
        asks for it (nothing to copy)."""
        return await self.databases_sign_in.password(profile, self.tunnel_aws_profile(profile), ask)

    def database_url(self, profile: TunnelProfile) -> str | None:
        """The connection URL (no password) on the tunnel's local port; None while that port is not known
        (a tunnel that picks a free port and is not up)."""
        status = self.tunnel_status(profile)
        port = status.local_port if status.state is TunnelState.UP else profile.local_port
        return self.databases_sign_in.url(profile, port) if port else None

    def reload_profiles(self) -> None:
        for problem in self.profiles.load():
            log.warning("%s", problem.user_text())

    # ---------------------------------------------------------------- settings
    def apply_settings(self, new: Settings) -> None:
        """Validate, switch start-at-login, save, then hand the new settings to every part (nothing
        changes when any step fails: ValidationErrors names the fields)."""
        from vouch_desktop.core.connect.terminals import CUSTOM, parse

        errors = new.validate()
        if new.terminal == CUSTOM:
            try:
                parse(new.terminal_template)
            except ValidationError as exc:
                errors.append(exc)
        if errors:
            raise ValidationErrors(errors)
        if new.start_at_login != self.autostart.is_enabled():
            try:
                if new.start_at_login:
                    self.autostart.enable(launch_command())
                else:
                    self.autostart.disable()
            except OSError as exc:
                raise ValidationErrors([ValidationError("start_at_login", f"Cannot change start at login: {exc}")]) \
                    from exc
        self.settings_store.save(new)
        self.settings.replace(new)

    def on_settings_changed(self, change: SettingsChange) -> None:
        old, new = change.old, change.new
        if new.vouch_path != old.vouch_path:
            self.vouch.use_executable(new.vouch_path or None)
        if new.aws_profile != old.aws_profile or new.regions != old.regions:
            self.instances = None
        self.monitor.set_lead_time(new.notify_lead_minutes * 60)
        self.set_log_level(new.log_level)
