"""How one terminal emulator is told to run a command, as data."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TerminalSpec:
    id: str
    name: str
    executable: str  # what must be installed (looked up on PATH, or an absolute path)
    # builds the argv from the command (an argument list) and a window/tab title
    build: Callable[[list[str], str], list[str]]


def _titled(title_args: list[str] | None, title: str) -> list[str]:
    # each of our own fixed arguments gets the title filled in; the title never becomes an argument of its own making
    return [a.replace("{title}", title) for a in title_args or []]


def argv_terminal(id: str, name: str, executable: str, before: list[str],
                  title: list[str] | None = None) -> TerminalSpec:
    """A terminal that takes the command as separate arguments after ``before``; ``title`` holds
    the flag(s) that set the title, with "{title}" where the title goes."""

    def build(command: list[str], window_title: str) -> list[str]:
        return [executable, *_titled(title, window_title), *before, *command]

    return TerminalSpec(id, name, executable, build)


def string_terminal(id: str, name: str, executable: str, before: list[str],
                    title: list[str] | None = None) -> TerminalSpec:
    """A terminal that takes the whole command as ONE argument, which it splits like a shell:
    quote it with shlex.join so that it splits back into exactly our arguments."""

    def build(command: list[str], window_title: str) -> list[str]:
        return [executable, *_titled(title, window_title), *before, shlex.join(command)]

    return TerminalSpec(id, name, executable, build)
