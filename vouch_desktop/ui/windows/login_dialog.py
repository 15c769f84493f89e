"""The "Log in" dialog: PIN entry, then what vouch is waiting for ("Insert your YubiKey", "Touch your
YubiKey now", or on Windows "Complete the Windows Security prompt"), and each failure named where the
user acted: a wrong PIN asks again (Enter submits again), a blocked PIN or a key without a PIN says what
to do instead.

The PIN leaves the text field the moment it is submitted and is handed straight to the login runner
(which types it into the pty); it is never stored, shown or logged. The dialog is shown without a
nested event loop (``show()``); the login runs as a task that Cancel stops together with vouch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

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
from vouch_desktop.core.vouch.cli_text import LOGIN_TIMEOUT_DEFAULT
from vouch_desktop.core.vouch.errors import VouchPinBlocked, VouchPinIncorrect
from vouch_desktop.core.vouch.login import LoginRunner, LoginStep
from vouch_desktop.ui.windows.labels import error_label

log = logging.getLogger(__name__)

# what each progress step from the runner means to the user; anything unknown shows as "Working…"
STEP_TEXT = {
    "STARTING": "Starting vouch…",
    "INSERT_KEY": "Insert your YubiKey",
    "WAITING_FOR_PIN": "Sending your PIN…",
    "CHECKING_PIN": "Checking your PIN…",
    "TOUCH_KEY": "Touch your YubiKey now",
    "SECURITY_PROMPT": "Complete the Windows Security prompt",
    "DONE": "Logged in",
}
PIN_PAGE, PROGRESS_PAGE = 0, 1


class LoginDialog(QDialog):
    finished_login = Signal(bool)  # True when logged in

    def __init__(self, make_runner: Callable[[], LoginRunner], email_hint: str = "", parent: QWidget | None = None,
                 *, system_prompt: bool = False, key_timeout: int = LOGIN_TIMEOUT_DEFAULT) -> None:
        """``system_prompt``: the system asks for the PIN and the touch (Windows), so this dialog does not."""
        super().__init__(parent)
        self.setWindowTitle("Log in to Vouch — Vouch Desktop")
        self.setObjectName("login")
        self.setMinimumWidth(380)
        self._make_runner = make_runner
        self._runner: LoginRunner | None = None
        self._task: asyncio.Task | None = None
        self.system_prompt = system_prompt
        self.key_timeout = key_timeout

        self.pages = QStackedWidget()
        # page 0: PIN (or, with the system's prompt, just the start)
        pin_page = QWidget()
        pin_layout = QVBoxLayout(pin_page)
        account = f"\nAccount: {email_hint}" if email_hint else ""
        intro = QLabel(("Insert your YubiKey and log in. Windows will ask for your PIN and a touch in its "
                        "Security prompt." if system_prompt else "Insert your YubiKey and enter its PIN.") + account)
        intro.setWordWrap(True)
        self.pin_edit = QLineEdit()
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.setPlaceholderText("YubiKey PIN")
        self.pin_edit.setAccessibleName("YubiKey PIN")
        self.pin_edit.setVisible(not system_prompt)
        self.error_label = error_label()  # wraps, and gets the height its text needs; selectable
        buttons = QDialogButtonBox()
        self.login_button = buttons.addButton("Log in", QDialogButtonBox.ButtonRole.AcceptRole)
        self.login_button.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self.pin_edit.textChanged.connect(lambda text: self.login_button.setEnabled(bool(text)))
        self.pin_edit.returnPressed.connect(self.submit)  # Enter submits, also again after an error
        self.login_button.setEnabled(system_prompt)
        for pin_widget in (intro, self.pin_edit, self.error_label, buttons):
            pin_layout.addWidget(pin_widget)
        # page 1: progress and what vouch waits for
        progress_page = QWidget()
        progress_layout = QVBoxLayout(progress_page)
        self.step_label = QLabel(STEP_TEXT["STARTING"])
        font = QFont(self.step_label.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.step_label.setFont(font)
        self.step_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.step_hint = QLabel()
        self.step_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.step_hint.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: vouch does not say how long the touch will take
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)  # Enter on the progress page must not cancel the login
        self.cancel_button.clicked.connect(self.reject)
        for widget in (self.step_label, self.step_hint, self.progress, self.cancel_button):
            progress_layout.addWidget(widget)
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
        if self.busy or not (pin or self.system_prompt):
            return
        self.error_label.hide()
        self._show_step("STARTING")
        self.pages.setCurrentIndex(PROGRESS_PAGE)
        self._runner = self._make_runner()
        self._task = asyncio.ensure_future(self._login(self._runner, pin))

    async def _login(self, runner: LoginRunner, pin: str) -> None:
        try:
            await runner.run(pin, self._on_progress)
        except asyncio.CancelledError:
            return
        except VouchDesktopError as exc:
            log.info("login failed: %s (%s)", exc.message, type(exc).__name__)
            self.show_error(exc)
            return
        self._show_step("DONE")
        self.finished_login.emit(True)
        self.accept()

    def _on_progress(self, step: LoginStep) -> None:
        self._show_step(step.name)

    def _show_step(self, name: str) -> None:
        self.step_label.setText(STEP_TEXT.get(name, "Working…"))
        hints = {"INSERT_KEY": f"vouch waits up to {self.key_timeout} s for it.",
                 "TOUCH_KEY": "The key blinks: touch its gold contact.",
                 "SECURITY_PROMPT": "Windows asks for your YubiKey PIN and a touch in its own window."}
        self.step_hint.setText(hints.get(name, ""))

    def show_error(self, error: VouchDesktopError | str) -> None:
        text = error.user_text() if isinstance(error, VouchDesktopError) else error
        self.error_label.setText(text)
        self.error_label.show()
        self.pages.setCurrentIndex(PIN_PAGE)
        blocked = isinstance(error, VouchPinBlocked)  # no PIN can help until the key is reset
        self.pin_edit.setEnabled(not blocked)
        self.login_button.setEnabled(not blocked and self.system_prompt)
        if isinstance(error, VouchPinIncorrect) or not blocked:
            self.pin_edit.setFocus()

    def reject(self) -> None:
        if self.busy and self._runner is not None and self._task is not None:
            self._runner.cancel()  # really stops the vouch child
            self._task.cancel()
        self.finished_login.emit(False)
        super().reject()
