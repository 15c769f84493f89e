"""Form rows whose validation messages appear right under the field they are about."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

ERROR_STYLE = "color: #c62f2f;"
W = TypeVar("W", bound=QWidget)


class FieldErrors:
    def __init__(self, form: QFormLayout) -> None:
        self.form = form
        self.labels: dict[str, QLabel] = {}

    def add_row(self, name: str, label: str, widget: W, hint: str = "") -> W:
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(widget)
        if hint:
            column.addWidget(QLabel(hint))
        error = QLabel()
        error.setStyleSheet(ERROR_STYLE)
        error.setWordWrap(True)
        error.hide()
        column.addWidget(error)
        self.labels[name] = error
        self.form.addRow(label, holder)
        return widget

    def clear(self) -> None:
        for label in self.labels.values():
            label.hide()

    def show(self, by_field: dict[str, str]) -> dict[str, str]:
        """Shows each message beside its field; returns those that belong to no field."""
        unplaced = {}
        for field, message in by_field.items():
            label = self.labels.get(field)
            if label is None:
                unplaced[field] = message
            else:
                label.setText(message)
                label.show()
        return unplaced
