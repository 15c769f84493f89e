"""A read-only table over a plain model, filtered on every column by a search box."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLineEdit, QTableView


def filtered_table(columns: tuple[str, ...], search: QLineEdit,
                   owner: QObject) -> tuple[QStandardItemModel, QSortFilterProxyModel, QTableView]:
    model = QStandardItemModel(0, len(columns), owner)
    model.setHorizontalHeaderLabels(list(columns))
    proxy = QSortFilterProxyModel(owner)
    proxy.setSourceModel(model)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.setFilterKeyColumn(-1)  # every column
    search.textChanged.connect(proxy.setFilterFixedString)
    table = QTableView()
    table.setModel(proxy)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()  # row numbers say nothing here
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    # column widths from the visible rows and 100 more, not 1,000: while thousands of rows come in (the
    # instance list, a region at a time) every batch made the header measure 1,000 rows × every column again,
    # 50-130 ms of the UI thread each time (benchmarks/discovery.py)
    table.horizontalHeader().setResizeContentsPrecision(100)
    table.horizontalHeader().setStretchLastSection(True)
    return model, proxy, table
