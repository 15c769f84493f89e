"""Terminal emulators on Linux and the BSDs (argv as documented by each project)."""

from __future__ import annotations

from vouch_desktop.core.connect.terminals.spec import TerminalSpec, argv_terminal, string_terminal

TERMINALS: list[TerminalSpec] = [
    argv_terminal("gnome-terminal", "GNOME Terminal", "gnome-terminal", ["--wait", "--"], ["--title", "{title}"]),
    argv_terminal("konsole", "Konsole", "konsole", ["--nofork", "-e"], ["-p", "tabtitle={title}"]),
    argv_terminal("xfce4-terminal", "Xfce Terminal", "xfce4-terminal", ["-x"], ["--title", "{title}"]),
    string_terminal("tilix", "Tilix", "tilix", ["-e"], ["--title", "{title}"]),
    argv_terminal("alacritty", "Alacritty", "alacritty", ["-e"], ["--title", "{title}"]),
    argv_terminal("kitty", "kitty", "kitty", [], ["--title", "{title}"]),
    argv_terminal("wezterm", "WezTerm", "wezterm", ["start", "--always-new-process", "--"]),
    argv_terminal("foot", "foot", "foot", [], ["--title", "{title}"]),
    argv_terminal("xterm", "xterm", "xterm", ["-e"], ["-T", "{title}"]),  # -e must be last
    argv_terminal("x-terminal-emulator", "Default terminal (Debian)", "x-terminal-emulator", ["-e"]),
]
