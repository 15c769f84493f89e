"""Databases through tunnels, on the desktop: open a client, copy the URL or the password, the password
dialog (non-modal, awaited), and Settings → Passwords."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vouch_desktop.core.app.service import AppService
from vouch_desktop.core.app.tasks import Tasks
from vouch_desktop.core.databases.passwords import DatabaseAccount, KeyringState, StoredPassword
from vouch_desktop.core.databases.sign_in import PasswordAnswer, PasswordRequest, SignInCancelled
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.storage.profiles import TunnelProfile
from vouch_desktop.ui.secret_clipboard import SecretClipboard
from vouch_desktop.ui.windows.ask import Boxes, ask


class PasswordDialog(QDialog):
    """Asks for one database password; offers to keep it in the keyring, or says why it cannot."""

    def __init__(self, request: PasswordRequest, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Sign in to {request.tunnel}")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Password for {request.account.label}:"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        layout.addWidget(self.password)
        self.remember = QCheckBox(f"Remember it in {request.keyring.name}")
        usable = request.keyring.usable and bool(request.account.user)
        self.remember.setChecked(usable)
        self.remember.setEnabled(usable)
        layout.addWidget(self.remember)
        if not request.keyring.usable:
            self.remember.setText("Remember it (no keyring: not possible)")
            note = QLabel(request.keyring.why)
            note.setWordWrap(True)
            layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def answer(self) -> PasswordAnswer | None:
        text = self.password.text()
        return PasswordAnswer(text, self.remember.isChecked() and self.remember.isEnabled()) if text else None


class PasswordsWindow(QDialog):
    """Settings → Passwords: the database passwords kept in the keyring (names only), and Forget."""

    def __init__(self, service: AppService, tasks: Tasks, boxes: Boxes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.tasks, self.boxes = service, tasks, boxes
        self.setWindowTitle("Database passwords — Vouch Desktop")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        self.status = QLabel("Looking at the keyring…")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.list = QListWidget()
        layout.addWidget(self.list)
        row = QHBoxLayout()
        self.forget_button = QPushButton("Forget")
        self.forget_button.setEnabled(False)
        self.forget_button.clicked.connect(self.forget_selected)
        row.addWidget(self.forget_button)
        row.addStretch(1)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        row.addWidget(close)
        layout.addLayout(row)
        self.list.itemSelectionChanged.connect(
            lambda: self.forget_button.setEnabled(bool(self.list.selectedItems())))
        self.refresh()

    def refresh(self) -> None:
        async def load() -> None:
            sign_in = self.service.databases_sign_in
            self.show_entries(await sign_in.keyring_state(), await sign_in.stored())

        self.tasks.spawn(load(), what="database passwords", on_error=lambda e: self.boxes.error("Passwords", e))

    def show_entries(self, state: KeyringState, entries: list[StoredPassword]) -> None:
        users: dict[DatabaseAccount, list[str]] = {}
        for profile in self.service.profiles.tunnels:
            if profile.is_database and profile.db_user:
                users.setdefault(DatabaseAccount.of(profile), []).append(profile.name)
        self.status.setText(state.user_text() + ("" if entries or not state.usable else " None stored yet."))
        self.list.clear()
        for entry in entries:
            when = datetime.datetime.fromtimestamp(entry.stored_at).strftime("%Y-%m-%d %H:%M")
            used = ", ".join(users.get(entry.account, [])) or "no tunnel now"
            item = QListWidgetItem(f"{entry.account.label} — used by {used} — stored {when}")
            item.setData(Qt.ItemDataRole.UserRole, entry)
            self.list.addItem(item)
        self.forget_button.setEnabled(False)

    def forget_selected(self) -> None:
        entries = [item.data(Qt.ItemDataRole.UserRole) for item in self.list.selectedItems()]

        async def forget() -> None:
            for entry in entries:
                await self.service.databases_sign_in.forget(entry.account)
            self.refresh()

        self.tasks.spawn(forget(), what="forget passwords", on_error=lambda e: self.boxes.error("Passwords", e))


class DatabaseWindows:
    def __init__(self, service: AppService, tasks: Tasks, boxes: Boxes,
                 clipboard: SecretClipboard | None = None) -> None:
        self.service, self.tasks, self.boxes = service, tasks, boxes
        self.clipboard = clipboard or SecretClipboard()
        self.password_dialog: PasswordDialog | None = None
        self.passwords_window: PasswordsWindow | None = None

    async def ask_password(self, request: PasswordRequest) -> PasswordAnswer | None:
        dialog = self.password_dialog = PasswordDialog(request)
        try:
            if await ask(dialog) != QDialog.DialogCode.Accepted.value:
                return None
            return dialog.answer()
        finally:
            self.password_dialog = None
            dialog.deleteLater()

    def _report(self, title: str) -> Callable[[VouchDesktopError], None]:
        def shown(error: VouchDesktopError) -> None:
            if not isinstance(error, SignInCancelled):
                self.boxes.error(title, error)

        return shown

    def open_client(self, profile: TunnelProfile, tool_id: str) -> None:
        async def run() -> None:
            await self.service.open_database_client(profile, tool_id, self.ask_password)

        self.tasks.spawn(run(), what=f"open {tool_id} for {profile.name}",
                         on_error=self._report(f"Open {profile.name} in {tool_id}"))

    def copy_password(self, profile: TunnelProfile) -> None:
        async def run() -> None:
            secret = await self.service.database_password(profile, self.ask_password)
            if secret:
                self.clipboard.copy(secret)

        self.tasks.spawn(run(), what=f"copy the password of {profile.name}",
                         on_error=self._report(f"Copy the password of {profile.name}"))

    @staticmethod
    def copy_text(text: str) -> None:
        QGuiApplication.clipboard().setText(text)

    def show_passwords(self) -> None:
        if self.passwords_window is None or not self.passwords_window.isVisible():
            self.passwords_window = PasswordsWindow(self.service, self.tasks, self.boxes)
        self.boxes.keeper.show(self.passwords_window)

    def close_all(self) -> None:
        self.clipboard.clear_if_ours()
        for window in (self.password_dialog, self.passwords_window):
            if window is not None:
                window.close()
