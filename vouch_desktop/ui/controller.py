"""The running tray app: renders the application service (core/app) in the tray icon, its menu
and notifications, and is the desktop the control socket's handlers talk to.

Built once by the composition root (ui/composition.py), which hands in every object; nothing here
constructs a core service, holds a rule of the app, or reaches for a global.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable

from PySide6.QtWidgets import QMenu

from vouch_desktop.core.app.service import AppService
from vouch_desktop.core.app.tasks import Tasks
from vouch_desktop.core.aws.discovery import DiscoveredInstance
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.storage.profiles import InstanceProfile
from vouch_desktop.core.tunnels.state import TunnelState, TunnelStatus
from vouch_desktop.core.vouch.session_state import Notice, SessionState
from vouch_desktop.ui.clipboard import Clipboard
from vouch_desktop.ui.menu import MenuContext
from vouch_desktop.ui.menu.app import app_section
from vouch_desktop.ui.menu.connect import connect_section
from vouch_desktop.ui.menu.quick import quick_connect_section
from vouch_desktop.ui.menu.session import session_section
from vouch_desktop.ui.menu.ssh import ssh_section
from vouch_desktop.ui.menu.tools import tools_section
from vouch_desktop.ui.menu.tunnels import tunnels_section
from vouch_desktop.ui.notifier import Notifier
from vouch_desktop.ui.tray import TrayIcon
from vouch_desktop.ui.windows.quit_confirm import QuitConfirmation
from vouch_desktop.ui.windows.windows import Windows

log = logging.getLogger(__name__)

ICON_FOR_STATE = {SessionState.UNKNOWN: "logged-out", SessionState.LOGGED_OUT: "logged-out",
                  SessionState.VALID: "valid", SessionState.EXPIRING: "expiring",
                  SessionState.EXPIRED: "expired", SessionState.ERROR: "error",
                  SessionState.UNCONFIRMED: "error"}  # vouch could not confirm the session (offline?)
Section = Callable[[QMenu, MenuContext], None]
# above the headline: the menu's first item
LEAD_SECTIONS: list[tuple[str, Section, bool]] = [("Connect…", quick_connect_section, True)]
# (title, build, separator after it): the menu from top to bottom; Quit comes last, always
SECTIONS: list[tuple[str, Section, bool]] = [
    ("Session", session_section, True), ("Connect", connect_section, True), ("Tunnels", tunnels_section, True),
    ("Tools", tools_section, False), ("SSH over SSM", ssh_section, False), ("Vouch Desktop", app_section, True)]


def freeze_long_lived() -> None:
    """Move every object alive now (modules, Qt wrappers: kept until quit) out of the garbage collector's
    reach. A full collection, which holds the GIL and so stalls the UI thread, then scans only newer objects."""
    gc.freeze()


class Controller:
    def __init__(self, service: AppService, tasks: Tasks, tray: TrayIcon, notifier: Notifier, windows: Windows,
                 quit_requested: Callable[[], None], extra_sections: list[tuple[str, Section]] | None = None) -> None:
        self.service, self.tasks, self.tray, self.notifier, self.windows = service, tasks, tray, notifier, windows
        self.quit_requested = quit_requested
        self.quit_box: QuitConfirmation | None = None
        self.clipboard = Clipboard(self.announce_briefly)
        self.menu_context = MenuContext(service, tasks, windows, self.clipboard, tray.theme)
        for title, build, separator in LEAD_SECTIONS:
            tray.add_section(title, self._section(build), separator=separator, lead=True)
        for title, build, separator in [*SECTIONS, *((t, b, True) for t, b in extra_sections or [])]:
            tray.add_section(title, self._section(build), separator=separator)
        tray.on_quit = self.quit_from_menu
        service.monitor.changed.connect(lambda snapshot: self.refresh_tray())
        service.key_changed.connect(lambda presence: self.refresh_tray())
        service.notices.connect(self.on_notice)
        service.tunnels.changed.connect(lambda status: self.refresh_tray())
        service.tunnels.failed.connect(self.on_tunnel_failed)

    def _section(self, build: Section) -> Callable[[QMenu], None]:
        def section(menu: QMenu) -> None:
            build(menu, self.menu_context)

        return section

    # ---------------------------------------------------------------- life cycle
    async def start(self) -> None:
        self.refresh_tray()
        await self.service.start()  # "ready" means the tray already shows the real state
        # botocore and AWS's (trimmed) models are loaded by the first AWS call; the instance list by its worker
        # process, started when the submenu that opens the instance window shows (core/aws/discovery_worker.py)
        freeze_long_lived()

    async def shutdown(self) -> None:
        if self.quit_box is not None:
            self.quit_box.close()
        await self.service.stop()
        await self.notifier.close()
        self.windows.close_all()
        self.tray.hide()
        gc.unfreeze()  # what was long-lived may now be collected (the same process may start another app)

    # ---------------------------------------------------------------- state → tray
    def refresh_tray(self) -> None:
        snapshot = self.service.monitor.snapshot
        up = [t for t in self.service.tunnels.statuses() if t.state is TunnelState.UP]
        lines = [snapshot.headline, self.service.key.menu_text]
        if up:
            lines.append(f"{len(up)} tunnel{'s' if len(up) > 1 else ''} up")
        self.tray.set_status(ICON_FOR_STATE[snapshot.state], snapshot.headline, "\n".join(lines))
        self.tray.set_tunnels_up(bool(up))

    def on_notice(self, notice: Notice) -> None:
        self.tasks.spawn(self.notifier.show(notice.summary, notice.body, "Log in again",
                                            self.windows.session.show_login, notice.critical), what="notification")

    def on_tunnel_failed(self, status: TunnelStatus) -> None:
        self.refresh_tray()
        self.tasks.spawn(self.notifier.show(f"Tunnel {status.name} failed",
                                            f"{status.reason}\n{status.advice}".strip(), "Show details",
                                            lambda: self.show_tunnel_details(status.name), critical=True),
                         what="notification")

    def show_tunnel_details(self, name: str) -> None:
        self.windows.tunnels.show_details(name)

    def announce_briefly(self, summary: str, body: str) -> None:
        self.tasks.spawn(self.notifier.show(summary, body, brief=True), what="notification")

    # ---------------------------------------------------------------- quitting
    def quit_from_menu(self) -> None:
        """The tray's Quit: asks first while tunnels run (unless the user said not to)."""
        running = self.service.quit_needs_confirmation()
        if not running:
            self.quit_requested()
            return
        if self.quit_box is not None:  # asked already: bring the question forward
            self.quit_box.raise_()
            self.quit_box.activateWindow()
            return
        self.tasks.spawn(self.confirm_quit([status.name for status in running]), what="quit confirmation")

    async def confirm_quit(self, tunnels: list[str]) -> None:
        self.quit_box = box = QuitConfirmation(tunnels)
        try:
            answer = await box.answer()
        finally:
            self.quit_box = None
        if not answer.quit:
            return
        if answer.dont_ask_again:
            try:
                self.service.stop_confirming_quit()
            except VouchDesktopError as exc:  # the settings file cannot be saved: quit all the same
                log.warning("could not save \"don't ask again\": %s", exc.user_text())
        self.quit_requested()

    # ---------------------------------------------------------------- the desktop, for the control socket
    def show_menu(self) -> None:
        self.tray.menu.popup(self.tray.icon.geometry().center())

    def show_connect_palette(self) -> None:
        self.windows.palette.show()

    def request_quit(self) -> None:
        asyncio.get_running_loop().call_soon(self.quit_requested)  # after the answer is on its way

    async def choose_instance(self, profile: InstanceProfile,
                              matches: list[DiscoveredInstance]) -> DiscoveredInstance | None:
        return await self.windows.instances.choose_instance(profile, matches)

    def show_error(self, title: str, error: VouchDesktopError) -> None:
        self.windows.boxes.error(title, error)
