"""How this app starts itself: for a terminal's SSM session, start at login, the demo's fake tools."""

from __future__ import annotations

import sys
from pathlib import Path

# build.spec: on Windows the frozen app has a windowed executable (the tray app) and a console twin
WINDOWS_EXES = {False: "vouch-desktop.exe", True: "vouch-desktop-cli.exe"}


def own_command(console: bool = True) -> list[str]:
    """The argv prefix that runs this app's command line: this Python with ``-m vouch_desktop``, or
    the frozen executable. On Windows the windowed executable has no standard streams, so whatever
    needs them (a terminal, a pipe) gets the console one, and the rest (start at login) the windowed one."""
    if not getattr(sys, "frozen", False):
        return [sys.executable, "-m", "vouch_desktop"]
    if sys.platform == "win32":
        return [str(Path(sys.executable).with_name(WINDOWS_EXES[console]))]
    return [sys.executable]
