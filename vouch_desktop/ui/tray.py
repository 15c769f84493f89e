"""The system-tray icon and its menu.

The menu is rebuilt every time it opens (``aboutToShow``), from sections that the controller
registers, so it never shows stale state and no menu item needs bookkeeping. Each section is built
on its own: one that raises (a file it reads is unreadable, a bug) leaves an error line where its
items would be, and every other section, and Quit, are still there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QCursor
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.ui.icons import tray_icon

log = logging.getLogger(__name__)
BuildSection = Callable[[QMenu], None]


@dataclass(frozen=True)
class MenuSection:
    title: str  # names the section in its error line
    build: BuildSection
    separator: bool = True  # a separator line after it


def error_line(title: str, exc: Exception) -> str:
    reason = exc.message if isinstance(exc, VouchDesktopError) else (str(exc) or type(exc).__name__)
    reason = reason if len(reason) <= 80 else reason[:79] + "…"
    return f"⚠ {title}: cannot be shown ({reason})"


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

    def add_section(self, title: str, build: BuildSection, *, separator: bool = True) -> None:
        self._sections.append(MenuSection(title, build, separator))

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
            self._build_section(section)
            if section.separator:
                menu.addSeparator()
        quit_action = QAction("Quit Vouch Desktop", menu)
        quit_action.triggered.connect(lambda: self.on_quit())
        menu.addAction(quit_action)

    def _build_section(self, section: MenuSection) -> None:
        """Build one section; when it raises, take back what it added and put an error line instead."""
        menu = self.menu
        before = list(menu.actions())
        try:
            section.build(menu)
        except Exception as exc:  # whatever it is, the rest of the menu (and Quit) must still be there
            expected = isinstance(exc, (OSError, VouchDesktopError))  # a bug gets its traceback in the log
            log.warning("menu section %s failed: %s", section.title, exc, exc_info=not expected)
            for action in menu.actions():
                if action not in before:
                    menu.removeAction(action)
                    action.deleteLater()
            line = menu.addAction(error_line(section.title, exc))
            line.setEnabled(False)
            line.setToolTip(f"{type(exc).__name__}: {exc}")

    def menu_texts(self) -> list[str]:
        """The visible texts, top to bottom (submenus as 'Title ▸'); for tests and the CLI."""
        return [a.text() + (" ▸" if a.menu() else "") for a in self.menu.actions() if not a.isSeparator()]
