"""XDG autostart: $XDG_CONFIG_HOME/autostart/vouch-desktop.desktop."""

from __future__ import annotations

import os
from pathlib import Path

from vouch_desktop.core.storage.atomic import atomic_write_text

# characters that make a Desktop Entry Exec argument need quoting (Desktop Entry Specification, "Exec key")
_RESERVED = set(' \t\n"\'\\><~|&;$*?#()`')


def exec_quote(arg: str) -> str:
    if "\n" in arg or "\r" in arg:
        raise ValueError("a start-up command cannot contain line breaks")
    arg = arg.replace("%", "%%")  # field codes start with %
    if arg and not (_RESERVED & set(arg)):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    # the file format then escapes backslashes once more inside a string value
    return '"' + escaped.replace("\\", "\\\\") + '"'


def exec_line(argv: list[str]) -> str:
    return " ".join(exec_quote(a) for a in argv)


class XdgAutostart:
    def __init__(self, config_home: Path | None = None) -> None:
        base = config_home or Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        self.path = base / "autostart" / "vouch-desktop.desktop"

    def is_enabled(self) -> bool:
        return self.path.exists()

    def enable(self, command: list[str]) -> None:
        atomic_write_text(self.path, "\n".join([
            "[Desktop Entry]", "Type=Application", "Name=Vouch Desktop",
            "Comment=YubiKey login state, SSM shells and RDS tunnels from the system tray",
            f"Exec={exec_line(command)}", "Icon=vouch-desktop", "Terminal=false", "Hidden=false",
            "X-GNOME-Autostart-enabled=true", ""]), mode=0o644)

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)

    def describe(self) -> str:
        return str(self.path)
