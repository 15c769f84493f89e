"""Terminal.app and iTerm2, driven through osascript with properly quoted AppleScript strings."""

from __future__ import annotations

import shlex

from vouch_desktop.core.connect.terminals.spec import TerminalSpec


def applescript_string(text: str) -> str:
    """An AppleScript string literal: backslashes and double quotes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _terminal_app(command: list[str], title: str) -> list[str]:
    shell_line = shlex.join(command)
    script = (f'tell application "Terminal"\n  activate\n  set newTab to do script {applescript_string(shell_line)}\n'
              f'  set custom title of newTab to {applescript_string(title)}\nend tell')
    return ["osascript", "-e", script]


def _iterm(command: list[str], title: str) -> list[str]:
    shell_line = shlex.join(command)
    script = (f'tell application "iTerm"\n  activate\n  set newWindow to (create window with default profile '
              f'command {applescript_string(shell_line)})\n  tell current session of newWindow to set name to '
              f'{applescript_string(title)}\nend tell')
    return ["osascript", "-e", script]


TERMINALS: list[TerminalSpec] = [
    TerminalSpec("terminal-app", "Terminal", "/System/Applications/Utilities/Terminal.app", _terminal_app),
    TerminalSpec("iterm2", "iTerm2", "/Applications/iTerm.app", _iterm),
]
