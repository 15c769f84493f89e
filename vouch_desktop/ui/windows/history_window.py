"""Recent sessions and tunnel events, filterable; a button opens the log folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QStandardItem
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vouch_desktop.core.storage.history import KINDS, History
from vouch_desktop.ui.windows.tables import filtered_table

KIND_LABELS = {"connect": "Connected", "login": "Logged in", "logout": "Logged out", "tunnel_start": "Tunnel up",
               "tunnel_stop": "Tunnel stopped", "tunnel_reconnect": "Tunnel reconnect",
               "tunnel_failure": "Tunnel failed"}
COLUMNS = ("When", "What", "Profile", "Target", "Region", "Details")


class HistoryWindow(QWidget):
    def __init__(self, history: History, log_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("History — Vouch Desktop")
        self.resize(860, 420)
        self.history, self.log_dir = history, log_dir
        self.kind = QComboBox()
        self.kind.addItem("Everything", None)
        for kind in KINDS:
            self.kind.addItem(KIND_LABELS[kind], kind)
        self.kind.currentIndexChanged.connect(self.reload)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter…")
        self.search.setClearButtonEnabled(True)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.reload)
        logs = QPushButton("Open log folder")
        logs.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_dir))))
        top = QHBoxLayout()
        for widget in (self.kind, self.search, refresh, logs):
            top.addWidget(widget)
        top.setStretch(1, 1)
        self.model, self.proxy, self.table = filtered_table(COLUMNS, self.search, self)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        self.reload()

    def reload(self, *args: object) -> None:
        kind = self.kind.currentData()
        self.model.removeRows(0, self.model.rowCount())
        for entry in self.history.recent(limit=1000, kinds=(kind,) if kind else None):
            port = f" (localhost:{entry.local_port})" if entry.local_port else ""
            values = (entry.time.astimezone().strftime("%Y-%m-%d %H:%M:%S"), KIND_LABELS.get(entry.kind, entry.kind),
                      entry.profile, entry.target, entry.region, entry.message + port)
            self.model.appendRow([QStandardItem(v) for v in values])

    def rows(self) -> list[list[str]]:
        return [[self.proxy.index(r, c).data() for c in range(len(COLUMNS))] for r in range(self.proxy.rowCount())]
