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
from vouch_desktop.ui.windows.ask import Boxes, Keeper

if TYPE_CHECKING:
    from vouch_desktop.ui.windows.instance_windows import InstanceWindows
    from vouch_desktop.ui.windows.profile_windows import ProfileWindows
    from vouch_desktop.ui.windows.session_windows import SessionWindows
    from vouch_desktop.ui.windows.tool_windows import ToolWindows


class Windows:
    def __init__(self, service: AppService, tasks: Tasks, *,
                 login_platform: Callable[[], str] = lambda: sys.platform) -> None:
        self.service, self.tasks, self.login_platform = service, tasks, login_platform
        self.keeper = Keeper()
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
    def tools(self) -> ToolWindows:
        from vouch_desktop.ui.windows.tool_windows import ToolWindows

        return ToolWindows(self.service, self.tasks, self.boxes)

    def close_all(self) -> None:
        self.keeper.close_all()
        opened = vars(self)  # only the groups that were ever asked for (cached_property keeps them here)
        windows = [opened["instances"].browser if "instances" in opened else None,
                   opened["profiles"].window if "profiles" in opened else None,
                   opened["tools"].diagnostics_window if "tools" in opened else None,
                   opened["session"].login_dialog if "session" in opened else None]
        for window in windows:
            if window is not None:
                window.close()
