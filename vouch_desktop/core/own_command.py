"""How this app starts itself: for a terminal's SSM session, start at login, the demo's fake tools."""

from __future__ import annotations

import os
import sys
from pathlib import Path

WINDOWS_CONSOLE_EXE = "vouch-desktop-cli.exe"  # build.spec: the Windows build's console twin


def own_command(console: bool = True) -> list[str]:
    """The argv prefix that runs this app's command line: this Python with ``-m vouch_desktop``, or
    the frozen executable. On Windows the windowed executable has no standard streams, so whatever
    needs them (a terminal, a pipe) gets the console one."""
    if not getattr(sys, "frozen", False):
        return [sys.executable, "-m", "vouch_desktop"]
    if console and os.name == "nt":
        return [str(Path(sys.executable).with_name(WINDOWS_CONSOLE_EXE))]
    return [sys.executable]
