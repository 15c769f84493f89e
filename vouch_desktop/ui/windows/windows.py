"""Every window and dialog the tray opens, grouped by what they are about; built once by the
composition root and handed to the menu sections and the controller.

Each group (and the widget modules behind it) is loaded the first time it is asked for, usually when
the menu first opens: an idle tray icon holds none of the windows' code.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from vouch_desktop.core.app.service import AppService
from vouch_desktop.core.app.tasks import Tasks
from vouch_desktop.core.storage.ui_state import UiState
from vouch_desktop.ui.windows.ask import Boxes, Keeper

if TYPE_CHECKING:
    from vouch_desktop.ui.windows.database_windows import DatabaseWindows
    from vouch_desktop.ui.windows.instance_windows import InstanceWindows
    from vouch_desktop.ui.windows.profile_windows import ProfileWindows
    from vouch_desktop.ui.windows.quick_connect_windows import QuickConnect
    from vouch_desktop.ui.windows.session_windows import SessionWindows
    from vouch_desktop.ui.windows.tool_windows import ToolWindows
    from vouch_desktop.ui.windows.tunnel_windows import TunnelWindows


# the window each group may have open (its attribute), closed by close_all
WINDOWS_OF_GROUPS = (("instances", "browser"), ("profiles", "window"), ("tools", "diagnostics_window"),
                     ("session", "login_dialog"), ("tunnels", "details_window"), ("palette", "palette"))


class Windows:
    def __init__(self, service: AppService, tasks: Tasks, ui_state: UiState | None = None, *,
                 login_platform: Callable[[], str] = lambda: sys.platform,
                 dark: Callable[[], bool] = lambda: False) -> None:
        self.service, self.tasks, self.login_platform, self.dark = service, tasks, login_platform, dark
        self.keeper = Keeper(ui_state)
        self.boxes = Boxes(self.keeper)

    @cached_property
    def session(self) -> SessionWindows:
        from vouch_desktop.ui.windows.session_windows import SessionWindows

        return SessionWindows(self.service, self.tasks, self.boxes, self.login_platform)

    @cached_property
    def instances(self) -> InstanceWindows:
        from vouch_desktop.ui.windows.instance_windows import InstanceWindows

        return InstanceWindows(self.service, self.tasks, self.boxes)

    @cached_property
    def profiles(self) -> ProfileWindows:
        from vouch_desktop.ui.windows.profile_windows import ProfileWindows

        return ProfileWindows(self.service, self.tasks, self.keeper)

    @cached_property
    def databases(self) -> DatabaseWindows:
        from vouch_desktop.ui.windows.database_windows import DatabaseWindows

        return DatabaseWindows(self.service, self.tasks, self.boxes)

    @cached_property
    def tools(self) -> ToolWindows:
        from vouch_desktop.ui.windows.tool_windows import ToolWindows

        return ToolWindows(self.service, self.tasks, self.boxes, show_passwords=lambda: self.databases.show_passwords())

    @cached_property
    def tunnels(self) -> TunnelWindows:
        from vouch_desktop.ui.windows.tunnel_windows import TunnelWindows

        return TunnelWindows(self.service, self.tasks, self.dark)

    @cached_property
    def palette(self) -> QuickConnect:
        from vouch_desktop.ui.windows.quick_connect_windows import QuickConnect

        return QuickConnect(self.service, self.tasks, self.instances, self.boxes)

    def close_all(self) -> None:
        opened = vars(self)  # only the groups that were ever asked for (cached_property keeps them here)
        if "databases" in opened:
            opened["databases"].close_all()
        self.keeper.close_all()
        for group, window in WINDOWS_OF_GROUPS:
            if group in opened and (opened_window := getattr(opened[group], window)) is not None:
                opened_window.close()
