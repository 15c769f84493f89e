""""Quit while tunnels are up?" — asked when Quit is chosen in the tray while tunnels run (and the
user has not said "Don't ask again"); never for `vouch-desktop quit` or a signal. Shown non-modally
and awaited (ui/windows/ask.py): no nested event loop, and quitting from elsewhere closes it."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QCheckBox, QMessageBox

from vouch_desktop.ui.windows.ask import ask


@dataclass(frozen=True)
class QuitAnswer:
    quit: bool
    dont_ask_again: bool


def names_text(names: list[str], shown: int = 3) -> str:
    listed = ", ".join(names[:shown])
    return listed + (f" and {len(names) - shown} more" if len(names) > shown else "")


class QuitConfirmation(QMessageBox):
    def __init__(self, tunnels: list[str]) -> None:
        count = len(tunnels)
        super().__init__(QMessageBox.Icon.Question, "Quit — Vouch Desktop",
                         f"{count} tunnel{'s are' if count > 1 else ' is'} running: {names_text(tunnels)}.")
        self.setInformativeText("Quitting stops them and closes their SSM sessions; "
                                "programs connected through them lose their connection.")
        self.quit_button = self.addButton("&Quit and stop tunnels", QMessageBox.ButtonRole.AcceptRole)
        self.cancel_button = self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(self.quit_button)
        self.setEscapeButton(self.cancel_button)
        self.dont_ask = QCheckBox("&Don't ask again (Settings can turn this back on)")
        self.setCheckBox(self.dont_ask)

    async def answer(self) -> QuitAnswer:
        await ask(self)
        quit_chosen = self.clickedButton() is self.quit_button
        return QuitAnswer(quit_chosen, quit_chosen and self.dont_ask.isChecked())
