"""macOS: a LaunchAgent plist that runs the app at login (the app is menu-bar only: LSUIElement)."""

from __future__ import annotations

import plistlib
from pathlib import Path

from vouch_desktop.core.storage.atomic import atomic_write_bytes

LABEL = "sh.vouch.desktop"


class LaunchAgent:
    def __init__(self, home: Path | None = None) -> None:
        self.path = (home or Path.home()) / "Library" / "LaunchAgents" / f"{LABEL}.plist"

    def is_enabled(self) -> bool:
        return self.path.exists()

    def plist(self, command: list[str]) -> bytes:
        return plistlib.dumps({"Label": LABEL, "ProgramArguments": list(command), "RunAtLoad": True,
                               "ProcessType": "Interactive", "LimitLoadToSessionType": "Aqua"})

    def enable(self, command: list[str]) -> None:
        atomic_write_bytes(self.path, self.plist(command), mode=0o644)

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)

    def describe(self) -> str:
        return str(self.path)
