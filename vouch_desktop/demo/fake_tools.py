"""The demo's fake executables, ``vouch`` and ``session-manager-plugin``: stdlib-only scripts that
ship inside the package (``bin/``), and the launchers that put them on the demo's PATH.

A launcher runs its tool through this app's own command, ``vouch-desktop demo-tool NAME ARGS…``
(``run``): from a source tree that is this Python with ``-m vouch_desktop``; in the frozen app, which
has no Python to run a script with, it is the app's executable. Either way the demo and the tests
go through the same launchers.
"""

from __future__ import annotations

import runpy
import shlex
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from vouch_desktop.core.aws.ssm_commands import PLUGIN_NAME as PLUGIN
from vouch_desktop.core.system.own_command import own_command

VOUCH = "vouch"
TOOLS = (VOUCH, PLUGIN)


def demo_bin_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "vouch_desktop" / "demo" / "bin"
    return Path(__file__).resolve().parent / "bin"


def fake_vouch_path() -> Path:
    return demo_bin_dir() / VOUCH


def fake_plugin_path() -> Path:
    return demo_bin_dir() / PLUGIN


def install_launchers(folder: Path, names: Iterable[str]) -> dict[str, Path]:
    """Write a launcher for each named tool into ``folder``; returns their paths by name."""
    return {name: write_launcher(folder, name, [*own_command(), "demo-tool", name]) for name in names}


def install_alias(folder: Path, name: str, program: str) -> Path:
    """A launcher named ``name`` in ``folder`` that runs ``program`` (a real tool in the demo's place)."""
    return write_launcher(folder, name, [program])


def write_launcher(folder: Path, name: str, command: list[str]) -> Path:
    """A script named ``name`` in ``folder`` that runs ``command`` with the script's own arguments."""
    folder.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":
        path = folder / f"{name}.cmd"
        path.write_text(f"@{subprocess.list2cmdline(command)} %*\r\n", encoding="utf-8")
    else:
        path = folder / name
        path.write_text(f'#!/bin/sh\nexec {shlex.join(command)} "$@"\n', encoding="utf-8")
        path.chmod(0o755)
    return path


def run(argv: list[str]) -> int:
    """``vouch-desktop demo-tool NAME ARGS…``: run the fake tool NAME as if it had been started as NAME."""
    if not argv or argv[0] not in TOOLS:
        print(f"usage: vouch-desktop demo-tool {{{','.join(TOOLS)}}} [ARGS...]", file=sys.stderr)
        return 2
    script = demo_bin_dir() / argv[0]
    sys.argv = [str(script), *argv[1:]]
    runpy.run_path(str(script), run_name="__main__")  # a tool's own exit code arrives as SystemExit
    return 0
