"""Carrying a command through a terminal untouched: ``vouch-desktop terminal-run PAYLOAD``.

Not every terminal passes a command's arguments on as they are: Konsole expands ``$VARIABLES`` in them
and drops some, Terminator's parser rejects ``--``, QTerminal splits one string its own way, and what
``$TERMINAL``, ``xdg-terminal-exec`` or an unknown ``x-terminal-emulator`` does is anyone's guess. For
those the command travels as ONE argument of hexadecimal digits (JSON inside), which no terminal has
any reason to touch, and this app, started inside the terminal, decodes it and executes it.

The same step sets the window title with an escape sequence, for terminals without a title option
(control characters are removed from the title first, so it cannot send escape sequences of its own),
and keeps the window open when the session ends with an error, so that its last words can be read.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from vouch_desktop.core.system.own_command import own_command

SUBCOMMAND = "terminal-run"
HOLD_PROMPT = "The session ended with an error (exit code {code}). Press Enter to close this window."


@dataclass(frozen=True)
class Carried:
    argv: list[str]
    title: str = ""  # set by escape sequence when not empty
    hold_on_error: bool = False


def encode(carried: Carried) -> str:
    payload = {"argv": list(carried.argv), "title": carried.title, "hold_on_error": carried.hold_on_error}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass").hex()


def decode(text: str) -> Carried:
    """The payload back; ValueError when it is not one."""
    data = json.loads(bytes.fromhex(text).decode("utf-8", "surrogatepass"))
    argv = data.get("argv") if isinstance(data, dict) else None
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        raise ValueError("no command in the payload")
    title, hold = data.get("title", ""), data.get("hold_on_error", False)
    if not isinstance(title, str) or not isinstance(hold, bool):
        raise ValueError("bad title or hold flag in the payload")
    return Carried(argv, title, hold)


def carrier_command(carried: Carried) -> list[str]:
    """What a terminal runs to run ``carried.argv``: this app's own hidden sub-command."""
    return [*own_command(), SUBCOMMAND, encode(carried)]


def printable(title: str) -> str:
    """The title without control characters (C0, DEL, C1, and line/paragraph separators)."""
    return "".join(ch for ch in title if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))


def title_sequence(title: str) -> str:
    """OSC 0: sets the icon name and the window title in xterm and everything that follows it."""
    return f"\x1b]0;{printable(title)}\x07"


def run(args: Sequence[str]) -> int:
    """Inside the terminal: set the title, run the command, hold the window on an error."""
    try:
        [payload] = args
        carried = decode(payload)
    except ValueError:
        print(f"usage: vouch-desktop {SUBCOMMAND} PAYLOAD (written by Vouch Desktop)", file=sys.stderr)
        return 2
    if carried.title and sys.stdout.isatty():
        sys.stdout.write(title_sequence(carried.title))
        sys.stdout.flush()
    if not carried.hold_on_error:
        try:
            os.execvp(carried.argv[0], carried.argv)
        except OSError as exc:
            print(f"vouch-desktop: cannot run {carried.argv[0]}: {exc.strerror or exc}", file=sys.stderr)
            return 127
    code = _run_child(carried.argv)
    if code != 0 and code != 128 + getattr(signal, "SIGHUP", 1):  # a hang-up: the window is gone, nobody to read it
        _hold(code)
    return code


def _run_child(argv: list[str]) -> int:
    try:
        child = subprocess.Popen(argv)
    except OSError as exc:
        print(f"vouch-desktop: cannot run {argv[0]}: {exc.strerror or exc}", file=sys.stderr)
        return 127
    # like a shell running a command: Ctrl-C and Ctrl-\ are the child's to handle, not a reason to stop waiting
    stops = [signal.SIGINT]
    if sys.platform != "win32":  # (the carrier runs on POSIX terminals only)
        stops.append(signal.SIGQUIT)
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in stops}
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code


def _hold(code: int) -> None:
    if not sys.stdin.isatty():
        return
    print(f"\n{HOLD_PROMPT.format(code=code)}", file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt, OSError):
        sys.stdin.readline()
