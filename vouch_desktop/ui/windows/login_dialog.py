"""The "Log in" dialog: PIN entry, then a clear "Touch your YubiKey" prompt while vouch waits.

The PIN leaves the text field the moment it is submitted and is handed straight to the login
runner (which types it into the pty); it is never stored, shown or logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.ui.windows.labels import error_label

log = logging.getLogger(__name__)


class LoginRunner(Protocol):
    def run(self, pin: str, on_progress: Callable[[object], None]) -> Awaitable[object]: ...
    def cancel(self) -> None: ...


# what each progress step from the runner means to the user; anything unknown shows as "Working…"
STEP_TEXT = {
    "STARTING": "Starting vouch…",
    "WAITING_FOR_PIN": "Sending your PIN…",
    "CHECKING_PIN": "Checking your PIN…",
    "TOUCH_KEY": "Touch your YubiKey now",
    "DONE": "Logged in",
}


class LoginDialog(QDialog):
    finished_login = Signal(bool)  # True when logged in

    def __init__(self, make_runner: Callable[[], LoginRunner], email_hint: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Log in to Vouch — Vouch Desktop")
        self.setObjectName("login")
        self.setMinimumWidth(360)
        self._make_runner = make_runner
        self._runner: LoginRunner | None = None
        self._task: asyncio.Task | None = None

        self.pages = QStackedWidget()
        # page 0: PIN
        pin_page = QWidget()
        pin_layout = QVBoxLayout(pin_page)
        intro = QLabel("Insert your YubiKey and enter its PIN." + (f"\nAccount: {email_hint}" if email_hint else ""))
        intro.setWordWrap(True)
        self.pin_edit = QLineEdit()
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.setPlaceholderText("YubiKey PIN")
        self.pin_edit.setAccessibleName("YubiKey PIN")
        self.error_label = error_label()
        buttons = QDialogButtonBox()
        self.login_button = buttons.addButton("Log in", QDialogButtonBox.ButtonRole.AcceptRole)
        self.login_button.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self.pin_edit.textChanged.connect(lambda text: self.login_button.setEnabled(bool(text)))
        self.login_button.setEnabled(False)
        for widget in (intro, self.pin_edit, self.error_label, buttons):
            pin_layout.addWidget(widget)
        # page 1: progress and the touch prompt
        progress_page = QWidget()
        progress_layout = QVBoxLayout(progress_page)
        self.step_label = QLabel(STEP_TEXT["STARTING"])
        font = QFont(self.step_label.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.step_label.setFont(font)
        self.step_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: vouch does not say how long the touch will take
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        for step_widget in (self.step_label, self.progress, self.cancel_button):
            progress_layout.addWidget(step_widget)
        self.pages.addWidget(pin_page)
        self.pages.addWidget(progress_page)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def submit(self) -> None:
        pin = self.pin_edit.text()
        self.pin_edit.clear()
        if not pin or self.busy:
            return
        self.error_label.hide()
        self.step_label.setText(STEP_TEXT["STARTING"])
        self.pages.setCurrentIndex(1)
        self._runner = self._make_runner()
        self._task = asyncio.ensure_future(self._login(self._runner, pin))

    async def _login(self, runner: LoginRunner, pin: str) -> None:
        try:
            await runner.run(pin, self._on_progress)
        except asyncio.CancelledError:
            return
        except VouchDesktopError as exc:
            log.info("login failed: %s", exc.message)
            self.show_error(exc.user_text())
            return
        self.step_label.setText(STEP_TEXT["DONE"])
        self.finished_login.emit(True)
        self.accept()

    def _on_progress(self, step: object) -> None:
        name = getattr(step, "name", str(step))
        self.step_label.setText(STEP_TEXT.get(name, "Working…"))

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()
        self.pages.setCurrentIndex(0)
        self.pin_edit.setFocus()

    def reject(self) -> None:
        if self.busy and self._runner is not None and self._task is not None:
            self._runner.cancel()  # really stops the vouch child
            self._task.cancel()
        self.finished_login.emit(False)
        super().reject()
