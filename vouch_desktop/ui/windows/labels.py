"""Labels whose text wraps, and that always get the height their text needs.

A word-wrapped QLabel reports its height only through ``heightForWidth``, which a top-level window's
minimum size never asks for: a message that appears after the window was laid out (a wrong PIN, a
validation error) got the one line's height it had been given and showed clipped top and bottom.
``WrappingLabel`` turns the height its text needs at its current width into its minimum height,
each time the text or the width changes, so the layout (and the window, through its minimum size)
makes room. Every label that can show a message of unknown length is one of these.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QWidget

ERROR_STYLE = "color: #c62f2f;"


class WrappingLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None, *, error: bool = False,
                 selectable: bool = False) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        if error:
            self.setStyleSheet(ERROR_STYLE)
        if selectable:  # a message people copy into a ticket or a search
            self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._fit()

    def needed_height(self, width: int | None = None) -> int:
        """The height the text needs at ``width`` (the label's own width when None)."""
        return self.heightForWidth(max(1, self.width() if width is None else width)) if self.text() else 0

    def _fit(self) -> None:
        if not self.isVisible():  # not laid out yet: its width means nothing (a child starts 100 px wide)
            return
        needed = self.needed_height()
        if needed != self.minimumHeight():
            self.setMinimumHeight(needed)
            self.updateGeometry()


def error_label(text: str = "") -> WrappingLabel:
    """A red message that wraps, hidden until it has something to say."""
    label = WrappingLabel(text, error=True, selectable=True)
    label.setVisible(bool(text))
    return label
