"""Windows Terminal and the classic console, with no user text on a command line that a shell parses.

Both programs parse their own command line: ``cmd.exe`` runs ``& | < > ^ %`` found outside its quotes
(and ``start`` / ``/k`` strip quotes again), and ``wt.exe`` splits its command line at every ``;``, even
inside an argument (microsoft/terminal#13264), into commands of its own. An instance's name (a tag
others choose) or a profile name must reach neither. So the window runs Windows PowerShell with
``-EncodedCommand``: the script travels as base64 (letters, digits, ``+/=``), and inside it each value
(the title, the program, its arguments) is itself base64, decoded by the script, never parsed as code.
The program is started with ``Start-Process``, whose one-string ``-ArgumentList`` is passed on verbatim:
that string is made by ``subprocess.list2cmdline`` (the Microsoft C runtime's quoting rules, what
Python and most programs split it by), so PowerShell's own argument passing never touches the values.
"""

from __future__ import annotations

import base64
import subprocess

from vouch_desktop.core.connect.terminals.spec import TerminalSpec

POWERSHELL = ["powershell.exe", "-NoLogo", "-NoProfile", "-NoExit", "-EncodedCommand"]
CONSOLE_TITLE = "Vouch Desktop"  # `start`'s own title argument: a constant (the script sets the real one)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _decoded(text: str) -> str:
    """A PowerShell expression whose value is ``text``: the only way a value enters the script."""
    return f"([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('{_b64(text)}')))"


def powershell_script(command: list[str], title: str) -> str:
    """Set the window's title, then run ``command`` in this console and wait for it (the window stays:
    -NoExit, as ``cmd /k`` did, so its last words can be read)."""
    start = f"Start-Process -FilePath {_decoded(command[0])} -NoNewWindow -Wait"
    if command[1:]:
        start += f" -ArgumentList {_decoded(subprocess.list2cmdline(command[1:]))}"
    return f"$Host.UI.RawUI.WindowTitle = {_decoded(title)}\n{start}\n"


def powershell_argv(command: list[str], title: str) -> list[str]:
    script = powershell_script(command, title)
    return [*POWERSHELL, base64.b64encode(script.encode("utf-16-le")).decode("ascii")]


def _windows_terminal(command: list[str], title: str) -> list[str]:
    # a new tab in the most recent window; the title is set by the script (the tab follows the console's)
    return ["wt.exe", "-w", "0", "new-tab", "--", *powershell_argv(command, title)]


def _cmd_console(command: list[str], title: str) -> list[str]:
    # `start` opens a console window of its own for PowerShell; cmd sees constants and base64 only
    return ["cmd.exe", "/c", "start", CONSOLE_TITLE, *powershell_argv(command, title)]


TERMINALS: list[TerminalSpec] = [
    TerminalSpec("windows-terminal", "Windows Terminal", "wt.exe", _windows_terminal),
    TerminalSpec("cmd", "Command Prompt", "cmd.exe", _cmd_console),
]
