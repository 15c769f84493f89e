"""The tools section: profiles and diagnostics."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu

from vouch_desktop.ui.menu import MenuContext


def tools_section(menu: QMenu, ui: MenuContext) -> None:
    menu.addAction("&Profiles…").triggered.connect(ui.windows.profiles.show_profiles)
    menu.addAction("&Diagnostics…").triggered.connect(ui.windows.tools.show_diagnostics)
