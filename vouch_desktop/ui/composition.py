"""The composition root: the one place that builds the core objects and wires them to the UI.

Imported only once the tray icon is on screen (ui/app.py), because the rest of the app takes a few
hundred milliseconds to load (botocore waits longer: until AWS is first needed, see core/aws/sessions.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from PySide6.QtWidgets import QApplication

from vouch_desktop import __version__
from vouch_desktop.core.aws.databases import DatabaseDiscovery
from vouch_desktop.core.aws.discovery import InstanceDiscovery
from vouch_desktop.core.aws.sessions import AwsSessions
from vouch_desktop.core.aws.ssm_commands import find_tools
from vouch_desktop.core.connect.connector import Connector
from vouch_desktop.core.connect.ssh_config import SshConfigEditor
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.storage.history import History
from vouch_desktop.core.storage.profiles import ProfileBook
from vouch_desktop.core.storage.settings import LoadedSettings, SettingsStore
from vouch_desktop.core.system.autostart import autostart_for
from vouch_desktop.core.system.ipc import AlreadyRunning, IpcServer
from vouch_desktop.core.system.notifications import FreedesktopNotifier
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.core.system.processes import ProcessRegistry
from vouch_desktop.core.tunnels.manager import TunnelManager
from vouch_desktop.core.vouch.client import VouchClient
from vouch_desktop.core.vouch.session_monitor import SessionMonitor
from vouch_desktop.core.vouch.yubikey import Fido2KeyDetector
from vouch_desktop.ui.controller import Controller, Services
from vouch_desktop.ui.notifier import Notifier
from vouch_desktop.ui.tray import TrayIcon

log = logging.getLogger(__name__)
READY_LINE = "vouch-desktop: ready"


class VouchDesktop:
    """Owns the running app: builds the core services (the one place that does), then runs."""

    def __init__(self, app: QApplication, paths: AppPaths, args: argparse.Namespace, demo=None,
                 tray: TrayIcon | None = None, loaded_settings: LoadedSettings | None = None,
                 settings_store: SettingsStore | None = None) -> None:
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
        if demo is not None:
            from vouch_desktop.ui import demo_menu  # the demo world needs moto: only loaded for --demo

            settings.aws_profile, settings.regions = demo_menu.DEMO_PROFILE, demo.regions
        profiles = ProfileBook(paths)
        problems += profiles.load()
        if demo is not None and not profiles.instances and not profiles.tunnels:
            demo_menu.seed_demo_profiles(profiles, demo)
        history = History(paths.history_file)
        problems += history.check()
        self.problems = problems
        aws = AwsSessions()
        processes = ProcessRegistry()
        vouch = VouchClient(settings.vouch_path or None)
        discovery = InstanceDiscovery(aws)
        tray = tray or TrayIcon()
        tray.on_quit = self.request_quit
        extra = [demo_menu.demo_section(demo, lambda: self.controller)] if demo is not None else []
        self.controller = Controller(Services(
            paths=paths, settings_store=settings_store, settings=settings, profiles=profiles, history=history,
            processes=processes, aws=aws, vouch=vouch,
            monitor=SessionMonitor(vouch, lead_time=settings.notify_lead_minutes * 60),
            key_detector=demo_menu.DemoKeyDetector(demo.vouch_state) if demo is not None else Fido2KeyDetector(),
            discovery=discovery, databases=DatabaseDiscovery(aws),
            # the settings of the moment (the settings window replaces them), not those at start-up
            tunnels=TunnelManager(aws, processes,
                                  plugin_path=lambda: find_tools(self.controller.s.settings.plugin_path).plugin,
                                  backend=lambda: self.controller.s.settings.tunnel_backend,
                                  resolve_tag_filter=discovery.resolve,
                                  record=lambda kind, data: history.add(kind, **data)),
            ssh_config=SshConfigEditor(), tray=tray, autostart=autostart_for(),
            connector=Connector(vouch, aws, discovery, history),
            notifier=Notifier(tray.icon, FreedesktopNotifier() if sys.platform.startswith("linux") else None),
            extra_sections=extra), quit_requested=self.request_quit)
        self.ipc = IpcServer(paths.socket_path(demo=demo is not None), self.controller.handle_command)

    def request_quit(self) -> None:
        self._quit.set()

    async def run(self) -> int:
        controller = self.controller
        try:
            await self.ipc.start()
        except AlreadyRunning:
            print("vouch-desktop: Vouch Desktop is already running.", file=sys.stderr)
            return 0
        except VouchDesktopError as exc:  # no control channel on this platform: the app still works
            log.warning("%s", exc.message)
        controller.s.tray.show()
        await controller.start()
        for problem in self.problems:
            log.warning("%s", problem.user_text())
            await controller.s.notifier.show("Vouch Desktop", problem.user_text())
        self.ready.set()
        print(READY_LINE, flush=True)
        log.info("ready (version %s)", __version__)
        if self.args.quit_after is not None:
            asyncio.get_running_loop().call_later(self.args.quit_after, self.request_quit)
        await self._quit.wait()
        log.info("quitting")
        await self.ipc.close()
        await controller.shutdown()
        return 0
