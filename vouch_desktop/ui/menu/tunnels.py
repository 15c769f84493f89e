"""The Tunnels submenu: each saved tunnel as a switch with its state, groups, connection strings."""

from __future__ import annotations

from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QMenu

from vouch_desktop.core.storage.profiles import TunnelProfile
from vouch_desktop.core.tunnels.manager import TunnelState, connection_string
from vouch_desktop.ui.menu import MenuContext


def toggle_tunnel(ui: MenuContext, profile: TunnelProfile, on: bool) -> None:
    ui.tasks.spawn(ui.service.set_tunnel(profile, on), what=f"tunnel {profile.name}")


def toggle_group(ui: MenuContext, members: list[TunnelProfile], on: bool) -> None:
    for profile in members:
        toggle_tunnel(ui, profile, on)


def tunnels_section(menu: QMenu, ui: MenuContext) -> None:
    service = ui.service
    tunnels = menu.addMenu("Tunnels")
    for profile in service.profiles.tunnels:
        status = service.tunnel_status(profile)
        summary = status.summary if status.state is not TunnelState.STOPPED else (
            f"off · localhost:{profile.local_port}" if profile.local_port else "off")
        action = QAction(f"{profile.name} — {summary}", tunnels)
        action.setCheckable(True)
        action.setChecked(status.active)
        if status.advice:
            action.setToolTip(status.advice)
        action.toggled.connect(lambda on, p=profile: toggle_tunnel(ui, p, on))
        tunnels.addAction(action)
    for group in service.profiles.groups():
        members = [t for t in service.profiles.tunnels if t.group == group]
        all_on = all(service.tunnel_status(t).active for t in members)
        tunnels.addAction(f"{'Stop' if all_on else 'Start'} group “{group}”").triggered.connect(
            lambda _=False, m=members, on=not all_on: toggle_group(ui, m, on))
    up = [(p, service.tunnel_status(p)) for p in service.profiles.tunnels
          if service.tunnel_status(p).state is TunnelState.UP]
    if up:
        copy = tunnels.addMenu("Copy connection string")
        for profile, status in up:
            text = connection_string(status, profile.remote_port)
            copy.addAction(f"{profile.name}: {text}").triggered.connect(
                lambda _=False, t=text: QGuiApplication.clipboard().setText(t))
    tunnels.addSeparator()
    edit_tunnel = ui.windows.profiles.edit_tunnel
    tunnels.addAction("New tunnel…").triggered.connect(lambda: edit_tunnel(None))
    if service.profiles.tunnels:
        edit = tunnels.addMenu("Edit tunnel")
        for profile in service.profiles.tunnels:
            edit.addAction(profile.name).triggered.connect(lambda _=False, p=profile: edit_tunnel(p))
