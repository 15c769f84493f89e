"""Settings: every field validated on save, messages beside the field.

One model for every window that edits something: changes take effect when you press Save (at once,
without a restart), and Cancel, Esc or Ctrl+W leaves everything as it was. "Test terminal" tries the
terminal as chosen, before it is saved."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from vouch_desktop.core.connect.terminals import CUSTOM, TerminalSpec
from vouch_desktop.core.connect.terminals import warnings as template_warnings
from vouch_desktop.core.storage.settings import LOG_LEVELS, Settings
from vouch_desktop.core.tunnels.backends import TunnelBackend
from vouch_desktop.ui.windows.forms import FieldErrors, FormScroll
from vouch_desktop.ui.windows.labels import WrappingLabel

SAVE_NOTE = "Changes take effect when you press Save, without a restart; Cancel leaves everything as it was."


class SettingsWindow(QDialog):
    def __init__(self, settings: Settings, *, profiles: list[str], terminals: list[TerminalSpec],
                 save: Callable[[Settings], None], test_terminal: Callable[[Settings], None],
                 installed: Collection[str] | None = None, automatic: str = "",
                 show_passwords: Callable[[], None] | None = None, parent: QWidget | None = None) -> None:
        """``installed``: ids of the terminals found here (None: all of them); ``automatic``: the name of
        the one "Automatic" picks, with why; ``show_passwords``: opens Settings → Passwords."""
        super().__init__(parent)
        self.setWindowTitle("Settings — Vouch Desktop")
        self.setObjectName("settings")
        self._original, self._save, self._test = settings, save, test_terminal
        form = QFormLayout()
        self.fields = FieldErrors(form)
        self.errors = self.fields.labels
        row = self.fields.add_row

        self.aws_profile = QComboBox()
        self.aws_profile.setEditable(True)
        self.aws_profile.addItems(sorted(set(profiles) | {settings.aws_profile}))
        self.aws_profile.setCurrentText(settings.aws_profile)
        row("aws_profile", "AWS profile", self.aws_profile, "From your AWS config (vouch setup aws creates 'vouch')")
        self.regions = QLineEdit(", ".join(settings.regions))
        row("regions", "Regions", self.regions, "Comma-separated, e.g. eu-west-1, us-east-1")
        self.terminal = QComboBox()
        self.terminal.addItem(f"Automatic ({automatic})" if automatic else "Automatic (none found)", "")
        found = [s for s in terminals if installed is None or s.id in installed]
        for spec in found:
            self.terminal.addItem(spec.name, spec.id)
        self.terminal.addItem("Custom command line…", CUSTOM)
        missing = [s for s in terminals if s not in found]
        if missing:
            self.terminal.insertSeparator(self.terminal.count())
        for spec in missing:  # shown, so that people see what is supported, but not choosable
            self.terminal.addItem(f"{spec.name} (not installed)", spec.id)
            item = self.terminal.model().item(self.terminal.count() - 1)  # type: ignore[attr-defined]
            item.setEnabled(False)
        self.terminal.setCurrentIndex(max(0, self.terminal.findData(settings.terminal)))
        test = QPushButton("Test terminal")
        test.clicked.connect(lambda: self._test(self.collect()))
        terminal_row = QWidget()
        line = QHBoxLayout(terminal_row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.terminal, 1)
        line.addWidget(test)
        row("terminal", "Terminal", terminal_row)
        self.template = QLineEdit(settings.terminal_template)
        self.template.setPlaceholderText("myterm --title {title} -e {command}")
        row("terminal_template", "Custom command line", self.template,
            "Placeholders: {command} {title} {target} {region} {profile}. Alone, each is one argument "
            "({command}: its own arguments); inside a larger argument, it is shell-quoted.")
        self.template_warning = WrappingLabel()
        self.template.textChanged.connect(self._show_template_warnings)
        form.addRow("", self.template_warning)
        self._show_template_warnings(settings.terminal_template)
        self.keep_open = QCheckBox("Keep the window open when the session ends with an error")
        self.keep_open.setChecked(settings.keep_open_on_error)
        row("keep_open_on_error", "", self.keep_open)
        self.notify = QCheckBox("Notify before and at expiry")
        self.notify.setToolTip("These notices carry a “Log in again” button. The Vouch agent, when it runs, sends "
                               "its own too (30 and 5 minutes before, and at expiry, without a button); those "
                               "cannot be turned off here.")
        self.notify.setChecked(settings.notify_enabled)
        row("notify_enabled", "", self.notify)
        self.lead = QSpinBox()
        self.lead.setRange(0, 1000)
        self.lead.setSuffix(" min")
        self.lead.setValue(settings.notify_lead_minutes)
        row("notify_lead_minutes", "Warn before expiry", self.lead)
        self.vouch_path = QLineEdit(settings.vouch_path)
        self.vouch_path.setPlaceholderText("found on PATH")
        row("vouch_path", "vouch executable", self.vouch_path)
        self.plugin_path = QLineEdit(settings.plugin_path)
        self.plugin_path.setPlaceholderText("found on PATH")
        row("plugin_path", "session-manager-plugin", self.plugin_path)
        self.tunnel_backend = QComboBox()
        for backend in TunnelBackend:
            self.tunnel_backend.addItem(backend.choice_label, backend.value)
        self.tunnel_backend.setCurrentIndex(max(0, self.tunnel_backend.findData(settings.tunnel_backend)))
        row("tunnel_backend", "Tunnels use", self.tunnel_backend, "Applies when a tunnel next starts.")
        self.allow_without_key = QCheckBox("Allow login when no key is detected (some keys are not visible)")
        self.allow_without_key.setChecked(settings.allow_login_without_key)
        row("allow_login_without_key", "", self.allow_without_key)
        self.confirm_quit = QCheckBox("Ask before quitting while tunnels are up")
        self.confirm_quit.setChecked(settings.confirm_quit_with_tunnels)
        row("confirm_quit_with_tunnels", "", self.confirm_quit)
        self.start_at_login = QCheckBox("Start Vouch Desktop when I log in")
        self.start_at_login.setChecked(settings.start_at_login)
        row("start_at_login", "", self.start_at_login)
        self.log_level = QComboBox()
        self.log_level.addItems(list(LOG_LEVELS))
        self.log_level.setCurrentText(settings.log_level)
        row("log_level", "Log level", self.log_level)
        if show_passwords is not None:
            self.passwords = QPushButton("Passwords…")
            self.passwords.setToolTip("The database passwords kept in your keyring: list and forget them.")
            self.passwords.clicked.connect(show_passwords)
            form.addRow("Database passwords", self.passwords)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.try_save)
        buttons.rejected.connect(self.reject)
        self.when_applied = WrappingLabel(SAVE_NOTE)
        self.when_applied.setEnabled(False)  # a quiet hint
        layout = QVBoxLayout(self)
        layout.addWidget(FormScroll(form, min_width=500), 1)
        layout.addWidget(self.when_applied)
        layout.addWidget(self.fields.general)
        layout.addWidget(buttons)

    def collect(self) -> Settings:
        return replace(self._original, aws_profile=self.aws_profile.currentText().strip(),
                       regions=[r.strip() for r in self.regions.text().split(",") if r.strip()],
                       terminal=self.terminal.currentData(), terminal_template=self.template.text().strip(),
                       keep_open_on_error=self.keep_open.isChecked(),
                       notify_enabled=self.notify.isChecked(), notify_lead_minutes=self.lead.value(),
                       vouch_path=self.vouch_path.text().strip(), plugin_path=self.plugin_path.text().strip(),
                       tunnel_backend=TunnelBackend(self.tunnel_backend.currentData()),
                       allow_login_without_key=self.allow_without_key.isChecked(),
                       start_at_login=self.start_at_login.isChecked(), log_level=self.log_level.currentText(),
                       confirm_quit_with_tunnels=self.confirm_quit.isChecked())

    def _show_template_warnings(self, text: str) -> None:
        found = template_warnings(text.strip()) if text.strip() else []
        self.template_warning.setText("\n".join(f"⚠ {w}" for w in found))
        self.template_warning.setVisible(bool(found))

    def try_save(self) -> None:
        if self.fields.saved(lambda: self._save(self.collect())):
            self.accept()
