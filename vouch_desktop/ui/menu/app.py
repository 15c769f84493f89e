"""The app section: settings, history, about."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu

from vouch_desktop.ui.menu import MenuContext


def app_section(menu: QMenu, ui: MenuContext) -> None:
    tools = ui.windows.tools
    menu.addAction("S&ettings…").triggered.connect(tools.show_settings)
    menu.addAction("&History…").triggered.connect(tools.show_history)
    menu.addAction("A&bout Vouch Desktop").triggered.connect(tools.show_about)
