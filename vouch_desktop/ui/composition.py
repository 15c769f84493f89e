"""The composition root: the one place that builds the long-lived objects — the core services, the
application service, the task set, the process registry (and its exit hook), the windows and the
tray's controller — and wires them together.

Imported only once the tray icon is on screen (ui/app.py), because the rest of the app takes a few
hundred milliseconds to load (botocore waits longer: until AWS is first needed, see core/aws/sessions.py).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import logging
import sys
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

from vouch_desktop import __version__
from vouch_desktop.core.app.service import AppService
from vouch_desktop.core.app.settings_holder import SettingsHolder
from vouch_desktop.core.app.tasks import Tasks
from vouch_desktop.core.aws.discovery import InstanceDiscovery
from vouch_desktop.core.aws.discovery_worker import DiscoveryWorker
from vouch_desktop.core.aws.sessions import AwsSessions
from vouch_desktop.core.aws.ssm_commands import find_tools
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.storage.history import History
from vouch_desktop.core.storage.profiles import ProfileBook
from vouch_desktop.core.storage.settings import LoadedSettings, SettingsStore
from vouch_desktop.core.storage.ui_state import UiState
from vouch_desktop.core.system.autostart import autostart_for
from vouch_desktop.core.system.ipc import AlreadyRunning, IpcServer
from vouch_desktop.core.system.logging_setup import redact_known_secrets
from vouch_desktop.core.system.notifications import FreedesktopNotifier
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.core.system.processes import ProcessRegistry
from vouch_desktop.core.system.redaction import KnownSecrets
from vouch_desktop.core.tunnels.manager import TunnelManager
from vouch_desktop.core.vouch.client import VouchClient, vouch_client
from vouch_desktop.core.vouch.session_monitor import SessionMonitor
from vouch_desktop.core.vouch.yubikey import KeyDetector, key_detector_for_platform
from vouch_desktop.ui.controller import Controller, Section
from vouch_desktop.ui.notifier import Notifier
from vouch_desktop.ui.tray import TrayIcon
from vouch_desktop.ui.windows.windows import Windows

if TYPE_CHECKING:
    from vouch_desktop.core.system.ipc_handlers import Handlers
    from vouch_desktop.demo.world import DemoWorld

log = logging.getLogger(__name__)
READY_LINE = "vouch-desktop: ready"


class VouchDesktop:
    """Owns the running app: builds everything long-lived (the one place that does), then runs."""

    def __init__(self, app: QApplication, paths: AppPaths, args: argparse.Namespace, demo: DemoWorld | None = None,
                 tray: TrayIcon | None = None, loaded_settings: LoadedSettings | None = None,
                 settings_store: SettingsStore | None = None, processes: ProcessRegistry | None = None,
                 vouch: VouchClient | None = None) -> None:
        self.app = app
        self.args = args
        self._quit = asyncio.Event()
        self.ready = asyncio.Event()  # set once the tray shows the real state and commands are served
        app.setQuitOnLastWindowClosed(False)  # closing a dialog must not end a tray app
        # start-up read them already (for the log level): a second read would not see, nor report,
        # a damaged file the first one moved aside; the store that read them knows what it still owes
        # the file before saving over it (a backup it could not make yet)
        settings_store = settings_store or SettingsStore(paths)
        settings, problems = loaded_settings or settings_store.load()
        extra: list[tuple[str, Section]] = []
        key_detector: KeyDetector = key_detector_for_platform()
        profiles = ProfileBook(paths)
        problems += profiles.load()
        if demo is not None:
            from vouch_desktop.ui.menu import demo as demo_menu  # the demo world needs moto: only loaded for --demo

            settings.aws_profile, settings.regions = demo_menu.DEMO_PROFILE, demo.regions
            if not profiles.instances and not profiles.tunnels:
                demo_menu.seed_demo_profiles(profiles, demo)
            extra.append(("Demo", demo_menu.demo_section(demo)))
            key_detector = demo_menu.DemoKeyDetector(demo.vouch_state)
        secrets = KnownSecrets()  # session tokens and AWS keys the app holds: masked in whatever it shows or writes
        redact_known_secrets(secrets.redact)
        history = History(paths.history_file, redact=secrets.redact)
        problems += history.check()
        ui_state = UiState(paths)
        problems += ui_state.load()
        self.problems = problems
        self.settings = SettingsHolder(settings)
        self.tasks = Tasks()
        # start-up may have made the registry and vouch already, to read the session while the app loads
        self.processes = processes or ProcessRegistry()
        atexit.register(self.processes.kill_all_now)  # the last resort, should the normal way out be skipped
        aws = AwsSessions()
        if vouch is None:
            vouch = vouch_client(settings.vouch_path, self.processes, demo.agent_sockets if demo is not None else None)

        def login_platform() -> str:  # the demo can log in as on Windows (the system's security prompt)
            return "win32" if demo is not None and demo.vouch_state.knobs().get("webauthn") else sys.platform
        # instances are listed in a worker process, started when the instance window opens
        discovery = InstanceDiscovery(aws, DiscoveryWorker(self.processes))
        current = self.settings  # the settings of the moment (the settings window replaces them)
        self.service = AppService(
            paths=paths, settings_store=settings_store, settings=current, profiles=profiles, history=history,
            processes=self.processes, aws=aws, vouch=vouch,
            monitor=SessionMonitor(vouch, lead_time=settings.notify_lead_minutes * 60), key_detector=key_detector,
            discovery=discovery,
            tunnels=TunnelManager(aws, self.processes,
                                  plugin_path=lambda: find_tools(current.current.plugin_path).plugin,
                                  backend=lambda: current.current.tunnel_backend,
                                  resolve_tag_filter=discovery.resolve, secrets=secrets,
                                  record=lambda kind, data: history.add(kind, **data)),
            autostart=autostart_for(), tasks=self.tasks)
        profiles.removing.connect(self.service.tunnels.retire)  # a running tunnel's profile deleted or renamed
        self.tray = tray or TrayIcon()
        self.windows = Windows(self.service, self.tasks, ui_state, login_platform=login_platform,
                               dark=lambda: self.tray.theme.dark)
        self.controller = Controller(
            self.service, self.tasks, self.tray,
            Notifier(self.tray.icon, FreedesktopNotifier() if sys.platform.startswith("linux") else None),
            self.windows, quit_requested=self.request_quit, extra_sections=extra)  # the tray's Quit asks it first
        self.ipc = IpcServer(paths.control_endpoint(demo=demo is not None), self._control_handlers)

    def _control_handlers(self) -> Handlers:
        """Made at the first command: the control protocol is not loaded by a starting app."""
        from vouch_desktop.core.app.control import ControlHandlers

        return ControlHandlers(self.service, self.controller).handlers()

    def request_quit(self) -> None:
        self._quit.set()

    async def run(self) -> int:
        try:
            await self.ipc.start()
        except AlreadyRunning as exc:  # (also one that does not answer: never replaced)
            print(f"vouch-desktop: {exc.user_text()}", file=sys.stderr)
            return 0
        except VouchDesktopError as exc:  # no control channel on this platform: the app still works
            log.warning("%s", exc.message)
        self.tray.show()
        await self.controller.start()
        for problem in self.problems:
            log.warning("%s", problem.user_text())
            await self.controller.notifier.show("Vouch Desktop", problem.user_text())
        self.ready.set()
        print(READY_LINE, flush=True)
        log.info("ready (version %s)", __version__)
        self.tasks.spawn(self.service.tidy_up(), what="removing what a killed run left behind")
        if self.args.quit_after is not None:
            asyncio.get_running_loop().call_later(self.args.quit_after, self.request_quit)
        await self._quit.wait()
        log.info("quitting")
        await self.ipc.close()
        await self.controller.shutdown()
        atexit.unregister(self.processes.kill_all_now)
        return 0
