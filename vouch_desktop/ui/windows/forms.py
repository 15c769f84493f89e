"""Form rows whose validation messages appear right under the field they are about, in a form that
scrolls when the screen is too small for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFormLayout, QFrame, QScrollArea, QVBoxLayout, QWidget

from vouch_desktop.core.errors import ValidationErrors, VouchDesktopError
from vouch_desktop.ui.windows.labels import WrappingLabel, error_label

W = TypeVar("W", bound=QWidget)


class FieldErrors:
    """Messages beside the fields they are about; ``general`` (placed by the window, under the form)
    holds what belongs to no field, such as a file that could not be saved."""

    def __init__(self, form: QFormLayout) -> None:
        self.form = form
        self.labels: dict[str, WrappingLabel] = {}
        self.general = error_label()

    def add_row(self, name: str, label: str, widget: W, hint: str = "") -> W:
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(widget)
        if hint:
            column.addWidget(WrappingLabel(hint))
        error = error_label()
        column.addWidget(error)
        self.labels[name] = error
        self.form.addRow(label, holder)
        return widget

    def clear(self) -> None:
        for label in [*self.labels.values(), self.general]:
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

    def saved(self, save: Callable[[], object]) -> bool:
        """Runs ``save`` (which builds what the form says and saves it); when it is refused, shows why and
        returns False, so that the window stays open with everything the user typed."""
        self.clear()
        try:
            save()
        except ValidationErrors as exc:
            self._say_in_general("\n".join(self.show(exc.by_field()).values()))
            return False
        except VouchDesktopError as exc:  # not saved (a read-only folder, a full disk)
            self._say_in_general(exc.user_text())
            return False
        return True

    def _say_in_general(self, text: str) -> None:
        self.general.setText(text)
        self.general.setVisible(bool(text))


class FormScroll(QScrollArea):
    """A form that scrolls when the screen is too small for it (a high scale factor, a small laptop),
    and asks for its whole height otherwise: the dialog's buttons stay on screen either way."""

    def __init__(self, form: QFormLayout, min_width: int = 0) -> None:
        """``min_width``: the least width the form asks for (a dialog's own minimum width would override
        its layout's, and the form could then be cut on the right at large font sizes)."""
        super().__init__()
        self.min_width = min_width
        self.body = QWidget()
        self.body.setLayout(form)
        self.setWidget(self.body)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        body = self.body.sizeHint()
        return QSize(max(self.min_width, body.width() + self.verticalScrollBar().sizeHint().width()), body.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        body = self.body.minimumSizeHint()
        return QSize(max(self.min_width, body.width() + self.verticalScrollBar().sizeHint().width()),
                     min(body.height(), 4 * self.fontMetrics().height()))
