"""The SSH section: "Set up SSH over SSM…" while ~/.ssh/config does not route instances through SSM.
It reads someone else's file, so it is a section of its own: when that file cannot be read, only
this line turns into an error line."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu

from vouch_desktop.ui.menu import MenuContext


def ssh_section(menu: QMenu, ui: MenuContext) -> None:
    if not ui.service.ssh_routed():
        menu.addAction("Set up SSH over SSM…").triggered.connect(ui.windows.instances.offer_ssh_setup)
