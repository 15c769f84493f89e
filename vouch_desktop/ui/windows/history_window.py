"""Recent sessions, logins and tunnel events, filterable; double-click (or Enter) shows an entry in
full; a button opens the log folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QStandardItem
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vouch_desktop.core.storage.history import KINDS, History, HistoryEntry
from vouch_desktop.ui.windows.ask import message_box
from vouch_desktop.ui.windows.keys import down_moves_into, enter_acts, refresh_keys
from vouch_desktop.ui.windows.tables import filtered_table

KIND_LABELS = {"connect": "Connected", "connect_failure": "Connect failed", "login": "Logged in",
               "login_failure": "Login failed", "logout": "Logged out", "session_expired": "Session expired",
               "tunnel_start": "Tunnel up", "tunnel_stop": "Tunnel stopped", "tunnel_drop": "Tunnel dropped",
               "tunnel_retry": "Tunnel retry failed", "tunnel_recovered": "Tunnel back up",
               "tunnel_failure": "Tunnel failed"}
COLUMNS = ("When", "What", "Profile", "Target", "Region", "Details")
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1


def when(entry: HistoryEntry) -> str:
    return entry.time.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def details_text(entry: HistoryEntry) -> str:
    """An entry in full, one field a line, for the details box (and for copying into a ticket)."""
    lines = [f"When: {when(entry)}", f"What: {KIND_LABELS.get(entry.kind, entry.kind)}"]
    for label, value in (("Profile", entry.profile), ("Target", entry.target), ("Region", entry.region),
                         ("Local port", str(entry.local_port) if entry.local_port else ""),
                         ("Details", entry.message)):
        if value:
            lines.append(f"{label}: {value}")
    return "\n".join(lines)


class HistoryWindow(QWidget):
    def __init__(self, history: History, log_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("History — Vouch Desktop")
        self.setObjectName("history")
        self.resize(860, 420)
        self.history, self.log_dir = history, log_dir
        self.entries: list[HistoryEntry] = []
        self.details_box: QMessageBox | None = None
        self.kind = QComboBox()
        self.kind.addItem("Everything", None)
        for kind in KINDS:
            self.kind.addItem(KIND_LABELS[kind], kind)
        self.kind.currentIndexChanged.connect(self.reload)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter…")
        self.search.setClearButtonEnabled(True)
        refresh = QPushButton("Refresh")
        refresh.setToolTip("F5 or Ctrl+R")
        refresh.clicked.connect(self.reload)
        logs = QPushButton("Open log folder")
        logs.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_dir))))
        top = QHBoxLayout()
        for widget in (self.kind, self.search, refresh, logs):
            top.addWidget(widget)
        top.setStretch(1, 1)
        self.model, self.proxy, self.table = filtered_table(COLUMNS, self.search, self)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setToolTip("Double-click or Enter: the entry in full")
        self.table.doubleClicked.connect(self.show_details)
        enter_acts(self.table, lambda: self.show_details(self.table.currentIndex()))
        down_moves_into(self.search, self.table)
        refresh_keys(self, self.reload)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        self.reload()

    def reload(self, *args: object) -> None:
        kind = self.kind.currentData()
        self.model.removeRows(0, self.model.rowCount())
        self.entries = self.history.recent(limit=1000, kinds=(kind,) if kind else None)
        for number, entry in enumerate(self.entries):
            port = f" (localhost:{entry.local_port})" if entry.local_port else ""
            values = (when(entry), KIND_LABELS.get(entry.kind, entry.kind), entry.profile, entry.target,
                      entry.region, entry.message + port)
            row = [QStandardItem(v) for v in values]
            row[0].setData(number, ENTRY_ROLE)
            self.model.appendRow(row)

    def entry_at(self, index: QModelIndex) -> HistoryEntry | None:
        if not index.isValid():
            return None
        number = self.proxy.index(index.row(), 0).data(ENTRY_ROLE)
        return self.entries[number] if isinstance(number, int) and 0 <= number < len(self.entries) else None

    def show_details(self, index: QModelIndex) -> QMessageBox | None:
        entry = self.entry_at(index)
        if entry is None:
            return None
        if self.details_box is not None:
            self.details_box.close()
        box = message_box(QMessageBox.Icon.NoIcon, "History entry", details_text(entry), parent=self)
        box.setWindowModality(Qt.WindowModality.NonModal)  # another entry can be chosen meanwhile: it replaces this
        box.addButton(QMessageBox.StandardButton.Close)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.show()
        self.details_box = box
        return box

    def rows(self) -> list[list[str]]:
        return [[self.proxy.index(r, c).data() for c in range(len(COLUMNS))] for r in range(self.proxy.rowCount())]
