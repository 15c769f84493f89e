"""How one terminal emulator is told to run a command, as data."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass

Builder = Callable[[list[str], str], list[str]]


@dataclass(frozen=True)
class TerminalSpec:
    id: str
    name: str
    executable: str  # what must be installed (looked up on PATH, or an absolute path)
    # builds the argv from the command (an argument list) and a window/tab title
    build: Builder
    # passes the command's arguments on exactly as given; when False the command goes through the
    # carrier (carrier.py), which this app decodes inside the terminal
    literal_args: bool = True
    # has a title option; when False the carrier sets the title with an escape sequence
    sets_title: bool = True
    # other names the program is installed under (what x-terminal-emulator or $TERMINAL may point at)
    aliases: tuple[str, ...] = ()
    # needs a Wayland session (WAYLAND_DISPLAY): never the automatic choice without one
    wayland_only: bool = False


def _titled(title_args: list[str] | None, title: str) -> list[str]:
    # each of our own fixed arguments gets the title filled in; the title never becomes an argument of its own making
    return [a.replace("{title}", title) for a in title_args or []]


def argv_terminal(id: str, name: str, executable: str, before: list[str], title: list[str] | None = None, *,
                  literal_args: bool = True, aliases: tuple[str, ...] = (), wayland_only: bool = False) -> TerminalSpec:
    """A terminal that takes the command as separate arguments after ``before``; ``title`` holds
    the flag(s) that set the title, with "{title}" where the title goes."""

    def build(command: list[str], window_title: str) -> list[str]:
        return [executable, *_titled(title, window_title), *before, *command]

    return TerminalSpec(id, name, executable, build, literal_args, title is not None, aliases, wayland_only)


def string_terminal(id: str, name: str, executable: str, before: list[str], title: list[str] | None = None, *,
                    aliases: tuple[str, ...] = ()) -> TerminalSpec:
    """A terminal that takes the whole command as ONE argument, which it splits like a shell
    (g_shell_parse_argv): quote it with shlex.join so that it splits back into exactly our arguments."""

    def build(command: list[str], window_title: str) -> list[str]:
        return [executable, *_titled(title, window_title), *before, shlex.join(command)]

    return TerminalSpec(id, name, executable, build, sets_title=title is not None, aliases=aliases)


def qprocess_join(command: list[str]) -> str:
    """One string that QProcess::splitCommand splits back into ``command``: words with blanks or quotes
    in double quotes, a literal double quote written as three (Qt's rule)."""
    def word(arg: str) -> str:
        if arg and not any(ch.isspace() or ch == '"' for ch in arg):
            return arg
        return '"' + arg.replace('"', '"""') + '"'

    return " ".join(word(a) for a in command)
