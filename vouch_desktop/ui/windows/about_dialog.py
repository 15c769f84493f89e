"""Version, where the files live, links, and a way to the diagnostics."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from vouch_desktop import __version__
from vouch_desktop.core.system.paths import AppPaths


class AboutDialog(QDialog):
    def __init__(self, paths: AppPaths, open_diagnostics: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About — Vouch Desktop")
        self.setObjectName("about")
        text = QLabel(
            f"<h3>Vouch Desktop {__version__}</h3>"
            "<p>YubiKey login state, SSM shells and RDS tunnels from the system tray, for the "
            "<a href='https://github.com/vouch-sh/vouch'>vouch</a> CLI and "
            "<a href='https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager.html'>"
            "AWS Systems Manager Session Manager</a>.</p>"
            f"<p><b>Settings and profiles:</b> {paths.config_dir}<br><b>History:</b> {paths.history_file}<br>"
            f"<b>Log:</b> {paths.log_file}</p>"
            "<p>Command line: <code>vouch-desktop --help</code></p>")
        text.setOpenExternalLinks(True)
        text.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        diagnostics = buttons.addButton("Open diagnostics", QDialogButtonBox.ButtonRole.ActionRole)
        diagnostics.clicked.connect(open_diagnostics)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(buttons)
