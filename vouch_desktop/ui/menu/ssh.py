"""The SSH section: "Set up SSH over SSM…", disabled once ~/.ssh/config routes instances through SSM.
It reads someone else's file, so it is a section of its own: when that file cannot be read, only
this line turns into an error line."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu

from vouch_desktop.ui.menu import MenuContext


def ssh_section(menu: QMenu, ui: MenuContext) -> None:
    setup = menu.addAction("Set up &SSH over SSM…")
    setup.triggered.connect(ui.windows.instances.offer_ssh_setup)
    if ui.service.ssh_routed():
        setup.setEnabled(False)
        setup.setText("Set up &SSH over SSM… (done)")
        setup.setToolTip(f"{ui.service.ssh_config.path} already sends ssh to i-* and mi-* through Systems Manager.")
