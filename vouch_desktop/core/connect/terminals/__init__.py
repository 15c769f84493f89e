"""Opening a command in the user's own terminal emulator, on Linux, macOS and Windows."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from vouch_desktop.core.connect.errors import ConnectError
from vouch_desktop.core.connect.terminals import choice, linux, macos, windows
from vouch_desktop.core.connect.terminals.carrier import Carried, carrier_command, printable
from vouch_desktop.core.connect.terminals.choice import Choice, installed
from vouch_desktop.core.connect.terminals.spec import TerminalSpec
from vouch_desktop.core.connect.terminals.template import expand, parse, warnings

CUSTOM = "custom"


def registry(platform: str = sys.platform) -> list[TerminalSpec]:
    """The terminals this platform can have, chosen in one place."""
    if platform == "darwin":
        return macos.TERMINALS
    if platform == "win32":
        return windows.TERMINALS
    return linux.TERMINALS


@dataclass(frozen=True)
class LaunchPlan:
    argv: list[str]
    terminal: str  # the name shown to the user


class NoTerminal(ConnectError):
    pass


class TerminalLauncher:
    def __init__(self, terminal_id: str = "", template: str = "", platform: str = sys.platform, *,
                 hold_on_error: bool = False, environ: Mapping[str, str] | None = None) -> None:
        self.terminal_id = terminal_id
        self.template = template
        self.platform = platform
        # keep the window open when the command ends with an error (Linux and the BSDs: macOS's Terminal
        # and Windows' consoles keep it open anyway)
        self.hold_on_error = hold_on_error and platform not in ("darwin", "win32")
        self.environ = os.environ if environ is None else environ

    @property
    def _posix(self) -> bool:
        return self.platform not in ("darwin", "win32")

    def detect(self) -> list[TerminalSpec]:
        return [spec for spec in registry(self.platform) if installed(spec)]

    def automatic(self) -> Choice | None:
        """What "Automatic" picks here, and why."""
        specs = registry(self.platform)
        if self._posix:
            return choice.automatic(specs, self.environ)
        found = [spec for spec in specs if installed(spec)]
        return Choice(found[0], "the first one found") if found else None

    def choose(self) -> TerminalSpec:
        specs = registry(self.platform)
        if self.terminal_id and self.terminal_id != CUSTOM:
            chosen = next((s for s in specs if s.id == self.terminal_id), None)
            if chosen is None or not installed(chosen):
                raise NoTerminal(f"The terminal chosen in Settings ({self.terminal_id}) is not installed.",
                                 advice="Choose another terminal in Settings, or a custom command line.")
            if self._posix and chosen.id == choice.ALTERNATIVE:  # the real program's own argv rules
                return choice.resolve_program(chosen.executable, specs) or chosen
            return chosen
        automatic = self.automatic()
        if automatic is None:
            raise NoTerminal("No terminal emulator was found.",
                             advice="Install one (for example xterm or gnome-terminal) or set a custom "
                                    "command line in Settings.")
        return automatic.spec

    def plan(self, command: list[str], title: str, values: dict[str, str] | None = None) -> LaunchPlan:
        title = printable(title)  # a title comes from names others choose: no escape sequence, no line break
        if self.terminal_id == CUSTOM:
            if self.hold_on_error:
                command = carrier_command(Carried(list(command), "", True))
            return LaunchPlan(expand(self.template, command, {"title": title, **(values or {})}), "custom")
        spec = self.choose()
        return LaunchPlan(spec.build(self.command_for(spec, list(command), title), title), spec.name)

    def command_for(self, spec: TerminalSpec, command: list[str], title: str) -> list[str]:
        """The command itself, or the carrier that brings it through this terminal untouched."""
        if not self._posix:
            return command
        title_by_escape = title if not spec.sets_title else ""
        if spec.literal_args and not title_by_escape and not self.hold_on_error:
            return command
        return carrier_command(Carried(command, title_by_escape, self.hold_on_error))


def choices(platform: str = sys.platform) -> list[tuple[TerminalSpec, bool]]:
    """Every terminal of the platform with whether it is installed: the installed ones first."""
    specs = registry(platform)
    marked = [(spec, installed(spec)) for spec in specs]
    return [m for m in marked if m[1]] + [m for m in marked if not m[1]]


__all__ = ["CUSTOM", "Choice", "LaunchPlan", "NoTerminal", "TerminalLauncher", "TerminalSpec", "choices", "expand",
           "installed", "parse", "registry", "warnings"]
