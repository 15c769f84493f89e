"""The Instances submenu: saved instance profiles, recent connections, the instance browser."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu

from vouch_desktop.core.storage.profiles import InstanceProfile
from vouch_desktop.ui.menu import MenuContext
from vouch_desktop.ui.tray import escape


def connect_section(menu: QMenu, ui: MenuContext) -> None:
    service, windows = ui.service, ui.windows.instances
    connect = menu.addMenu("&Instances")
    connect.setToolTipsVisible(True)
    for profile in service.profiles.instances:
        connect.addAction(escape(f"{profile.name}  ({profile.target}, {profile.region})")).triggered.connect(
            lambda _=False, p=profile: windows.connect_profile(p))
    recent = [e for e in service.history.recent_connections(5)
              if all(e.target != p.target for p in service.profiles.instances)]
    connect.addSeparator()
    connect.addAction("Recent" if recent else "Recent (none yet)").setEnabled(False)
    for entry in recent:
        profile = InstanceProfile(entry.profile or entry.target, entry.target, entry.region)
        connect.addAction(escape(f"{entry.profile or entry.target} ({entry.region})")).triggered.connect(
            lambda _=False, p=profile: windows.connect_profile(p))
    connect.addSeparator()
    connect.addAction("&Browse instances…").triggered.connect(windows.show_browser)
