"""Terminal emulators on Linux and the BSDs (argv as each project documents it, checked against the real
programs by tests/terminals/test_real_terminals.py).

Titles go in one argument with the option (``--title=TITLE``) wherever the parser allows it, so a title
that starts with a dash cannot be taken for an option. Terminals that do not pass arguments on as they
are (``literal_args=False``) get the command through the carrier (carrier.py).
"""

from __future__ import annotations

from vouch_desktop.core.connect.terminals.spec import TerminalSpec, argv_terminal, qprocess_join, string_terminal


def konsole_title(title: str) -> str:
    """Konsole reads ``-p`` as ``property=value;property=value`` and fills %-codes into tab titles:
    a ';' would start a setting of the title's choosing (``x;Environment=…``, ``x;Directory=…``), so it
    and '%' become their full-width look-alikes."""
    return title.replace(";", "\uff1b").replace("%", "\uff05")


def _konsole(command: list[str], title: str) -> list[str]:
    titled = ["-p", f"tabtitle={konsole_title(title)}"] if konsole_title(title).strip() else []
    return ["konsole", "--nofork", *titled, "-e", *command]


def _gnome_terminal(command: list[str], title: str) -> list[str]:
    # GNOME Terminal shows a title only up to its first ';' (seen with 3.46): a look-alike keeps it whole
    return ["gnome-terminal", "--title=" + title.replace(";", "\uff1b"), "--wait", "--", *command]


def _xfce4_terminal(command: list[str], title: str) -> list[str]:
    # Xfce Terminal fills %-codes into titles (%d: the folder): a title's own % becomes a look-alike
    return ["xfce4-terminal", "--title=" + title.replace("%", "\uff05"), "-x", *command]


def _qterminal(command: list[str], title: str) -> list[str]:
    return ["qterminal", "-e", qprocess_join(command)]


TERMINALS: list[TerminalSpec] = [
    TerminalSpec("gnome-terminal", "GNOME Terminal", "gnome-terminal", _gnome_terminal,
                 aliases=("gnome-terminal.wrapper",)),
    argv_terminal("kgx", "GNOME Console", "kgx", ["--"], ["--title={title}"], aliases=("gnome-console",)),
    string_terminal("ptyxis", "Ptyxis", "ptyxis", ["--new-window", "-x"], ["--title={title}"]),
    # Konsole expands $VARIABLES in the command and drops some arguments: the carrier keeps them literal
    TerminalSpec("konsole", "Konsole", "konsole", _konsole, literal_args=False),
    TerminalSpec("xfce4-terminal", "Xfce Terminal", "xfce4-terminal", _xfce4_terminal,
                 aliases=("xfce4-terminal.wrapper",)),
    argv_terminal("mate-terminal", "MATE Terminal", "mate-terminal", ["-x"], ["--title={title}"],
                  aliases=("mate-terminal.wrapper",)),
    string_terminal("lxterminal", "LXTerminal", "lxterminal", ["-e"], ["--title={title}"]),
    # QTerminal splits one string its own way and has no title option: the carrier, in one plain word
    TerminalSpec("qterminal", "QTerminal", "qterminal", _qterminal, literal_args=False, sets_title=False),
    # Tilix shows its own title format, not --title: the carrier sets the terminal's title by escape sequence
    string_terminal("tilix", "Tilix", "tilix", ["-e"], aliases=("tilix.wrapper",)),
    # Terminator's -x stops at "--" and its parser rejects what follows: the carrier
    argv_terminal("terminator", "Terminator", "terminator", ["-x"], ["--title={title}"], literal_args=False),
    argv_terminal("alacritty", "Alacritty", "alacritty", ["-e"], ["--title={title}"]),
    argv_terminal("kitty", "kitty", "kitty", [], ["--title={title}"]),
    # WezTerm has no title option: the carrier sets it with an escape sequence
    argv_terminal("wezterm", "WezTerm", "wezterm", ["start", "--always-new-process", "--"], literal_args=False),
    argv_terminal("foot", "foot", "foot", ["--"], ["--title={title}"], wayland_only=True),
    argv_terminal("xterm", "xterm", "xterm", ["-e"], ["-T", "{title}"],  # -e must be last
                  aliases=("uxterm", "lxterm", "koi8rxterm")),
    # what these pick is not known in advance: the carrier keeps the command literal and sets the title
    argv_terminal("xdg-terminal-exec", "Default terminal (xdg-terminal-exec)", "xdg-terminal-exec", [],
                  literal_args=False),
    argv_terminal("x-terminal-emulator", "Default terminal (Debian)", "x-terminal-emulator", ["-e"],
                  literal_args=False),
]


def generic(executable: str) -> TerminalSpec:
    """An unknown terminal (from $TERMINAL or x-terminal-emulator): xterm's ``-e`` convention, with the
    carrier, which keeps the command literal and sets the title."""
    return argv_terminal(executable, executable.rsplit("/", 1)[-1], executable, ["-e"], literal_args=False)
