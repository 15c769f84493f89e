"""Windows Terminal and the classic console."""

from __future__ import annotations

import subprocess

from vouch_desktop.core.connect.terminals.spec import TerminalSpec, argv_terminal


def _cmd_console(command: list[str], title: str) -> list[str]:
    # `start` takes the window title as its first quoted argument; cmd /k keeps the window open
    return ["cmd.exe", "/c", "start", title.replace('"', "'"), "cmd", "/k", subprocess.list2cmdline(command)]


TERMINALS: list[TerminalSpec] = [
    argv_terminal("windows-terminal", "Windows Terminal", "wt.exe", ["--"],
                  ["-w", "0", "new-tab", "--title", "{title}"]),
    TerminalSpec("cmd", "Command Prompt", "cmd.exe", _cmd_console),
]
