"""Which terminal "Automatic" means on this desktop, and why.

In order: ``$TERMINAL``; ``xdg-terminal-exec`` where installed; the desktop's own terminal (by
``XDG_CURRENT_DESKTOP``); the ``x-terminal-emulator`` alternative, resolved to the real program so that
its own argv rules apply; then the first installed one of the rest. foot needs Wayland, so it is only
chosen when ``WAYLAND_DISPLAY`` is set.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from vouch_desktop.core.connect.terminals import linux
from vouch_desktop.core.connect.terminals.spec import TerminalSpec

# XDG_CURRENT_DESKTOP names (upper case) → their own terminals, the newest first
DESKTOP_TERMINALS: dict[str, tuple[str, ...]] = {
    "KDE": ("konsole",),
    "GNOME": ("ptyxis", "kgx", "gnome-terminal"),
    "UNITY": ("gnome-terminal",),
    "X-CINNAMON": ("gnome-terminal",),
    "CINNAMON": ("gnome-terminal",),
    "BUDGIE": ("tilix", "gnome-terminal"),
    "XFCE": ("xfce4-terminal",),
    "MATE": ("mate-terminal",),
    "LXQT": ("qterminal",),
    "LXDE": ("lxterminal",),
}
ALTERNATIVE = "x-terminal-emulator"
XDG_TERMINAL_EXEC = "xdg-terminal-exec"

Which = Callable[[str], str | None]


@dataclass(frozen=True)
class Choice:
    spec: TerminalSpec
    reason: str  # why this one, for Settings: "from $TERMINAL", "KDE's own terminal", …


def installed(spec: TerminalSpec, which: Which = shutil.which) -> bool:
    if which(spec.executable) is not None:
        return True
    return os.path.isabs(spec.executable) and os.path.exists(spec.executable)  # macOS: an .app folder


def usable(spec: TerminalSpec, environ: Mapping[str, str], which: Which = shutil.which) -> bool:
    return installed(spec, which) and (not spec.wayland_only or bool(environ.get("WAYLAND_DISPLAY")))


def resolve_program(program: str, specs: list[TerminalSpec], which: Which = shutil.which,
                    realpath: Callable[[str], str] = os.path.realpath) -> TerminalSpec | None:
    """The spec for a program named or pointed at by a link (x-terminal-emulator → /usr/bin/terminator),
    or a generic one (xterm's ``-e``) for a program we do not know; None when it is not installed."""
    path = which(program)
    if path is None:
        return None
    real = os.path.basename(realpath(path))
    for name in (real, os.path.basename(program)):
        for spec in specs:
            if spec.id not in (ALTERNATIVE, XDG_TERMINAL_EXEC) and name in (spec.executable, spec.id, *spec.aliases):
                return spec
    return linux.generic(path)


def automatic(specs: list[TerminalSpec], environ: Mapping[str, str] | None = None, which: Which = shutil.which,
              realpath: Callable[[str], str] = os.path.realpath) -> Choice | None:
    environ = os.environ if environ is None else environ
    by_id = {spec.id: spec for spec in specs}
    wanted = environ.get("TERMINAL", "").strip()
    if wanted:
        spec = resolve_program(wanted, specs, which, realpath)
        if spec is not None and usable(spec, environ, which):
            return Choice(spec, "from $TERMINAL")
    xdg = by_id.get(XDG_TERMINAL_EXEC)
    if xdg is not None and installed(xdg, which):
        return Choice(xdg, "through xdg-terminal-exec")
    for desktop in environ.get("XDG_CURRENT_DESKTOP", "").split(":"):
        for terminal_id in DESKTOP_TERMINALS.get(desktop.strip().upper(), ()):
            spec = by_id.get(terminal_id)
            if spec is not None and usable(spec, environ, which):
                return Choice(spec, f"{desktop.strip()}'s own terminal")
    if ALTERNATIVE in by_id:
        spec = resolve_program(ALTERNATIVE, specs, which, realpath)
        if spec is not None and usable(spec, environ, which):
            return Choice(spec, f"the {ALTERNATIVE} alternative")
    for spec in specs:
        if spec.id not in (ALTERNATIVE, XDG_TERMINAL_EXEC) and usable(spec, environ, which):
            return Choice(spec, "the first one found")
    return None
