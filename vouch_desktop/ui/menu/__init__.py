"""The tray menu's sections, one module each. A section is built from the current state every time
the menu opens; each is built on its own (ui/tray.py), so one that fails shows an error line in
its place and every other section, and Quit, are still there. A section keeps its items whatever
the state (disabled, with the reason in the item's state part, when they do not apply)."""

from __future__ import annotations

from dataclasses import dataclass, field

from vouch_desktop.core.app.service import AppService
from vouch_desktop.core.app.tasks import Tasks
from vouch_desktop.ui.clipboard import Clipboard
from vouch_desktop.ui.theme import Theme
from vouch_desktop.ui.windows.windows import Windows


@dataclass(frozen=True)
class MenuContext:
    """What the sections read and act on."""

    service: AppService
    tasks: Tasks
    windows: Windows
    clipboard: Clipboard = field(default_factory=Clipboard)
    theme: Theme | None = None  # the colour scheme, for the status icons

    @property
    def dark(self) -> bool:
        return self.theme is not None and self.theme.dark
