"""The session section: the key line, log in / log out, "Check AWS access", "Set up AWS access…".
The same items in every state: what does not apply is disabled, with the reason in the item."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu

from vouch_desktop.core.vouch.session_state import SessionState
from vouch_desktop.ui.menu import MenuContext
from vouch_desktop.ui.tray import status_line

LOGIN_NOTE = {SessionState.EXPIRED: "session expired", SessionState.EXPIRING: "session ends soon"}


def session_section(menu: QMenu, ui: MenuContext) -> None:
    service, windows = ui.service, ui.windows.session
    key = status_line(menu, service.key.menu_text)
    if service.key.detail:
        key.setToolTip(service.key.detail)
    snapshot = service.monitor.snapshot
    login = menu.addAction("&Log in…")
    login.triggered.connect(windows.show_login)
    reason = service.login_blocked_reason()
    note = reason or LOGIN_NOTE.get(snapshot.state, "")
    if note:
        login.setText(f"&Log in… ({note})")
    if reason:
        login.setEnabled(False)
        login.setToolTip("Logging in needs the YubiKey: plug it in (or allow login without it in Settings).")
    logout = menu.addAction("Log &out")
    logout.triggered.connect(windows.log_out)
    if not snapshot.logged_in:
        logout.setEnabled(False)
        logout.setText("Log &out (not logged in)")
    menu.addAction("Check &AWS access").triggered.connect(windows.check_aws_access)
    menu.addAction("Set &up AWS access…").triggered.connect(windows.show_aws_setup)
