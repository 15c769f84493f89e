"""The system-tray icon and its menu.

The menu is rebuilt every time it opens (``aboutToShow``), from sections that the composition root
registers, so it never shows stale state and no menu item needs bookkeeping.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QCursor
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from vouch_desktop.ui.icons import tray_icon

MenuSection = Callable[[QMenu], None]


class TrayIcon(QObject):
    def __init__(self, on_quit: Callable[[], None] = lambda: None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sections: list[MenuSection] = []
        self.on_quit = on_quit
        self._state = "logged-out"
        self._tunnels_up = False
        self.headline = "Starting…"
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self.rebuild_menu)
        self.icon = QSystemTrayIcon(tray_icon(self._state))
        self.icon.setContextMenu(self.menu)
        self.icon.setToolTip(self.headline)
        # a left click opens the same menu: there is no main window to show
        self.icon.activated.connect(self._activated)
        self.rebuild_menu()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.menu.popup(QCursor.pos())

    def add_section(self, section: MenuSection) -> None:
        self._sections.append(section)

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def set_status(self, state: str, headline: str, tooltip: str | None = None) -> None:
        self._state = state
        self.headline = headline
        self.icon.setToolTip(tooltip or headline)
        self.icon.setIcon(tray_icon(self._state, self._tunnels_up))

    def set_tunnels_up(self, up: bool) -> None:
        if up != self._tunnels_up:
            self._tunnels_up = up
            self.icon.setIcon(tray_icon(self._state, up))

    @property
    def state(self) -> str:
        return self._state

    @property
    def tunnels_up(self) -> bool:
        return self._tunnels_up

    def rebuild_menu(self) -> None:
        menu = self.menu
        menu.clear()
        headline = menu.addAction(self.headline)
        headline.setEnabled(False)
        menu.addSeparator()
        for section in self._sections:
            section(menu)
            menu.addSeparator()
        quit_action = QAction("Quit Vouch Desktop", menu)
        quit_action.triggered.connect(lambda: self.on_quit())
        menu.addAction(quit_action)

    def menu_texts(self) -> list[str]:
        """The visible texts, top to bottom (submenus as 'Title ▸'); for tests and the CLI."""
        return [a.text() + (" ▸" if a.menu() else "") for a in self.menu.actions() if not a.isSeparator()]
