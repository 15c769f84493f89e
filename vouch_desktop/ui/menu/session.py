"""The session section: the key line, log in / log out, "Check AWS access", "Set up AWS access…"."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu

from vouch_desktop.core.vouch.session_state import SessionState
from vouch_desktop.ui.menu import MenuContext


def session_section(menu: QMenu, ui: MenuContext) -> None:
    service, windows = ui.service, ui.windows.session
    key = menu.addAction(service.key.menu_text)
    key.setEnabled(False)
    if service.key.detail:
        key.setToolTip(service.key.detail)
    snapshot = service.monitor.snapshot
    login = menu.addAction("Log in again…" if snapshot.state in (SessionState.EXPIRED, SessionState.EXPIRING)
                           else "Log in…")
    login.triggered.connect(windows.show_login)
    reason = service.login_blocked_reason()
    if reason:
        login.setEnabled(False)
        login.setText(f"Log in… ({reason})")
    if snapshot.logged_in:
        menu.addAction("Log out").triggered.connect(windows.log_out)
    menu.addAction("Check AWS access").triggered.connect(windows.check_aws_access)
    menu.addAction("Set up AWS access…").triggered.connect(windows.show_aws_setup)
