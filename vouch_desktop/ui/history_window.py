"""Recent sessions and tunnel events, filterable; a button opens the log folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSortFilterProxyModel, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLineEdit, QPushButton, QTableView, QVBoxLayout, QWidget,
)

from vouch_desktop.core.history import KINDS, History

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
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(list(COLUMNS))
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
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
