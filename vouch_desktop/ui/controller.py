"""The running app: core services wired to the tray, its menus and windows.

Built once by the composition root (ui/app.py), which hands in every core object; nothing here
constructs a core service or reaches for a global.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QInputDialog, QMenu, QMessageBox

from vouch_desktop.core.aws.access import check_access
from vouch_desktop.core.aws.databases import DatabaseDiscovery
from vouch_desktop.core.aws.discovery import DiscoveredInstance, DiscoveryResult, InstanceDiscovery
from vouch_desktop.core.aws.sessions import AwsSessions, available_profiles
from vouch_desktop.core.aws.ssm_commands import find_tools, ssh_argv
from vouch_desktop.core.connect.connector import Connector
from vouch_desktop.core.connect.diagnostics import Diagnostics
from vouch_desktop.core.connect.ssh_config import SshConfigEditor
from vouch_desktop.core.connect.terminals import CUSTOM, TerminalLauncher, parse, registry
from vouch_desktop.core.connect.terminals import choices as terminal_choices
from vouch_desktop.core.errors import ValidationError, ValidationErrors, VouchDesktopError
from vouch_desktop.core.storage.history import History
from vouch_desktop.core.storage.profiles import InstanceProfile, ProfileBook, TunnelProfile
from vouch_desktop.core.storage.settings import Settings, SettingsStore
from vouch_desktop.core.system.autostart import Autostart, launch_command
from vouch_desktop.core.system.detached import launch_detached
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.core.system.processes import ProcessRegistry
from vouch_desktop.core.tunnels.manager import TunnelManager, TunnelState, connection_string
from vouch_desktop.core.vouch.client import VouchClient
from vouch_desktop.core.vouch.login import VouchLogin
from vouch_desktop.core.vouch.session_monitor import SessionMonitor
from vouch_desktop.core.vouch.session_state import SessionSnapshot, SessionState, notice_for_transition
from vouch_desktop.core.vouch.yubikey import KeyDetector, KeyPresence, watch_key
from vouch_desktop.ui.about_dialog import AboutDialog
from vouch_desktop.ui.diagnostics_window import DiagnosticsWindow
from vouch_desktop.ui.history_window import HistoryWindow
from vouch_desktop.ui.instance_browser import InstanceBrowser
from vouch_desktop.ui.login_dialog import LoginDialog
from vouch_desktop.ui.notifier import Notifier
from vouch_desktop.ui.profile_dialogs import InstanceProfileDialog, TunnelProfileDialog
from vouch_desktop.ui.profiles_window import ProfilesWindow
from vouch_desktop.ui.settings_window import SettingsWindow
from vouch_desktop.ui.tasks import cancel_all, show_error, spawn
from vouch_desktop.ui.tray import TrayIcon

log = logging.getLogger(__name__)

ICON_FOR_STATE = {SessionState.UNKNOWN: "logged-out", SessionState.LOGGED_OUT: "logged-out",
                  SessionState.VALID: "valid", SessionState.EXPIRING: "expiring",
                  SessionState.EXPIRED: "expired", SessionState.ERROR: "error"}


def freeze_long_lived() -> None:
    """Move every object alive now (modules, Qt wrappers, once loaded AWS's models: kept until quit)
    out of the garbage collector's reach. A full collection, which holds the GIL and so stalls the UI
    thread, then scans only newer objects: ~20 ms instead of ~150 ms while instances load."""
    gc.freeze()


@dataclass
class Services:
    """Everything the controller works with, built by the composition root."""

    paths: AppPaths
    settings_store: SettingsStore
    settings: Settings
    profiles: ProfileBook
    history: History
    processes: ProcessRegistry
    aws: AwsSessions
    vouch: VouchClient
    monitor: SessionMonitor
    key_detector: KeyDetector
    discovery: InstanceDiscovery
    databases: DatabaseDiscovery
    tunnels: TunnelManager
    ssh_config: SshConfigEditor
    notifier: Notifier
    tray: TrayIcon
    autostart: Autostart
    connector: Connector
    extra_sections: list[Callable[[QMenu], None]]


class Controller:
    def __init__(self, services: Services, quit_requested: Callable[[], None]) -> None:
        self.s = services
        self.quit_requested = quit_requested
        self.key = KeyPresence(False, known=False, detail="not checked yet")
        self.instances: DiscoveryResult | None = None
        self.browser: InstanceBrowser | None = None
        self.diagnostics_window: DiagnosticsWindow | None = None
        self.login_dialog: LoginDialog | None = None
        self.profiles_window: ProfilesWindow | None = None
        self._windows: list = []  # open dialogs, kept alive while visible
        self._background: list[asyncio.Task] = []
        tray = services.tray
        for section in (self.session_section, self.connect_section, self.tunnels_section, self.tools_section,
                        *services.extra_sections):
            tray.add_section(section)
        services.monitor.changed.connect(self.on_session)
        services.monitor.transition.connect(self.on_transition)
        services.monitor.clock_jumped.connect(
            lambda jump: spawn(services.tunnels.reconnect_all("the clock jumped (resume from sleep)"), what="reconnect"))
        services.tunnels.changed.connect(lambda status: self.refresh_tray())
        services.tunnels.failed.connect(self.on_tunnel_failed)

    # ---------------------------------------------------------------- life cycle
    async def start(self) -> None:
        self.refresh_tray()
        await self.s.notifier.start()
        # "ready" means the tray already shows the real state
        await self.s.monitor.refresh_now()
        self.on_key(await asyncio.to_thread(self.s.key_detector.present))
        self._background.append(spawn(self.s.monitor.run(refresh_first=False), what="session monitor"))
        self._background.append(spawn(watch_key(self.s.key_detector, self.on_key), what="key watch"))
        # AWS's models are loaded when the menu first opens, not at start: an idle icon stays light
        self.s.tray.menu.aboutToShow.connect(self.warm_up_aws, Qt.ConnectionType.SingleShotConnection)
        for tunnel in self.s.profiles.tunnels:
            if tunnel.start_at_launch:
                await self.s.tunnels.start(tunnel, self.s.settings.aws_profile)
        freeze_long_lived()

    def warm_up_aws(self) -> None:
        async def warm_up() -> None:
            await asyncio.to_thread(self.s.aws.warm_up)
            freeze_long_lived()

        self._background.append(spawn(warm_up(), what="loading AWS models"))

    async def shutdown(self) -> None:
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.s.tunnels.stop_all()
        await self.s.processes.stop_all()
        await self.s.notifier.close()
        await cancel_all()
        self.s.tray.hide()
        gc.unfreeze()  # what was long-lived may now be collected (the same process may start another app)

    # ---------------------------------------------------------------- state → tray
    def on_session(self, snapshot: SessionSnapshot) -> None:
        if snapshot.state in (SessionState.VALID, SessionState.EXPIRING):
            if not self.s.tunnels.credentials_valid:
                self.s.aws.forget()  # new credentials after a login
            self.s.tunnels.credentials_valid = True
        elif snapshot.state in (SessionState.EXPIRED, SessionState.LOGGED_OUT):
            self.s.tunnels.credentials_valid = False
        self.refresh_tray()

    def refresh_tray(self) -> None:
        snapshot = self.s.monitor.snapshot
        up = [t for t in self.s.tunnels.statuses() if t.state is TunnelState.UP]
        lines = [snapshot.headline, self.key.menu_text]
        if up:
            lines.append(f"{len(up)} tunnel{'s' if len(up) > 1 else ''} up")
        self.s.tray.set_status(ICON_FOR_STATE[snapshot.state], snapshot.headline, "\n".join(lines))
        self.s.tray.set_tunnels_up(bool(up))

    def on_transition(self, change: tuple[SessionState, SessionState]) -> None:
        notice = notice_for_transition(*change, self.s.monitor.snapshot)
        if notice is None or not self.s.settings.notify_enabled:
            return
        spawn(self.s.notifier.show(notice.summary, notice.body, "Log in again", self.show_login, notice.critical),
              what="notification")

    def on_key(self, presence: KeyPresence) -> None:
        self.key = presence
        self.refresh_tray()

    def on_tunnel_failed(self, status) -> None:
        self.refresh_tray()
        spawn(self.s.notifier.show(f"Tunnel {status.name} failed", f"{status.reason}\n{status.advice}".strip(),
                                   critical=True), what="notification")

    # ---------------------------------------------------------------- menu sections
    def session_section(self, menu: QMenu) -> None:
        key = menu.addAction(self.key.menu_text)
        key.setEnabled(False)
        if self.key.detail:
            key.setToolTip(self.key.detail)
        snapshot = self.s.monitor.snapshot
        login = menu.addAction("Log in again…" if snapshot.state in (SessionState.EXPIRED, SessionState.EXPIRING)
                               else "Log in…")
        login.triggered.connect(self.show_login)
        reason = self.login_blocked_reason()
        if reason:
            login.setEnabled(False)
            login.setText(f"Log in… ({reason})")
        if snapshot.logged_in:
            menu.addAction("Log out").triggered.connect(lambda: spawn(self.log_out(), what="log out",
                                                                      on_error=show_error(None, "Log out")))
        menu.addAction("Check AWS access").triggered.connect(lambda: spawn(self.check_aws_access(), what="AWS check"))

    def connect_section(self, menu: QMenu) -> None:
        connect = menu.addMenu("Connect")
        for profile in self.s.profiles.instances:
            connect.addAction(f"{profile.name}  ({profile.target}, {profile.region})").triggered.connect(
                lambda _=False, p=profile: self.connect_profile(p))
        recent = [e for e in self.s.history.recent_connections(5)
                  if all(e.target != p.target for p in self.s.profiles.instances)]
        if recent:
            connect.addSeparator()
            connect.addAction("Recent").setEnabled(False)
            for entry in recent:
                profile = InstanceProfile(entry.profile or entry.target, entry.target, entry.region)
                connect.addAction(f"{entry.profile or entry.target} ({entry.region})").triggered.connect(
                    lambda _=False, p=profile: self.connect_profile(p))
        connect.addSeparator()
        connect.addAction("Browse instances…").triggered.connect(self.show_browser)

    def tunnels_section(self, menu: QMenu) -> None:
        tunnels = menu.addMenu("Tunnels")
        for profile in self.s.profiles.tunnels:
            status = self.s.tunnels.status(profile.name)
            summary = status.summary if status.state is not TunnelState.STOPPED else (
                f"off · localhost:{profile.local_port}" if profile.local_port else "off")
            action = QAction(f"{profile.name} — {summary}", tunnels)
            action.setCheckable(True)
            action.setChecked(status.active)
            if status.advice:
                action.setToolTip(status.advice)
            action.toggled.connect(lambda on, p=profile: self.toggle_tunnel(p, on))
            tunnels.addAction(action)
        for group in self.s.profiles.groups():
            members = [t for t in self.s.profiles.tunnels if t.group == group]
            all_on = all(self.s.tunnels.status(t.name).active for t in members)
            tunnels.addAction(f"{'Stop' if all_on else 'Start'} group “{group}”").triggered.connect(
                lambda _=False, m=members, on=not all_on: [self.toggle_tunnel(t, on) for t in m])
        up = [(p, self.s.tunnels.status(p.name)) for p in self.s.profiles.tunnels
              if self.s.tunnels.status(p.name).state is TunnelState.UP]
        if up:
            copy = tunnels.addMenu("Copy connection string")
            for profile, status in up:
                text = connection_string(status, profile.remote_port)
                copy.addAction(f"{profile.name}: {text}").triggered.connect(
                    lambda _=False, t=text: QGuiApplication.clipboard().setText(t))
        tunnels.addSeparator()
        tunnels.addAction("New tunnel…").triggered.connect(lambda: self.edit_tunnel(None))
        if self.s.profiles.tunnels:
            edit = tunnels.addMenu("Edit tunnel")
            for profile in self.s.profiles.tunnels:
                edit.addAction(profile.name).triggered.connect(lambda _=False, p=profile: self.edit_tunnel(p))

    def tools_section(self, menu: QMenu) -> None:
        menu.addAction("Profiles…").triggered.connect(self.show_profiles)
        menu.addAction("Diagnostics…").triggered.connect(self.show_diagnostics)
        ssh = self.s.ssh_config.status()
        if not ssh.routed:
            menu.addAction("Set up SSH over SSM…").triggered.connect(self.setup_ssh)
        menu.addAction("Settings…").triggered.connect(self.show_settings)
        menu.addAction("History…").triggered.connect(self.show_history)
        menu.addAction("About Vouch Desktop").triggered.connect(
            lambda: self._show(AboutDialog(self.s.paths, self.show_diagnostics)))

    # ---------------------------------------------------------------- login
    def login_blocked_reason(self) -> str:
        if self.key.known and not self.key.present and not self.s.settings.allow_login_without_key:
            return "plug in your YubiKey"
        return ""

    def show_login(self) -> None:
        reason = self.login_blocked_reason()
        if reason:
            QMessageBox.information(None, "Log in to Vouch", "No YubiKey was found. Plug in your key, then log in.\n"
                                    "(If your key is not detected, allow login without a detected key in Settings.)")
            return
        if self.login_dialog is not None and self.login_dialog.isVisible():
            self.login_dialog.raise_()
            self.login_dialog.activateWindow()
            return
        try:
            executable = self.s.vouch.executable
        except VouchDesktopError as exc:
            show_error(None, "Log in to Vouch")(exc)
            return
        self.login_dialog = LoginDialog(lambda: VouchLogin(executable), email_hint=self.s.monitor.snapshot.email)
        self.login_dialog.finished_login.connect(self.after_login)
        self.login_dialog.show()
        self.login_dialog.raise_()
        self.login_dialog.activateWindow()

    def after_login(self, ok: bool) -> None:
        if ok:
            self.s.history.add("login")
            self.s.aws.forget()
            self.s.monitor.poke()

    async def log_out(self) -> None:
        await self.s.vouch.logout()
        self.s.history.add("logout")
        self.s.monitor.logged_out_by_user()

    async def check_aws_access(self) -> None:
        settings = self.s.settings
        try:
            identity = await check_access(self.s.aws, settings.aws_profile, settings.regions[0])
        except VouchDesktopError as exc:
            box = QMessageBox(QMessageBox.Icon.Warning, "AWS access", exc.message)
            box.setInformativeText(exc.advice)
            if getattr(exc, "code", "") == "ProfileNotFound":
                setup = box.addButton("Run vouch setup aws", QMessageBox.ButtonRole.AcceptRole)
                setup.clicked.connect(lambda: spawn(self.s.vouch.setup_aws(), what="vouch setup aws",
                                                    on_error=show_error(None, "vouch setup aws")))
            box.addButton(QMessageBox.StandardButton.Close)
            self._show(box)
            return
        self._show(QMessageBox(QMessageBox.Icon.Information, "AWS access",
                               f"AWS access works.\nRole: {identity.role}\nAccount: {identity.account}\n{identity.arn}"))

    def _show(self, window) -> None:
        """Show a dialog and keep it alive while it is visible (the tray app has no main window)."""
        window.setParent(None)
        window.show()
        self._windows = [w for w in self._windows if w.isVisible()] + [window]

    # ---------------------------------------------------------------- instances and connecting
    def show_browser(self) -> None:
        if self.browser is None:
            self.browser = InstanceBrowser(refresh=lambda: spawn(self.load_instances(), what="discovery"),
                                           connect=self.connect_instance, save_profile=self.save_instance_profile,
                                           open_ssh=self.open_ssh, ssh_user=lambda i: "")
        self.browser.show()
        self.browser.raise_()
        if self.instances is None:
            spawn(self.load_instances(), what="discovery", on_error=show_error(self.browser, "Instances"))
        else:
            self.browser.set_result(self.instances)

    async def load_instances(self) -> DiscoveryResult:
        if self.browser is not None:
            self.browser.set_loading(True)
        try:
            result = await self.s.discovery.discover(self.s.settings.aws_profile, self.s.settings.regions)
        finally:
            if self.browser is not None:
                self.browser.set_loading(False)
        self.instances = result
        if self.browser is not None:
            await self.browser.show_result(result)
        return result

    @staticmethod
    def draft_profile(instance: DiscoveredInstance) -> InstanceProfile:
        return InstanceProfile(instance.name or instance.instance_id, instance.instance_id, instance.region)

    def connect_instance(self, instance: DiscoveredInstance) -> None:
        self.connect_profile(self.draft_profile(instance))

    def connect_profile(self, profile: InstanceProfile) -> None:
        spawn(self._connect(profile), what=f"connect {profile.name}",
              on_error=show_error(self.browser, f"Connect to {profile.name}"))

    async def _choose(self, profile: InstanceProfile, matches: list[DiscoveredInstance]) -> DiscoveredInstance | None:
        labels = [m.label for m in matches]
        choice, ok = QInputDialog.getItem(None, f"Connect: {profile.name}", f"{len(matches)} instances match "
                                          f"{profile.target}. Which one?", labels, 0, False)
        return matches[labels.index(choice)] if ok else None

    async def _connect(self, profile: InstanceProfile) -> None:
        await self.s.connector.connect(profile, self.s.settings, self._choose)

    async def _open_terminal(self, command: list[str], title: str, values: dict[str, str]) -> None:
        await self._open_terminal_with(self.s.settings, command, title, values)

    def open_ssh(self, instance: DiscoveredInstance) -> None:
        if not self.s.ssh_config.status().routed:
            self.setup_ssh()
            if not self.s.ssh_config.status().routed:
                return
        spawn(self._open_terminal(ssh_argv(instance.instance_id), f"ssh {instance.label}",
                                  {"target": instance.instance_id, "region": instance.region,
                                   "profile": self.s.settings.aws_profile}),
              what="ssh", on_error=show_error(self.browser, "Open SSH"))

    def setup_ssh(self) -> None:
        path = self.s.ssh_config.path
        warning = self.s.ssh_config.status().warning  # lines that would shadow ours: said before anything changes
        answer = QMessageBox.question(
            None, "SSH over SSM", f"Add a 'Host i-* mi-*' block to {path} so that ssh reaches instances through "
                                  f"Systems Manager (profile '{self.s.settings.aws_profile}')?\nA backup is made first."
                                  + (f"\n\n{warning}" if warning else ""))
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            backup = self.s.ssh_config.add_block(self.s.settings.aws_profile)
        except VouchDesktopError as exc:  # read-only, unparsable, unreadable: nothing was changed
            QMessageBox.warning(None, "SSH over SSM", exc.user_text())
            return
        QMessageBox.information(None, "SSH over SSM", f"Added to {path}." + (f"\nBackup: {backup}" if backup else ""))

    def save_instance_profile(self, instance: DiscoveredInstance) -> None:
        self._show(InstanceProfileDialog(self.draft_profile(instance), self.s.settings.regions, self.s.profiles.add,
                                         title="Save instance profile"))

    def edit_instance(self, profile: InstanceProfile | None) -> None:
        draft = profile or InstanceProfile("", "", self.s.settings.regions[0])
        save = self.s.profiles.add if profile is None else (lambda new: self.s.profiles.update(profile.name, new))
        self._show(InstanceProfileDialog(draft, self.s.settings.regions, save,
                                         title="New instance profile" if profile is None else "Edit instance profile"))

    def show_profiles(self) -> None:
        if self.profiles_window is None:
            self.profiles_window = ProfilesWindow(self.s.profiles, self.edit_instance, self.edit_tunnel)
        self.profiles_window.show()
        self.profiles_window.raise_()

    # ---------------------------------------------------------------- tunnels
    def toggle_tunnel(self, profile: TunnelProfile, on: bool) -> None:
        if on:
            spawn(self.s.tunnels.start(profile, self.s.settings.aws_profile), what=f"tunnel {profile.name}")
        else:
            spawn(self.s.tunnels.stop(profile.name), what=f"tunnel {profile.name}")

    def edit_tunnel(self, profile: TunnelProfile | None) -> None:
        settings = self.s.settings
        draft = profile or TunnelProfile("", "", 5432, settings.regions[0])
        save = self.s.profiles.add if profile is None else (lambda new: self.s.profiles.update(profile.name, new))
        dialog = TunnelProfileDialog(draft, settings.regions, save, title="New tunnel" if profile is None else "Edit tunnel")
        self._show(dialog)

        async def fill_databases() -> None:
            endpoints, _ = await self.s.databases.discover(settings.aws_profile, settings.regions)
            dialog.add_databases(endpoints)

        spawn(fill_databases(), what="RDS discovery")

    # ---------------------------------------------------------------- the command line (core.system.ipc)
    def tunnel_dicts(self, profiles: list[TunnelProfile] | None = None) -> list[dict]:
        result = []
        for profile in self.s.profiles.tunnels if profiles is None else profiles:
            status = self.s.tunnels.status(profile.name)
            result.append({"name": profile.name, "state": status.state.value,
                           "local_port": status.local_port or profile.local_port, "reason": status.reason})
        return result

    def tunnels_named(self, name: str) -> list[TunnelProfile]:
        group = [t for t in self.s.profiles.tunnels if t.group == name]
        return group or [self.s.profiles.require(name, TunnelProfile)]

    async def handle_command(self, command: str, args: dict) -> dict:
        name = str(args.get("name", ""))
        if command == "status":
            snapshot = self.s.monitor.snapshot
            return {"headline": snapshot.headline, "state": snapshot.state.value, "logged_in": snapshot.logged_in,
                    "email": snapshot.email, "key": self.key.menu_text, "tunnels": self.tunnel_dicts()}
        if command == "show":
            self.s.tray.menu.popup(self.s.tray.icon.geometry().center())
            return {}
        if command == "connect":
            profile = self.s.profiles.require(name, InstanceProfile)
            connection = await self.s.connector.connect(profile, self.s.settings, self._choose)
            return {"title": connection.title if connection else "", "target": connection.target if connection else ""}
        if command == "tunnel_list":
            return {"tunnels": self.tunnel_dicts()}
        if command in ("tunnel_up", "tunnel_down"):
            chosen = self.tunnels_named(name)
            for profile in chosen:
                if command == "tunnel_up":
                    await self.s.tunnels.start(profile, self.s.settings.aws_profile)
                else:
                    await self.s.tunnels.stop(profile.name)
            if command == "tunnel_up":  # answer once each is up or has failed, as a script would want
                deadline = asyncio.get_running_loop().time() + 45
                while asyncio.get_running_loop().time() < deadline and any(
                        self.s.tunnels.status(p.name).state in (TunnelState.STARTING, TunnelState.RECONNECTING)
                        for p in chosen):
                    await asyncio.sleep(0.1)
            return {"tunnels": self.tunnel_dicts(chosen)}
        if command == "reload_profiles":
            for problem in self.s.profiles.load():
                log.warning("%s", problem.user_text())
            return {}
        if command == "quit":
            asyncio.get_running_loop().call_soon(self.quit_requested)
            return {}
        raise VouchDesktopError(f"Unknown command '{command}'.")

    # ---------------------------------------------------------------- tools
    def diagnostics(self) -> Diagnostics:
        settings = self.s.settings
        return Diagnostics(self.s.vouch, self.s.aws, lambda: find_tools(settings.plugin_path), settings.aws_profile,
                           settings.regions[0], self.s.ssh_config)

    def show_diagnostics(self) -> None:
        if self.diagnostics_window is None:
            self.diagnostics_window = DiagnosticsWindow(rerun=self.run_diagnostics)
        self.diagnostics_window.show()
        self.diagnostics_window.raise_()
        self.run_diagnostics()

    def run_diagnostics(self) -> None:
        window = self.diagnostics_window

        async def run() -> None:
            window.set_running()
            window.set_results(await self.diagnostics().run_all())

        spawn(run(), what="diagnostics", on_error=show_error(window, "Diagnostics"))

    def show_history(self) -> None:
        self._show(HistoryWindow(self.s.history, self.s.paths.log_dir))

    def show_settings(self) -> None:
        automatic = TerminalLauncher().automatic()
        self._show(SettingsWindow(self.s.settings, profiles=available_profiles(), terminals=registry(),
                                  save=self.apply_settings, test_terminal=self.test_terminal,
                                  installed={spec.id for spec, found in terminal_choices() if found},
                                  automatic=f"{automatic.spec.name}: {automatic.reason}" if automatic else ""))

    def apply_settings(self, new: Settings) -> None:
        errors = new.validate()
        if new.terminal == CUSTOM:
            try:
                parse(new.terminal_template)
            except ValidationError as exc:
                errors.append(exc)
        if errors:
            raise ValidationErrors(errors)
        if new.start_at_login != self.s.autostart.is_enabled():
            try:
                self.s.autostart.enable(launch_command()) if new.start_at_login else self.s.autostart.disable()
            except OSError as exc:
                raise ValidationErrors([ValidationError("start_at_login", f"Cannot change start at login: {exc}")]) from exc
        self.s.settings_store.save(new)
        old, self.s.settings = self.s.settings, new
        if new.vouch_path != old.vouch_path:
            self.s.vouch._configured = new.vouch_path
        if new.aws_profile != old.aws_profile or new.regions != old.regions:
            self.instances = None
        self.s.monitor.set_lead_time(new.notify_lead_minutes * 60)
        logging.getLogger().setLevel(new.log_level)

    def test_terminal(self, settings: Settings) -> None:
        command = ["sh", "-c", "echo 'Vouch Desktop: this terminal works.'; sleep 5"]
        spawn(self._open_terminal_with(settings, command, "Vouch Desktop terminal test"), what="test terminal",
              on_error=show_error(None, "Test terminal"))

    @staticmethod
    async def _open_terminal_with(settings: Settings, command: list[str], title: str,
                                  values: dict[str, str] | None = None) -> None:
        plan = TerminalLauncher(settings.terminal, settings.terminal_template,
                                hold_on_error=settings.keep_open_on_error).plan(command, title, values)
        await asyncio.to_thread(launch_detached, plan.argv, name=plan.terminal)
