"""What every top-level window of the app gets, in one place: a title that ends "— Vouch Desktop",
Esc and Ctrl+W to close it, a size that fits the screen it opens on (at any scale factor), and, for
the windows with a name, the size it had when last closed (core/storage/ui_state.py)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QCursor, QGuiApplication, QKeySequence, QScreen, QShortcut
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from vouch_desktop.core.storage.ui_state import UiState, WindowSize

APP_TITLE = "Vouch Desktop"
TITLE_SUFFIX = f" — {APP_TITLE}"
# a window manager's frame around the window before it is shown (then measured): title bar and borders
FRAME_ALLOWANCE = QSize(16, 48)
_DONE = "_vouch_frame"


def titled(title: str) -> str:
    """``title`` ending "— Vouch Desktop" (just "Vouch Desktop" for none)."""
    if not title:
        return APP_TITLE
    return title if title.endswith(TITLE_SUFFIX) or title == APP_TITLE else title + TITLE_SUFFIX


def screen_for(window: QWidget) -> QScreen:
    """The screen the pointer is on (where the tray menu was used), else the window's own."""
    return QGuiApplication.screenAt(QCursor.pos()) or window.screen() or QGuiApplication.primaryScreen()


def frame_margins(window: QWidget) -> QSize:
    if window.isVisible():
        frame = window.frameGeometry().size() - window.geometry().size()
        if frame.width() > 0 or frame.height() > 0:
            return frame
    return FRAME_ALLOWANCE


def fit_to_screen(window: QWidget, wanted: QSize) -> None:
    """Resize to ``wanted`` as far as the screen's free area allows (the frame included), and move the
    window so that all of it is on that screen."""
    area = screen_for(window).availableGeometry()
    frame = frame_margins(window)
    room = QSize(max(1, area.width() - frame.width()), max(1, area.height() - frame.height()))
    window.resize(wanted.boundedTo(room).expandedTo(window.minimumSize()))
    size = window.size()
    where = window.pos() if window.isVisible() else QPoint(area.x() + (area.width() - size.width()) // 2,
                                                            area.y() + (area.height() - size.height()) // 2)
    x = min(max(where.x(), area.left()), max(area.left(), area.right() + 1 - size.width() - frame.width()))
    y = min(max(where.y(), area.top()), max(area.top(), area.bottom() + 1 - size.height() - frame.height()))
    window.move(x, y)


def within(window: QWidget, area: QRect) -> bool:
    return area.contains(window.frameGeometry())


class _SizeKeeper(QObject):
    """Saves a named window's size when it is hidden or closed."""

    def __init__(self, window: QWidget, name: str, state: UiState) -> None:
        super().__init__(window)
        self.name, self.state = name, state

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.Hide, QEvent.Type.Close) and isinstance(watched, QWidget):
            size = watched.size()
            if size.width() > 0 and size.height() > 0:
                self.state.remember(self.name, WindowSize(size.width(), size.height()))
        return False


def prepare(window: QWidget, state: UiState | None = None) -> None:
    """Title, keys, remembered size and a place on the screen; the keys and the size keeper are added once."""
    window.setWindowTitle(titled(window.windowTitle()))
    first = not window.property(_DONE)
    if first:
        window.setProperty(_DONE, True)
        close = QShortcut(QKeySequence("Ctrl+W"), window)
        close.setContext(Qt.ShortcutContext.WindowShortcut)
        close.activated.connect(window.close)
        if not isinstance(window, QDialog):  # a dialog's own Esc rejects it (and stops what it started)
            escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), window)
            escape.setContext(Qt.ShortcutContext.WindowShortcut)
            escape.activated.connect(window.close)
    if isinstance(window, QMessageBox):  # sizes itself when shown, within the screen; Qt centres it
        return
    name = window.objectName()
    remembered = state.size(name) if state is not None and name else None
    if first and state is not None and name:
        window.installEventFilter(_SizeKeeper(window, name, state))
    if window.isVisible() and remembered is None:
        fit_to_screen(window, window.size())  # shown again: where it is, as large as it is, if that still fits
        return
    if remembered is not None and first:
        wanted = QSize(remembered.width, remembered.height)
    elif window.testAttribute(Qt.WidgetAttribute.WA_Resized):
        wanted = window.size()  # the size the window asked for
    else:  # its own preferred size: adjustSize() minds wrapping text, but stops at 2/3 of the screen
        hint = window.sizeHint()
        window.adjustSize()
        wanted = window.size().expandedTo(QSize(0, hint.height()))
    fit_to_screen(window, wanted)
