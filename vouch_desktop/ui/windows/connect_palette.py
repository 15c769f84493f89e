"""The "Connect…" palette: a search field over saved profiles, recent connections and discovered
instances (ranked by core/app/quick_connect.py), keyboard first.

Keys: typing filters (the best match is selected); Up/Down/Page Up/Page Down move; Enter connects,
Alt+Enter opens SSH, Ctrl+C copies the ssh command (or, when text in the field is selected, that
text), Esc closes. Results that arrive later (discovery runs off the UI thread) are merged in
without moving the selection: the same candidate stays selected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QGuiApplication, QKeyEvent, QPainter, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListView,
    QProgressBar,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from vouch_desktop.core.app.quick_connect import Candidate, rank

KEY_ROLE = Qt.ItemDataRole.UserRole + 1
SUBTITLE_ROLE = Qt.ItemDataRole.UserRole + 2
UNREACHABLE_ROLE = Qt.ItemDataRole.UserRole + 3  # shown greyed, still selectable (Enter says why not)
HINT = "Enter connects · Alt+Enter opens SSH · Ctrl+C copies the ssh command · Esc closes"
MOVE_KEYS = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)


class PaletteActions(Protocol):
    def connect(self, candidate: Candidate) -> None: ...

    def open_ssh(self, candidate: Candidate) -> None: ...


class TwoLineDelegate(QStyledItemDelegate):
    """The name on the first line; the id, region and kind smaller and quieter beneath it."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        metrics = option.fontMetrics
        return QSize(200, int(metrics.height() * 2.4) + 6)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        title, subtitle = opt.text, str(index.data(SUBTITLE_ROLE) or "")
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QGuiApplication.instance().style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        enabled = bool(opt.state & QStyle.StateFlag.State_Enabled) and not index.data(UNREACHABLE_ROLE)
        palette: QPalette = opt.palette
        group = QPalette.ColorGroup.Normal if enabled else QPalette.ColorGroup.Disabled
        main = palette.color(group, QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        quiet = main if selected else palette.color(group, QPalette.ColorRole.PlaceholderText)
        rect: QRect = opt.rect.adjusted(10, 3, -10, -3)
        half = rect.height() // 2
        painter.save()
        font = QFont(opt.font)
        painter.setFont(font)
        painter.setPen(main)
        top = QRect(rect.left(), rect.top(), rect.width(), half)
        painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, rect.width()))
        font.setPointSizeF(font.pointSizeF() * 0.88)
        painter.setFont(font)
        painter.setPen(quiet)
        bottom = QRect(rect.left(), rect.top() + half, rect.width(), rect.height() - half)
        painter.drawText(bottom, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(subtitle, Qt.TextElideMode.ElideMiddle, rect.width()))
        painter.restore()


class ConnectPalette(QWidget):
    def __init__(self, actions: PaletteActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect — Vouch Desktop")
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint)
        self.resize(600, 420)
        self.handler = actions
        self.candidates: list[Candidate] = []
        self.shown: list[Candidate] = []
        self.search = QLineEdit()
        self.search.setPlaceholderText("Type a name, instance id, tag or region")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _: self.refilter(keep_selection=False))
        self.model = QStandardItemModel(self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setItemDelegate(TwoLineDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.list.activated.connect(lambda index: self.act(self.handler.connect))
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing always goes to the field
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: discovery reports regions, not a fraction
        self.progress.setMaximumHeight(4)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status = QLabel(HINT)
        self.status.setWordWrap(True)
        self.status.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.empty = QLabel("Nothing matches. Instances appear here once discovery has run.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.progress)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.status)
        self.search.installEventFilter(self)

    # ---------------------------------------------------------------- contents
    def set_candidates(self, candidates: list[Candidate]) -> None:
        """New or more results: merged in, the selection stays on the same candidate."""
        self.candidates = list(candidates)
        self.refilter(keep_selection=True)

    def refilter(self, keep_selection: bool) -> None:
        key = self.selected_key() if keep_selection else ""
        self.shown = rank(self.candidates, self.search.text())
        self.model.clear()
        for candidate in self.shown:
            item = QStandardItem(candidate.title)
            item.setData(candidate.key, KEY_ROLE)
            subtitle = candidate.subtitle + (f" · {candidate.reason}" if candidate.reason else "")
            item.setData(subtitle, SUBTITLE_ROLE)
            item.setToolTip(f"{candidate.title}\n{subtitle}")
            item.setData(not candidate.connectable, UNREACHABLE_ROLE)
            self.model.appendRow(item)
        keys = [c.key for c in self.shown]
        row = keys.index(key) if key in keys else (0 if keys else -1)
        self.select_row(row)
        self.list.setVisible(bool(self.shown))
        self.empty.setVisible(not self.shown)

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            index = self.model.index(row, 0)
            self.list.setCurrentIndex(index)
            self.list.scrollTo(index)

    def selected_row(self) -> int:
        index = self.list.currentIndex()
        return index.row() if index.isValid() else -1

    def selected_key(self) -> str:
        row = self.selected_row()
        return self.shown[row].key if 0 <= row < len(self.shown) else ""

    def selected(self) -> Candidate | None:
        row = self.selected_row()
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def set_loading(self, text: str) -> None:
        """Discovery's progress ("" when done)."""
        self.progress.setVisible(bool(text))
        self.say(text or HINT)

    def say(self, text: str) -> None:
        self.status.setText(text)

    # ---------------------------------------------------------------- showing
    def present(self) -> None:
        """Open (or bring forward) with the field focused and its text selected, so typing replaces it."""
        screen = QGuiApplication.screenAt(self.cursor().pos()) or QGuiApplication.primaryScreen()
        if screen is not None and not self.isVisible():
            area = screen.availableGeometry()
            self.resize(min(self.width(), area.width() - 40), min(self.height(), area.height() - 40))
            self.move(area.left() + (area.width() - self.width()) // 2, area.top() + area.height() // 5)
        self.show()
        self.raise_()
        self.activateWindow()
        self.search.setFocus()
        self.search.selectAll()

    # ---------------------------------------------------------------- keys
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            return self.handle_key(event)
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.handle_key(event):
            super().keyPressEvent(event)

    def handle_key(self, event: QKeyEvent) -> bool:
        key, mods = event.key(), event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            alt = bool(mods & Qt.KeyboardModifier.AltModifier)
            self.act(self.handler.open_ssh if alt else self.handler.connect)
            return True
        if key == Qt.Key.Key_Escape:
            self.close()
            return True
        if key == Qt.Key.Key_C and mods & Qt.KeyboardModifier.ControlModifier and not self.search.hasSelectedText():
            self.copy_ssh_command()
            return True
        if key in MOVE_KEYS and self.shown:
            step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -8, Qt.Key.Key_PageDown: 8}[Qt.Key(key)]
            self.select_row(max(0, min(len(self.shown) - 1, self.selected_row() + step)))
            return True
        return False

    # ---------------------------------------------------------------- acting
    def act(self, action: Callable[[Candidate], None]) -> None:
        candidate = self.selected()
        if candidate is None:
            self.say("Nothing selected: type to find an instance.")
            return
        if not candidate.connectable:
            self.say(f"Cannot connect to {candidate.title}: {candidate.reason}.")
            return
        self.close()
        action(candidate)

    def copy_ssh_command(self) -> None:
        candidate = self.selected()
        if candidate is None:
            return
        command = candidate.ssh_command()
        if not command:
            self.say(f"“{candidate.title}” is a tag filter ({candidate.target}): choose one of its instances "
                     "to copy its ssh command.")
            return
        QGuiApplication.clipboard().setText(command)
        self.say(f"Copied: {command}")
