"""The Tunnels submenu: its title counts what is up ("Tunnels (2 up)"); each saved tunnel is a switch
with a status icon and a short state (a failed one's full reason and advice are in its tooltip and
in Details…); Stop all, groups, connection strings (copied with feedback), new and edit.

The same items in every state: a tunnel that is not up has its connection string disabled rather
than missing, "Stop all" is disabled while nothing runs."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from vouch_desktop.core.app.tunnel_view import count_text, look_of, short_state, tooltip
from vouch_desktop.core.storage.profiles import TunnelProfile
from vouch_desktop.core.tunnels.state import TunnelState, TunnelStatus, connection_string
from vouch_desktop.ui.menu import MenuContext
from vouch_desktop.ui.status_icons import status_icon
from vouch_desktop.ui.tray import escape


def toggle_tunnel(ui: MenuContext, profile: TunnelProfile, on: bool) -> None:
    ui.tasks.spawn(ui.service.set_tunnel(profile, on), what=f"tunnel {profile.name}")


def toggle_group(ui: MenuContext, members: list[TunnelProfile], on: bool) -> None:
    for profile in members:
        toggle_tunnel(ui, profile, on)


def copy_key(profile: TunnelProfile) -> str:
    return f"tunnel:{profile.name}"


def tunnel_item(menu: QMenu, ui: MenuContext, profile: TunnelProfile, status: TunnelStatus) -> QAction:
    action = QAction(status_icon(look_of(status), ui.dark),
                     escape(f"{profile.name} — {short_state(status, profile.local_port)}"), menu)
    action.setCheckable(True)
    action.setChecked(status.active)
    action.setToolTip(tooltip(status) or ("Click to stop it." if status.active else "Click to start it."))
    action.toggled.connect(lambda on, p=profile: toggle_tunnel(ui, p, on))
    menu.addAction(action)
    return action


def copy_menu(tunnels: QMenu, ui: MenuContext, statuses: list[tuple[TunnelProfile, TunnelStatus]]) -> QMenu:
    copy = tunnels.addMenu("C&opy connection string")
    for profile, status in statuses:
        if status.state is not TunnelState.UP:
            copy.addAction(escape(f"{profile.name} (not up)")).setEnabled(False)
            continue
        text = connection_string(status, profile.remote_port)
        shown = "copied ✓" if ui.clipboard.recently_copied(copy_key(profile)) else text
        copy.addAction(escape(f"{profile.name} — {shown}")).triggered.connect(
            lambda _=False, p=profile, t=text: ui.clipboard.copy(copy_key(p), t, f"{p.name}'s connection string"))
    copy.setEnabled(any(status.state is TunnelState.UP for _, status in statuses))
    return copy


def tunnels_section(menu: QMenu, ui: MenuContext) -> None:
    service = ui.service
    statuses = [(profile, service.tunnel_status(profile)) for profile in service.profiles.tunnels]
    count = count_text(status for _, status in statuses)
    tunnels = menu.addMenu("&Tunnels" + (f" ({count})" if count else ""))
    tunnels.setToolTipsVisible(True)
    for profile, status in statuses:
        tunnel_item(tunnels, ui, profile, status)
    if not statuses:
        tunnels.addAction("No saved tunnels yet").setEnabled(False)
    tunnels.addSeparator()
    active = [profile for profile, status in statuses if status.active]
    stop_all = tunnels.addAction("&Stop all")
    stop_all.triggered.connect(lambda: ui.tasks.spawn(service.stop_all_tunnels(), what="stop all tunnels"))
    if not active:
        stop_all.setEnabled(False)
        stop_all.setText("&Stop all (none running)")
    for group in service.profiles.groups():
        members = [p for p, _ in statuses if p.group == group]
        running = sum(1 for p in members if p in active)
        all_on = running == len(members)
        item = tunnels.addAction(escape(f"Group “{group}” — {running} of {len(members)} on"))
        item.setCheckable(True)
        item.setChecked(all_on)
        item.setToolTip("Click to stop them all." if all_on else "Click to start them all.")
        item.triggered.connect(lambda _=False, m=members, on=not all_on: toggle_group(ui, m, on))
    copy_menu(tunnels, ui, statuses)
    from vouch_desktop.ui.menu.databases import database_menu  # with the menu's first opening, not at start-up

    database_menu(tunnels, ui)  # "Databases ▸": open in psql/mysql, copy URL/password (ui/menu/databases.py)
    failed = next((p.name for p, s in statuses if s.state is TunnelState.FAILED), "")
    details = tunnels.addAction("&Details…")
    details.setToolTip("Each tunnel's state, address, carrier, and why one failed, with advice.")
    details.triggered.connect(lambda: ui.windows.tunnels.show_details(failed))
    tunnels.addSeparator()
    edit_tunnel = ui.windows.profiles.edit_tunnel
    tunnels.addAction("&New tunnel…").triggered.connect(lambda: edit_tunnel(None))
    edit = tunnels.addMenu("&Edit tunnel")
    for profile, _ in statuses:
        edit.addAction(escape(profile.name)).triggered.connect(lambda _=False, p=profile: edit_tunnel(p))
    edit.setEnabled(bool(statuses))
