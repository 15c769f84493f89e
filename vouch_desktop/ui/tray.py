"""The system-tray icon and its menu.

The menu is rebuilt every time it opens (``aboutToShow``), from sections that the controller
registers, so it never shows stale state and no menu item needs bookkeeping. Each section is built
on its own: one that raises (a file it reads is unreadable, a bug) leaves an error line where its
items would be, and every other section, and Quit, are still there.

The menu keeps its shape whatever the state, so that muscle memory works: sections do not add or
drop items as the state changes, they disable what does not apply and say why in the item's state
part — the text after " — ", in trailing parentheses or after ": " (``menu_layout`` is the menu
with those parts taken off, which tests compare across states). Status lines (the headline, the
key) are marked as such. Every item has a mnemonic (``&``); text from the user's data is escaped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QCursor, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.ui.icons import template_wanted, tray_icon
from vouch_desktop.ui.theme import Theme

log = logging.getLogger(__name__)
BuildSection = Callable[[QMenu], None]
STATUS_LINE = "vouch_status_line"  # an action property: this item shows state only (the headline, the key)
STATE_PARTS = (" — ", " (", ": ")  # where an item's state part starts
QUIT_TEXT = "&Quit Vouch Desktop"


@dataclass(frozen=True)
class MenuSection:
    title: str  # names the section in its error line
    build: BuildSection
    separator: bool = True  # a separator line after it
    lead: bool = False  # built above the headline (the menu's first item)


def escape(text: str) -> str:
    """User text in a menu item: an ``&`` in it is shown, not taken as a mnemonic."""
    return text.replace("&", "&&")


def plain(text: str) -> str:
    """What a menu item shows: its text without the mnemonic marker."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def mnemonic(text: str) -> str:
    """The item's mnemonic letter, lower case ("" when it has none)."""
    index = text.replace("&&", "").find("&")
    stripped = text.replace("&&", "")
    return stripped[index + 1].lower() if 0 <= index < len(stripped) - 1 else ""


def state_free(text: str) -> str:
    """An item's text without its state part: "Tunnels (2 up)" → "Tunnels"."""
    cut = len(text)
    for marker in STATE_PARTS:
        index = text.find(marker)
        if index > 0:
            cut = min(cut, index)
    return text[:cut]


def status_line(menu: QMenu, text: str) -> QAction:
    """A disabled line that shows state (its text is all state)."""
    action = menu.addAction(escape(text))
    action.setEnabled(False)
    action.setProperty(STATUS_LINE, True)
    return action


def find_submenu(menu: QMenu, title: str) -> QMenu:
    for action in menu.actions():
        submenu = action.menu()
        if isinstance(submenu, QMenu) and state_free(plain(action.text())) == title:
            return submenu
    raise LookupError(f"no submenu {title!r}")


def find_action(menu: QMenu, text: str) -> QAction:
    """The item whose visible text starts with ``text``."""
    for action in menu.actions():
        if plain(action.text()).startswith(text):
            return action
    raise LookupError(f"no menu item {text!r}")


def menu_layout(menu: QMenu) -> list[object]:
    """The menu's shape: each item's text without its state part, separators as "---", status
    lines as "<status>", a submenu as [title, its layout]. Equal across states by design."""
    layout: list[object] = []
    for action in menu.actions():
        if action.isSeparator():
            layout.append("---")
        elif action.property(STATUS_LINE):
            layout.append("<status>")
        elif isinstance(submenu := action.menu(), QMenu):
            layout.append([state_free(plain(action.text())), menu_layout(submenu)])
        else:
            layout.append(state_free(plain(action.text())))
    return layout


def error_line(title: str, exc: Exception) -> str:
    reason = exc.message if isinstance(exc, VouchDesktopError) else (str(exc) or type(exc).__name__)
    reason = reason if len(reason) <= 80 else reason[:79] + "…"
    return f"⚠ {title}: cannot be shown ({reason})"


class TrayIcon(QObject):
    def __init__(self, on_quit: Callable[[], None] = lambda: None, parent: QObject | None = None,
                 theme: Theme | None = None) -> None:
        super().__init__(parent)
        self._sections: list[MenuSection] = []
        self.on_quit = on_quit
        self._state = "logged-out"
        self._tunnels_up = False
        self.theme = theme or Theme(self)
        self.theme.changed.connect(lambda dark: self._update_icon())
        self.headline = "Starting…"
        self.menu = QMenu()
        self.menu.setToolTipsVisible(True)  # a failed tunnel's reason, why an item is disabled
        self.menu.aboutToShow.connect(self.rebuild_menu)
        self.icon = QSystemTrayIcon(self.current_icon())
        self.icon.setContextMenu(self.menu)
        self.icon.setToolTip(self.headline)
        # a left click opens the same menu: there is no main window to show
        self.icon.activated.connect(self._activated)
        self.rebuild_menu()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.menu.popup(QCursor.pos())

    def add_section(self, title: str, build: BuildSection, *, separator: bool = True, lead: bool = False) -> None:
        self._sections.append(MenuSection(title, build, separator, lead))

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def set_status(self, state: str, headline: str, tooltip: str | None = None) -> None:
        self._state = state
        self.headline = headline
        self.icon.setToolTip(tooltip or headline)
        self._update_icon()

    def set_tunnels_up(self, up: bool) -> None:
        if up != self._tunnels_up:
            self._tunnels_up = up
            self._update_icon()

    def current_icon(self) -> QIcon:
        if template_wanted():  # macOS tints a template for its menu bar, light or dark
            return tray_icon(self._state, self._tunnels_up, template=True)
        return tray_icon(self._state, self._tunnels_up, self.theme.dark)

    def _update_icon(self) -> None:
        self.icon.setIcon(self.current_icon())

    @property
    def state(self) -> str:
        return self._state

    @property
    def tunnels_up(self) -> bool:
        return self._tunnels_up

    def rebuild_menu(self) -> None:
        menu = self.menu
        menu.clear()
        for section in (s for s in self._sections if s.lead):
            self._build_section(section)
            if section.separator:
                menu.addSeparator()
        status_line(menu, self.headline)
        for section in (s for s in self._sections if not s.lead):
            self._build_section(section)
            if section.separator:
                menu.addSeparator()
        quit_action = QAction(QUIT_TEXT, menu)
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
            line = menu.addAction(escape(error_line(section.title, exc)))
            line.setEnabled(False)
            line.setToolTip(f"{type(exc).__name__}: {exc}")

    def menu_texts(self) -> list[str]:
        """The visible texts, top to bottom (submenus as 'Title ▸'); for tests and the CLI."""
        return [plain(a.text()) + (" ▸" if a.menu() else "") for a in self.menu.actions() if not a.isSeparator()]

    def layout(self) -> list[object]:
        return menu_layout(self.menu)

    def submenu(self, title: str) -> QMenu:
        """The submenu titled ``title`` (its state part aside: "Tunnels" finds "Tunnels (2 up)")."""
        return find_submenu(self.menu, title)
