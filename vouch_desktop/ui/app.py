"""The composition root: the one place that builds the core objects and wires them to the UI."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import time

import qasync
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from vouch_desktop import __version__
from vouch_desktop.core.paths import AppPaths
from vouch_desktop.ui.tray import TrayIcon

log = logging.getLogger(__name__)

EXIT_NO_TRAY = 3
NO_TRAY_MESSAGE = (
    "No system tray was found, and Vouch Desktop lives in the system tray.\n"
    "On GNOME, install and enable the AppIndicator extension "
    "(package gnome-shell-extension-appindicator) and log in again; on other desktops, "
    "add a system tray (status notifier) area to your panel."
)
READY_LINE = "vouch-desktop: ready"


def wait_for_system_tray(app: QApplication, seconds: float) -> bool:
    """At session start the panel may come up after us: give it a few seconds."""
    if app.platformName() in ("offscreen", "minimal"):
        return QSystemTrayIcon.isSystemTrayAvailable()
    deadline = time.monotonic() + seconds
    while not QSystemTrayIcon.isSystemTrayAvailable():
        if time.monotonic() >= deadline:
            return False
        app.processEvents()
        time.sleep(0.1)
    return True


def report_no_tray(app: QApplication) -> None:
    log.error("no system tray available: %s", NO_TRAY_MESSAGE.replace("\n", " "))
    print(f"vouch-desktop: {NO_TRAY_MESSAGE}", file=sys.stderr)
    if app.platformName() not in ("offscreen", "minimal"):
        QMessageBox.critical(None, "Vouch Desktop", NO_TRAY_MESSAGE)


class VouchDesktop:
    """Owns the running app: the tray and the core services behind it."""

    def __init__(self, app: QApplication, paths: AppPaths, args: argparse.Namespace) -> None:
        self.app = app
        self.paths = paths
        self.args = args
        self._quit = asyncio.Event()
        self.tray = TrayIcon(on_quit=self.request_quit)
        self.tray.set_status("logged-out", "Not logged in")

    def request_quit(self) -> None:
        self._quit.set()

    async def run(self) -> int:
        self.tray.show()
        print(READY_LINE, flush=True)
        log.info("ready (version %s)", __version__)
        if self.args.quit_after is not None:
            asyncio.get_running_loop().call_later(self.args.quit_after, self.request_quit)
        await self._quit.wait()
        await self.shutdown()
        return 0

    async def shutdown(self) -> None:
        log.info("quitting")
        self.tray.hide()


def run_gui(args: argparse.Namespace) -> int:
    with contextlib.ExitStack() as stack:
        if args.demo:
            from vouch_desktop.demo.world import DemoWorld

            world = stack.enter_context(DemoWorld())
            os.environ.update(world.env)
        paths = AppPaths.default().ensure()
        logging.basicConfig(level=args.log_level or "INFO")
        app = QApplication.instance() or QApplication(sys.argv[:1])
        app.setApplicationName("Vouch Desktop")
        app.setQuitOnLastWindowClosed(False)
        if not wait_for_system_tray(app, float(os.environ.get("VOUCH_DESKTOP_TRAY_WAIT", "10"))):
            report_no_tray(app)
            return EXIT_NO_TRAY
        desktop = VouchDesktop(app, paths, args)
        return qasync.run(desktop.run())
