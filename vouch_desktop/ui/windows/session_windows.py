"""The Vouch session's windows: log in, log out, "Check AWS access"."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from vouch_desktop.core.app.service import AppService
from vouch_desktop.core.app.tasks import Tasks
from vouch_desktop.core.aws.errors import ProfileMissing
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.vouch.login import VouchLogin
from vouch_desktop.ui.windows.ask import Boxes, message_box
from vouch_desktop.ui.windows.login_dialog import LoginDialog

NO_KEY = ("No YubiKey was found. Plug in your key, then log in.\n"
          "(If your key is not detected, allow login without a detected key in Settings.)")


class SessionWindows:
    def __init__(self, service: AppService, tasks: Tasks, boxes: Boxes) -> None:
        self.service, self.tasks, self.boxes = service, tasks, boxes
        self.login_dialog: LoginDialog | None = None

    def show_login(self) -> None:
        if self.service.login_blocked_reason():
            self.boxes.inform("Log in to Vouch", NO_KEY)
            return
        if self.login_dialog is not None and self.login_dialog.isVisible():
            self.login_dialog.raise_()
            self.login_dialog.activateWindow()
            return
        try:
            executable = self.service.vouch.executable
        except VouchDesktopError as exc:
            self.boxes.error("Log in to Vouch", exc)
            return
        self.login_dialog = LoginDialog(lambda: self.service.recording(VouchLogin(executable)),
                                        email_hint=self.service.monitor.snapshot.email)
        self.login_dialog.finished_login.connect(self.service.after_login)
        self.boxes.keeper.show(self.login_dialog)

    def log_out(self) -> None:
        self.tasks.spawn(self.service.log_out(), what="log out", on_error=lambda e: self.boxes.error("Log out", e))

    def check_aws_access(self) -> None:
        self.tasks.spawn(self._check_aws_access(), what="AWS check")

    async def _check_aws_access(self) -> None:
        try:
            identity = await self.service.check_aws_access()
        except VouchDesktopError as exc:
            box = message_box(QMessageBox.Icon.Warning, "AWS access", exc.message, exc.advice)
            if isinstance(exc, ProfileMissing):
                setup = box.addButton("Run vouch setup aws", QMessageBox.ButtonRole.AcceptRole)
                setup.clicked.connect(lambda: self.tasks.spawn(
                    self.service.vouch.setup_aws(), what="vouch setup aws",
                    on_error=lambda e: self.boxes.error("vouch setup aws", e)))
            box.addButton(QMessageBox.StandardButton.Close)
            self.boxes.show(box)
            return
        self.boxes.inform("AWS access", f"AWS access works.\nRole: {identity.role}\nAccount: {identity.account}\n"
                                        f"{identity.arn}")
