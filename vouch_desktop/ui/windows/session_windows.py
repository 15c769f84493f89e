"""The Vouch session's windows: log in (per platform), log out, "Check AWS access", "Set up AWS access"."""

from __future__ import annotations

import sys
from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox

from vouch_desktop.core.app.service import AppService
from vouch_desktop.core.app.tasks import Tasks
from vouch_desktop.core.aws.errors import ProfileMissing
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.vouch.login import login_for_platform, uses_system_prompt
from vouch_desktop.ui.windows.ask import Boxes, message_box
from vouch_desktop.ui.windows.aws_setup_dialog import AwsSetupDialog
from vouch_desktop.ui.windows.login_dialog import LoginDialog

NO_KEY = ("No YubiKey was found. Plug in your key, then log in.\n"
          "(If your key is not detected, allow login without a detected key in Settings.)")


class SessionWindows:
    def __init__(self, service: AppService, tasks: Tasks, boxes: Boxes,
                 login_platform: Callable[[], str] = lambda: sys.platform) -> None:
        self.service, self.tasks, self.boxes = service, tasks, boxes
        self.login_platform = login_platform  # the demo can log in as on Windows
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
        platform = self.login_platform()
        self.login_dialog = LoginDialog(lambda: self.service.recording(login_for_platform(executable, platform)),
                                        email_hint=self.service.monitor.snapshot.email,
                                        system_prompt=uses_system_prompt(platform))
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
                box.addButton("Set up AWS access…", QMessageBox.ButtonRole.AcceptRole).clicked.connect(
                    self.show_aws_setup)
            box.addButton(QMessageBox.StandardButton.Close)
            self.boxes.show(box)
            return
        self.boxes.inform("AWS access", f"AWS access works.\nRole: {identity.role}\nAccount: {identity.account}\n"
                                        f"{identity.arn}")

    def show_aws_setup(self) -> None:
        settings = self.service.settings.current
        dialog = AwsSetupDialog(self.service.vouch, default_profile=settings.aws_profile, regions=settings.regions,
                                on_done=lambda result: self.service.aws.forget())  # new profile, new credentials
        self.boxes.keeper.show(dialog)
