"""The Windows and macOS terminal launchers, checked here (their programs cannot run here): whatever the
title and the command, what a parsing program sees is constant (cmd.exe, wt.exe, osascript's script),
and the values travel as data that decodes back to exactly them (hypothesis)."""

from __future__ import annotations

import base64
import re
import shlex
import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from vouch_desktop.core.connect.terminals import TerminalLauncher, registry
from vouch_desktop.core.connect.terminals.macos import ITERM_SCRIPT, TERMINAL_APP_SCRIPT, shell_line
from vouch_desktop.core.connect.terminals.windows import POWERSHELL

# what shells, cmd.exe, wt.exe, PowerShell and AppleScript make something of, and text of any kind
SPECIAL = list(" \t\n;&|<>^%!\"'`$(){}[]*?~#\\,=@") + ["‘", "’", "‚", "‛", "“", "”", "--", "-e", "%PATH%", "$(id)",
                                                     "new-tab cmd", "é", "日本"]
VALUE = st.one_of(st.text(st.characters(blacklist_characters="\x00"), max_size=30),
                  st.lists(st.sampled_from(SPECIAL + ["a", "b"]), max_size=12).map("".join))
COMMAND = st.lists(VALUE, min_size=1, max_size=6)
BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
DECODED = re.compile(r"\(\[Text\.Encoding\]::UTF8\.GetString\(\[Convert\]::FromBase64String\('([A-Za-z0-9+/=]*)'\)\)\)")


def msvcrt_split(line: str) -> list[str]:
    """Arguments as the Microsoft C runtime splits a command line (after the program name): blanks
    separate, double quotes group, backslashes are literal unless they precede a double quote (2n: n and
    a quote that groups; 2n+1: n and a literal quote), "" inside quotes is a literal quote."""
    args, i, n = [], 0, len(line)
    while True:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            return args
        arg, quoted = [], False
        while i < n:
            char = line[i]
            if char == "\\":
                j = i
                while j < n and line[j] == "\\":
                    j += 1
                slashes = j - i
                if j < n and line[j] == '"':
                    arg.append("\\" * (slashes // 2))
                    if slashes % 2:
                        arg.append('"')
                        j += 1
                else:
                    arg.append("\\" * slashes)
                i = j
            elif char == '"':
                if quoted and i + 1 < n and line[i + 1] == '"':
                    arg.append('"')
                    i += 2
                else:
                    quoted = not quoted
                    i += 1
            elif char in " \t" and not quoted:
                break
            else:
                arg.append(char)
                i += 1
        args.append("".join(arg))


def windows_script(argv: list[str]) -> tuple[str, list[str]]:
    """The PowerShell script a Windows terminal's argv carries, and the values in it (decoded)."""
    assert argv[-len(POWERSHELL) - 1:-1] == POWERSHELL
    script = base64.b64decode(argv[-1], validate=True).decode("utf-16-le")
    values = [base64.b64decode(v, validate=True).decode("utf-8") for v in DECODED.findall(script)]
    return DECODED.sub("<value>", script), values


def windows_title_and_command(argv: list[str]) -> tuple[str, list[str]]:
    """What the window will show and run: the title, and the program with its arguments as it splits them."""
    _, values = windows_script(argv)
    title, program, *rest = values
    return title, [program, *(msvcrt_split(rest[0]) if rest else [])]


TEMPLATES = {
    "$Host.UI.RawUI.WindowTitle = <value>\nStart-Process -FilePath <value> -NoNewWindow -Wait\n",
    "$Host.UI.RawUI.WindowTitle = <value>\nStart-Process -FilePath <value> -NoNewWindow -Wait -ArgumentList <value>\n",
}


def test_the_windows_argv_of_each_terminal():
    command, title = ["aws", "ssm", "start-session", "--target", "i-1"], "web (i-1)"
    wt, cmd = (spec.build(command, title) for spec in registry("win32"))
    assert wt[:5] == ["wt.exe", "-w", "0", "new-tab", "--"] and wt[5:-1] == POWERSHELL
    assert cmd[:4] == ["cmd.exe", "/c", "start", "Vouch Desktop"] and cmd[4:-1] == POWERSHELL
    for argv in (wt, cmd):
        assert windows_title_and_command(argv) == (title, command)
        assert windows_script(argv)[0] in TEMPLATES


@settings(max_examples=400, deadline=None)
@given(title=VALUE, command=COMMAND)
def test_on_windows_cmd_and_wt_see_constants_and_base64_whatever_the_values(title, command):
    launcher = TerminalLauncher(platform="win32")
    for spec in registry("win32"):
        argv = spec.build(launcher.command_for(spec, list(command), title), title)
        reference = spec.build(["x"], "t")
        assert argv[:-1] == reference[:-1] and BASE64.match(argv[-1]), spec.id  # no ; & | % " for wt or cmd
        assert subprocess.list2cmdline(argv[:-1]) == subprocess.list2cmdline(reference[:-1])
        template, _ = windows_script(argv)
        assert template in TEMPLATES  # PowerShell parses a constant script; values only as base64 inside it
        assert windows_title_and_command(argv) == (title, command)  # and the program gets exactly its arguments


def test_the_c_runtime_split_follows_its_documented_examples():
    # the examples of Microsoft's "Parsing C++ command-line arguments" table
    assert msvcrt_split('"abc" d e') == ["abc", "d", "e"]
    assert msvcrt_split(r"a\\\b d" + '"e f"g h') == [r"a\\\b", "de fg", "h"]
    assert msvcrt_split(r'a\\\"b c d') == [r'a\"b', "c", "d"]
    assert msvcrt_split(r'a\\\\"b c" d e') == [r"a\\b c", "d", "e"]
    assert msvcrt_split('a"b"" c d') == ['ab" c d']


# ---------------------------------------------------------------- macOS
@settings(max_examples=400, deadline=None)
@given(title=VALUE, command=COMMAND)
def test_on_macos_the_applescript_is_constant_and_the_values_are_its_arguments(title, command):
    launcher = TerminalLauncher(platform="darwin")
    for spec, script in zip(registry("darwin"), (TERMINAL_APP_SCRIPT, ITERM_SCRIPT), strict=True):
        argv = spec.build(launcher.command_for(spec, list(command), title), title)
        lines = script.splitlines()
        assert argv[0] == "osascript" and argv[1:1 + 2 * len(lines)] == [p for line in lines for p in ("-e", line)]
        assert argv[1 + 2 * len(lines):] == [shell_line(command), title]  # `on run argv`: item 1, item 2
        assert not argv[1 + 2 * len(lines)].startswith("-")  # osascript reads no option after it
        assert shlex.split(argv[-2]) == command  # and the user's shell runs exactly the command


def test_the_applescripts_read_their_values_from_argv_only():
    for script in (TERMINAL_APP_SCRIPT, ITERM_SCRIPT):
        assert script.startswith("on run argv\n") and script.endswith("end run")
        assert "item 1 of argv" in script and "item 2 of argv" in script
        assert '"' not in script.replace('"Terminal"', "").replace('"iTerm"', "")  # no string but the app's name
