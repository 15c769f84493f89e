"""Where the demo's fake executables live (they ship inside the package)."""

from __future__ import annotations

import sys
from pathlib import Path


def demo_bin_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "vouch_desktop" / "demo" / "bin"
    return Path(__file__).resolve().parent / "bin"


def fake_vouch_path() -> Path:
    return demo_bin_dir() / "vouch"


def fake_plugin_path() -> Path:
    return demo_bin_dir() / "session-manager-plugin"
