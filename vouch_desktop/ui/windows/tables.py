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
    table.horizontalHeader().setStretchLastSection(True)
    return model, proxy, table
