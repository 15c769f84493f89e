"""The "Set up AWS access" dialog: the IAM role (and region, and the profile name, default ``vouch``),
checked as you type them in, then ``vouch setup aws --role … [--region …] --profile …`` (core/vouch/aws_setup.py).

Shown with ``show()``, never a nested event loop; the command runs as a task, its result or error shown
in the dialog where the user acted. Closing the dialog while vouch runs stops waiting for it (vouch
itself finishes within its own time-out; it only writes one file).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from vouch_desktop.core.errors import ValidationErrors, VouchDesktopError
from vouch_desktop.core.vouch.aws_setup import DEFAULT_PROFILE, AwsSetupRequest, AwsSetupResult, set_up_aws
from vouch_desktop.core.vouch.client import VouchClient
from vouch_desktop.ui.windows.forms import FieldErrors
from vouch_desktop.ui.windows.labels import ERROR_STYLE, WrappingLabel

log = logging.getLogger(__name__)


class AwsSetupDialog(QDialog):
    def __init__(self, vouch: VouchClient, *, default_profile: str = DEFAULT_PROFILE, regions: list[str] | None = None,
                 on_done: Callable[[AwsSetupResult], None] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set up AWS access — Vouch Desktop")
        self.setObjectName("aws-setup")
        self.setMinimumWidth(480)
        self._vouch = vouch
        self._on_done = on_done
        self._task: asyncio.Task | None = None
        intro = QLabel("Vouch writes an AWS profile whose credentials come from your Vouch login "
                       "(credential_process = vouch credential aws --role …). Your Vouch administrator can tell "
                       "you the role.")
        intro.setWordWrap(True)
        form = QFormLayout()
        self.fields = FieldErrors(form)
        self.role_edit = QLineEdit()
        self.role_edit.setPlaceholderText("arn:aws:iam::123456789012:role/Developer")
        self.fields.add_row("role_arn", "IAM role ARN", self.role_edit)
        self.region_box = QComboBox()
        self.region_box.setEditable(True)
        self.region_box.addItems(["", *(regions or [])])
        self.region_edit = self.region_box.lineEdit()
        assert self.region_edit is not None  # an editable combo box has one
        self.region_edit.setPlaceholderText("optional, e.g. eu-west-1")
        self.fields.add_row("region", "Region", self.region_box, "Written into the profile only when given.")
        self.profile_edit = QLineEdit(default_profile or DEFAULT_PROFILE)
        self.fields.add_row("profile", "Profile name", self.profile_edit)
        self.status_label = WrappingLabel(selectable=True)  # gets the height its text needs
        self.status_label.hide()
        buttons = QDialogButtonBox()
        self.setup_button = buttons.addButton("Set up", QDialogButtonBox.ButtonRole.AcceptRole)
        self.setup_button.setDefault(True)
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.status_label)
        layout.addWidget(buttons)
        for edit in (self.role_edit, self.profile_edit, self.region_edit):
            edit.textEdited.connect(lambda _text: self.check())

    def request(self) -> AwsSetupRequest:
        return AwsSetupRequest(self.role_edit.text(), self.region_box.currentText(), self.profile_edit.text()).cleaned()

    def check(self) -> bool:
        """Shows what is wrong beside each field; True when the request can go to vouch."""
        self.fields.clear()
        errors = self.request().validate()
        self.fields.show({e.field: e.message for e in errors})
        return not errors

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def submit(self) -> None:
        if self.busy or not self.check():
            return
        self.setup_button.setEnabled(False)
        self._say("Running vouch setup aws…")
        self._task = asyncio.ensure_future(self._run(self.request()))

    async def _run(self, request: AwsSetupRequest) -> None:
        try:
            result = await set_up_aws(self._vouch, request)
        except asyncio.CancelledError:
            return
        except ValidationErrors as exc:
            self.fields.show(exc.by_field())
            self._say("")
        except VouchDesktopError as exc:
            log.info("vouch setup aws failed: %s", exc.message)
            self._say(exc.user_text(), error=True)
        else:
            done = "already used" if result.already else "now uses"
            where = f", region {result.region}" if result.region else ""
            self._say(f"AWS profile '{result.profile}' {done} {result.role_arn}{where}. "
                      f"Choose it in Settings if it is not your AWS profile there yet.")
            if self._on_done is not None:
                self._on_done(result)
        finally:
            self.setup_button.setEnabled(True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status_label.setStyleSheet(ERROR_STYLE if error else "")
        self.status_label.setText(text)
        self.status_label.setVisible(bool(text))

    def reject(self) -> None:
        if self.busy and self._task is not None:
            self._task.cancel()
        super().reject()
