"""The menu's first item: "Connect…", the quick-connect palette (type to find an instance)."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu

from vouch_desktop.ui.menu import MenuContext


def quick_connect_section(menu: QMenu, ui: MenuContext) -> None:
    item = menu.addAction("&Connect…")
    item.setToolTip("Type to find a saved profile, a recent connection or an instance; Enter connects.")
    item.triggered.connect(ui.windows.palette.show)
