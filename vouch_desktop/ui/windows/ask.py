"""Dialogs without nested event loops.

A modal ``exec()`` (and the static QMessageBox/QInputDialog helpers, which call it) runs a second
event loop inside the running coroutine: every other task stalls behind it ("Cannot enter into
task"), and Quit waits for the dialog. Here a dialog is shown non-modally and its answer awaited
as a future: other tasks keep running, and cancelling the awaiting task (quitting) closes it.
tests/ui/test_no_nested_loops.py keeps ui/ free of the nested-loop calls.
"""

from __future__ import annotations

import asyncio
import contextlib

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox, QWidget

from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.storage.ui_state import UiState
from vouch_desktop.ui.windows.frame import prepare, titled


class Keeper:
    """Every top-level window is shown through here: it gets its title, Esc and Ctrl+W, a size that
    fits the screen (the one it had when last closed, for a named window: ``ui_state``), and is kept
    alive while it is visible (the tray app has no main window to parent it to)."""

    def __init__(self, ui_state: UiState | None = None) -> None:
        self._windows: list[QWidget] = []
        self.ui_state = ui_state

    def show(self, window: QWidget) -> QWidget:
        if window.parent() is not None:
            window.setParent(None)
        prepare(window, self.ui_state)
        window.show()
        window.raise_()
        window.activateWindow()
        self._windows = [w for w in self._windows if w.isVisible()] + [window]
        return window

    @property
    def open_windows(self) -> list[QWidget]:
        return [w for w in self._windows if w.isVisible()]

    def close_all(self) -> None:
        for window in self._windows:
            window.close()
        self._windows.clear()


async def ask(dialog: QDialog) -> int:
    """Show ``dialog`` non-modally; its result code once the user closes it."""
    answered: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def finished(result: int) -> None:
        if not answered.done():
            answered.set_result(result)

    dialog.finished.connect(finished)
    dialog.setModal(False)
    prepare(dialog)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    try:
        return await answered
    finally:
        with contextlib.suppress(RuntimeError):  # the dialog may be deleted already
            if dialog.isVisible():
                dialog.done(QDialog.DialogCode.Rejected.value)  # cancelled: quitting, or the asking work stopped


async def choose(title: str, label: str, items: list[str]) -> int | None:
    """The index of the item the user picks, or None when cancelled."""
    dialog = QInputDialog()
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setComboBoxItems(items)
    dialog.setComboBoxEditable(False)
    if await ask(dialog) != QDialog.DialogCode.Accepted.value:
        return None
    text = dialog.textValue()
    return items.index(text) if text in items else None


async def confirm(title: str, text: str) -> bool:
    """Yes or No."""
    box = message_box(QMessageBox.Icon.Question, title, text)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.setDefaultButton(QMessageBox.StandardButton.Yes)
    await ask(box)
    return box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)


def message_box(icon: QMessageBox.Icon, title: str, text: str, informative: str = "",
                detail: str = "", parent: QWidget | None = None) -> QMessageBox:
    """Every message box is made here. A QMessageBox is application-modal by default: shown, it would
    block every window and the tray's until answered. With a ``parent`` it blocks that window only (a
    question about what the window shows); without one, nothing."""
    box = QMessageBox(icon, titled(title), text, QMessageBox.StandardButton.NoButton, parent)
    box.setWindowModality(Qt.WindowModality.WindowModal if parent is not None else Qt.WindowModality.NonModal)
    if informative:
        box.setInformativeText(informative)
    if detail:
        box.setDetailedText(detail)
    return box


class Boxes:
    """Information and warning boxes, shown non-modally and kept alive until closed."""

    def __init__(self, keeper: Keeper) -> None:
        self.keeper = keeper

    def show(self, box: QMessageBox) -> QMessageBox:
        if not box.buttons():
            box.addButton(QMessageBox.StandardButton.Ok)
        box.setModal(False)
        self.keeper.show(box)
        return box

    def inform(self, title: str, text: str, informative: str = "") -> QMessageBox:
        return self.show(message_box(QMessageBox.Icon.Information, title, text, informative))

    def warn(self, title: str, text: str, informative: str = "") -> QMessageBox:
        return self.show(message_box(QMessageBox.Icon.Warning, title, text, informative))

    def error(self, title: str, error: VouchDesktopError) -> QMessageBox:
        return self.show(message_box(QMessageBox.Icon.Warning, title, error.message, error.advice, error.detail))
