"""The tray on a real application service (tests/app/parts.py: real core objects, files in a
temporary home, the fake vouch) with the real controller, sections and windows; only the desktop
notifications are recorded instead of shown. States are set the way the service sets them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtWidgets import QApplication

from tests.app.parts import make_service
from vouch_desktop.core.app.service import AppService
from vouch_desktop.core.storage.profiles import InstanceProfile, TunnelProfile
from vouch_desktop.core.tunnels.backends import TunnelBackend
from vouch_desktop.core.tunnels.state import TunnelState, TunnelStatus
from vouch_desktop.core.vouch.session_state import SessionSnapshot, SessionState
from vouch_desktop.core.vouch.yubikey import KeyPresence
from vouch_desktop.ui.controller import Controller
from vouch_desktop.ui.notifier import Notifier
from vouch_desktop.ui.tray import TrayIcon
from vouch_desktop.ui.windows.windows import Windows

PORT_IN_USE = ("Local port 15432 is already in use by postgres (pid 4242). Another program listens on it, so the "
               "tunnel cannot take it.")
PORT_ADVICE = "Stop that program, or give the tunnel another local port (0 picks a free one) in Edit tunnel."


@dataclass
class Notified:
    summary: str
    body: str
    action_label: str
    brief: bool
    action: object = None


class RecordingNotifier(Notifier):
    def __init__(self, tray: TrayIcon) -> None:
        super().__init__(tray.icon, None)
        self.shown: list[Notified] = []

    async def show(self, summary: str, body: str, action_label: str = "", action=None, critical: bool = False,
                   brief: bool = False) -> None:
        self.shown.append(Notified(summary, body, action_label, brief, action))


@dataclass
class TrayApp:
    service: AppService
    tray: TrayIcon
    windows: Windows
    controller: Controller
    notifier: RecordingNotifier
    quits: list[str] = field(default_factory=list)
    statuses: dict[str, TunnelStatus] = field(default_factory=dict)

    def open_menu(self) -> None:
        self.tray.menu.aboutToShow.emit()

    def set_session(self, state: SessionState) -> None:
        now = time.time()
        self.service.monitor.snapshot = {
            SessionState.LOGGED_OUT: SessionSnapshot(SessionState.LOGGED_OUT),
            SessionState.VALID: SessionSnapshot(SessionState.VALID, "a@b.c", now + 7 * 3600, 7 * 3600),
            SessionState.EXPIRING: SessionSnapshot(SessionState.EXPIRING, "a@b.c", now + 600, 600),
            SessionState.EXPIRED: SessionSnapshot(SessionState.EXPIRED, "a@b.c", now - 60),
            SessionState.UNCONFIRMED: SessionSnapshot(SessionState.UNCONFIRMED, "a@b.c", now + 3600),
            SessionState.UNKNOWN: SessionSnapshot(SessionState.UNKNOWN),
            SessionState.ERROR: SessionSnapshot(SessionState.ERROR, error="vouch is not installed"),
        }[state]
        self.controller.refresh_tray()

    def set_key(self, present: bool) -> None:
        self.service.on_key(KeyPresence(present, "YubiKey 5 (test)" if present else "", known=True))

    def set_tunnel(self, name: str, state: TunnelState, reason: str = "", advice: str = "",
                   attempts: int = 0) -> TunnelStatus:
        """The tunnel manager's status for ``name`` (announced as the manager announces a change)."""
        status = TunnelStatus(name, state, 15432 if state is TunnelState.UP else 0, reason, advice, attempts,
                              "i-0123456789abcdef0", TunnelBackend.PLUGIN if state is TunnelState.UP else None)
        self.statuses[name] = status
        self.service.tunnels.changed.emit(status)
        return status


def make_tray_app(root: Path, vouch_path: str) -> TrayApp:
    QApplication.instance().setQuitOnLastWindowClosed(False)  # as the composition root does: a tray app
    service = make_service(root, vouch_path)
    service.profiles.add(InstanceProfile("web-1", "i-0123456789abcdef0", "eu-west-1", ssh_user="ec2-user"))
    service.profiles.add(InstanceProfile("any web server", "Name=web-*", "eu-west-1"))
    service.profiles.add(TunnelProfile("orders-db", "i-0123456789abcdef0", 5432, "eu-west-1", "orders.example.com",
                                       local_port=15432, group="prod"))
    service.profiles.add(TunnelProfile("reports-db", "Name=bastion-*", 3306, "eu-west-1", "reports.example.com",
                                       group="prod"))
    tray = TrayIcon()
    windows = Windows(service, service.tasks, dark=lambda: tray.theme.dark)
    notifier = RecordingNotifier(tray)
    app = TrayApp(service, tray, windows, None, notifier)  # type: ignore[arg-type]
    app.controller = Controller(service, service.tasks, tray, notifier, windows,
                                quit_requested=lambda: app.quits.append("quit"))
    service.tunnels.status = lambda name: app.statuses.get(name, TunnelStatus(name))  # type: ignore[method-assign]
    service.tunnels.statuses = lambda: list(app.statuses.values())  # type: ignore[method-assign]
    return app
