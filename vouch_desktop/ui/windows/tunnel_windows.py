"""Tunnels: the details window (from the tunnels menu's "Details…" and a failure's notification),
kept up to date while open."""

from __future__ import annotations

from collections.abc import Callable

from vouch_desktop.core.app.service import AppService
from vouch_desktop.core.app.tasks import Tasks
from vouch_desktop.core.storage.profiles import TunnelProfile
from vouch_desktop.core.tunnels.state import TunnelStatus
from vouch_desktop.ui.windows.tunnel_details import TunnelDetailsWindow


class TunnelWindows:
    def __init__(self, service: AppService, tasks: Tasks, dark: Callable[[], bool] = lambda: False) -> None:
        self.service, self.tasks, self.dark = service, tasks, dark
        self.details_window: TunnelDetailsWindow | None = None
        service.tunnels.changed.connect(self.on_changed)

    def show_details(self, name: str = "") -> TunnelDetailsWindow:
        """Open the details window (on tunnel ``name`` when given)."""
        if self.details_window is None:
            self.details_window = TunnelDetailsWindow(lambda: list(self.service.profiles.tunnels),
                                                      self.service.tunnel_status, self.toggle, self.dark)
        window = self.details_window
        window.refresh()
        if name:
            window.select(name)
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def toggle(self, profile: TunnelProfile, on: bool) -> None:
        self.tasks.spawn(self.service.set_tunnel(profile, on), what=f"tunnel {profile.name}")

    def on_changed(self, status: TunnelStatus) -> None:
        if self.details_window is not None and self.details_window.isVisible():
            self.details_window.refresh()

    def close(self) -> None:
        if self.details_window is not None:
            self.details_window.close()
