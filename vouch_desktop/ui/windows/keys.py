"""The keys the windows share: F5 and Ctrl+R refresh, Enter acts on a list's selected row, Down in a
filter box moves into the results."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QWidget

REFRESH_KEYS = ("F5", "Ctrl+R")
ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


def on_keys(widget: QWidget, keys: tuple[str | Qt.Key, ...], slot: Callable[[], object],
            context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut) -> list[QShortcut]:
    shortcuts = []
    for key in keys:
        shortcut = QShortcut(QKeySequence(key), widget)
        shortcut.setContext(context)
        shortcut.activated.connect(slot)
        shortcuts.append(shortcut)
    return shortcuts


def refresh_keys(window: QWidget, refresh: Callable[[], object]) -> list[QShortcut]:
    return on_keys(window, REFRESH_KEYS, refresh)


def enter_acts(view: QAbstractItemView, act: Callable[[], object]) -> list[QShortcut]:
    """Enter on the list (while it has the focus) acts on its selected row."""
    return on_keys(view, ENTER_KEYS, act, Qt.ShortcutContext.WidgetShortcut)


class _DownInto(QObject):
    def __init__(self, search: QLineEdit, view: QAbstractItemView) -> None:
        super().__init__(search)
        self.view = view

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and event.key() == Qt.Key.Key_Down and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            model = self.view.model()
            if model is not None and model.rowCount() > 0:
                self.view.setFocus(Qt.FocusReason.TabFocusReason)
                if not self.view.selectionModel().hasSelection():
                    self.view.setCurrentIndex(model.index(0, 0))
                return True
        return False


def down_moves_into(search: QLineEdit, view: QAbstractItemView) -> None:
    """Down in the filter box moves to the results (the first row, or the one already selected)."""
    search.installEventFilter(_DownInto(search, view))
