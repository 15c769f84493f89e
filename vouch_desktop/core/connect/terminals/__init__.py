"""Opening a command in the user's own terminal emulator, on Linux, macOS and Windows."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass

from vouch_desktop.core.connect.errors import ConnectError
from vouch_desktop.core.connect.terminals import linux, macos, windows
from vouch_desktop.core.connect.terminals.spec import TerminalSpec
from vouch_desktop.core.connect.terminals.template import expand, parse

CUSTOM = "custom"


def registry(platform: str = sys.platform) -> list[TerminalSpec]:
    """The terminals this platform can have, chosen in one place."""
    if platform == "darwin":
        return macos.TERMINALS
    if platform == "win32":
        return windows.TERMINALS
    return linux.TERMINALS


def installed(spec: TerminalSpec) -> bool:
    if os.path.isabs(spec.executable):
        return os.path.exists(spec.executable)
    return shutil.which(spec.executable) is not None


@dataclass(frozen=True)
class LaunchPlan:
    argv: list[str]
    terminal: str  # the name shown to the user


class NoTerminal(ConnectError):
    pass


class TerminalLauncher:
    def __init__(self, terminal_id: str = "", template: str = "", platform: str = sys.platform) -> None:
        self.terminal_id = terminal_id
        self.template = template
        self.platform = platform

    def detect(self) -> list[TerminalSpec]:
        return [spec for spec in registry(self.platform) if installed(spec)]

    def choose(self) -> TerminalSpec:
        specs = registry(self.platform)
        if self.terminal_id and self.terminal_id != CUSTOM:
            chosen = next((s for s in specs if s.id == self.terminal_id), None)
            if chosen is None or not installed(chosen):
                raise NoTerminal(f"The terminal chosen in Settings ({self.terminal_id}) is not installed.",
                                 advice="Choose another terminal in Settings, or a custom command line.")
            return chosen
        found = self.detect()
        if not found:
            raise NoTerminal("No terminal emulator was found.",
                             advice="Install one (for example xterm or gnome-terminal) or set a custom "
                                    "command line in Settings.")
        return found[0]

    def plan(self, command: list[str], title: str, values: dict[str, str] | None = None) -> LaunchPlan:
        if self.terminal_id == CUSTOM:
            return LaunchPlan(expand(self.template, command, {"title": title, **(values or {})}), "custom")
        spec = self.choose()
        return LaunchPlan(spec.build(list(command), title), spec.name)


__all__ = ["CUSTOM", "LaunchPlan", "NoTerminal", "TerminalLauncher", "TerminalSpec", "expand", "installed", "parse",
           "registry"]
