"""Terminal.app and iTerm2, driven through osascript: the AppleScript is a constant, and the values (the
shell line to run, the window's title) are passed to its ``on run argv`` handler as arguments, never
spliced into its source. osascript hands every argument after the script to ``argv`` as it is
(osascript(1): "Any arguments following the script will be passed as a list of strings to the direct
parameter of the run handler"); options are read only before the first of them, which therefore never
starts with "-" (the shell line starts with a quoted program name).
"""

from __future__ import annotations

import shlex

from vouch_desktop.core.connect.terminals.spec import TerminalSpec

TERMINAL_APP_SCRIPT = """on run argv
  set theCommand to item 1 of argv
  set theTitle to item 2 of argv
  tell application "Terminal"
    activate
    set newTab to do script theCommand
    set custom title of newTab to theTitle
  end tell
end run"""

ITERM_SCRIPT = """on run argv
  set theCommand to item 1 of argv
  set theTitle to item 2 of argv
  tell application "iTerm"
    activate
    set newWindow to (create window with default profile command theCommand)
    tell current session of newWindow to set name to theTitle
  end tell
end run"""


def shell_line(command: list[str]) -> str:
    """The command as one line for the user's shell (Terminal's ``do script``): every word quoted as
    ``shlex`` does, and the first always in single quotes, so the line never starts with "-"."""
    first = "'" + command[0].replace("'", "'\"'\"'") + "'"
    return " ".join([first, *(shlex.quote(word) for word in command[1:])])


def osascript(script: str, command: list[str], title: str) -> list[str]:
    """osascript with the script one ``-e`` per line (as its manual describes), then the values."""
    lines = [part for line in script.splitlines() for part in ("-e", line)]
    return ["osascript", *lines, shell_line(command), title]


def _terminal_app(command: list[str], title: str) -> list[str]:
    return osascript(TERMINAL_APP_SCRIPT, command, title)


def _iterm(command: list[str], title: str) -> list[str]:
    return osascript(ITERM_SCRIPT, command, title)


TERMINALS: list[TerminalSpec] = [
    TerminalSpec("terminal-app", "Terminal", "/System/Applications/Utilities/Terminal.app", _terminal_app),
    TerminalSpec("iterm2", "iTerm2", "/Applications/iTerm.app", _iterm),
]
