"""Start at login, per OS behind one small interface, chosen in one place."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Protocol

from vouch_desktop.core.system.own_command import own_command


class Autostart(Protocol):
    def is_enabled(self) -> bool: ...
    def enable(self, command: list[str]) -> None: ...
    def disable(self) -> None: ...
    def describe(self) -> str: ...


def autostart_for(platform: str = sys.platform, home: Path | None = None) -> Autostart:
    if platform == "darwin":
        from vouch_desktop.core.system.autostart.macos import LaunchAgent

        return LaunchAgent(home)
    if platform == "win32":
        from vouch_desktop.core.system.autostart.windows import RunKey

        return RunKey()
    from vouch_desktop.core.system.autostart.linux import XdgAutostart

    return XdgAutostart()


def launch_command() -> list[str]:
    """How to start this app hidden in the tray at login."""
    return [*own_command(console=False), "--autostart"]
