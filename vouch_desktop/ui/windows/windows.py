"""Every window and dialog the tray opens, grouped by what they are about; built once by the
composition root and handed to the menu sections and the controller."""

from __future__ import annotations

import sys
from collections.abc import Callable

from vouch_desktop.core.app.service import AppService
from vouch_desktop.core.app.tasks import Tasks
from vouch_desktop.core.storage.ui_state import UiState
from vouch_desktop.ui.windows.ask import Boxes, Keeper
from vouch_desktop.ui.windows.instance_windows import InstanceWindows
from vouch_desktop.ui.windows.profile_windows import ProfileWindows
from vouch_desktop.ui.windows.quick_connect_windows import QuickConnect
from vouch_desktop.ui.windows.session_windows import SessionWindows
from vouch_desktop.ui.windows.tool_windows import ToolWindows
from vouch_desktop.ui.windows.tunnel_windows import TunnelWindows


class Windows:
    def __init__(self, service: AppService, tasks: Tasks, ui_state: UiState | None = None, *,
                 login_platform: Callable[[], str] = lambda: sys.platform,
                 dark: Callable[[], bool] = lambda: False) -> None:
        self.keeper = Keeper(ui_state)
        self.boxes = Boxes(self.keeper)
        self.session = SessionWindows(service, tasks, self.boxes, login_platform)
        self.instances = InstanceWindows(service, tasks, self.boxes)
        self.profiles = ProfileWindows(service, tasks, self.keeper)
        self.tools = ToolWindows(service, tasks, self.boxes)
        self.tunnels = TunnelWindows(service, tasks, dark)
        self.palette = QuickConnect(service, tasks, self.instances, self.boxes)

    def close_all(self) -> None:
        self.keeper.close_all()
        for window in (self.instances.browser, self.profiles.window, self.tools.diagnostics_window,
                       self.session.login_dialog, self.tunnels.details_window, self.palette.palette):
            if window is not None:
                window.close()
