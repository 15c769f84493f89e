"""The Tunnels menu's "Databases" submenu: for each tunnel that leads to a database, open it in psql/mysql
(and pgcli/mycli when installed) — the tunnel comes up first when it is off — copy its connection URL (no
password) and copy its password (cleared from the clipboard after 30 s).

Kept apart from ui/menu/tunnels.py, which adds it with one call (``database_menu``)."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu

from vouch_desktop.core.databases.clients import clients_for
from vouch_desktop.core.databases.engines import SignIn
from vouch_desktop.core.storage.profiles import TunnelProfile
from vouch_desktop.ui.menu import MenuContext
from vouch_desktop.ui.tray import escape


def database_menu(tunnels: QMenu, ui: MenuContext) -> QMenu | None:
    """Adds "Databases ▸" to ``tunnels`` when any tunnel leads to a database."""
    profiles = [p for p in ui.service.profiles.tunnels if p.is_database]
    if not profiles:
        return None
    menu = tunnels.addMenu("Data&bases")
    menu.setToolTipsVisible(True)
    for profile in profiles:
        database_items(menu.addMenu(escape(profile.name)), ui, profile)
    return menu


def database_items(menu: QMenu, ui: MenuContext, profile: TunnelProfile) -> None:
    flows = ui.windows.databases
    iam = profile.sign_in is SignIn.IAM
    for index, tool in enumerate(clients_for(profile.engine, iam=iam)):
        if index and tool.find() is None:
            continue  # pgcli and mycli only when installed; psql/mysql always (opening it says what is missing)
        action = menu.addAction(f"Open in {tool.name}")
        action.setToolTip("Starts the tunnel first when it is off.")
        action.triggered.connect(lambda _=False, t=tool.id: flows.open_client(profile, t))
    menu.addSeparator()
    url = ui.service.database_url(profile)
    copy_url = menu.addAction("Copy connection URL")
    copy_url.setToolTip(url or "")
    if url is None:
        copy_url.setEnabled(False)
        copy_url.setText("Copy connection URL (start the tunnel first)")
    else:
        copy_url.triggered.connect(lambda _=False, u=url: flows.copy_text(u))
    if profile.sign_in is SignIn.PROMPT:
        copy = menu.addAction("Copy password (the client asks for it)")
        copy.setEnabled(False)
    else:
        copy = menu.addAction("Copy IAM token (valid 15 min)" if iam else "Copy password")
        copy.setToolTip("Cleared from the clipboard after 30 seconds if it is still there.")
        copy.triggered.connect(lambda: flows.copy_password(profile))
