"""How the app starts itself, from a source tree and frozen (Linux/macOS: one executable; Windows: a
windowed one for the tray and a console twin for anything that needs standard streams)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from vouch_desktop.core.aws.ssm_commands import SessionRequest, ToolPaths, session_command
from vouch_desktop.core.system.autostart import launch_command

FROZEN_DIR = Path("/opt/vouch-desktop")


@pytest.fixture
def frozen(monkeypatch):
    def freeze(platform: str, executable: str) -> None:
        monkeypatch.setattr(sys, "frozen", True, raising=False)
        monkeypatch.setattr(sys, "platform", platform)
        monkeypatch.setattr(sys, "executable", str(FROZEN_DIR / executable))
    return freeze


REQUEST = SessionRequest("i-0123456789abcdef0", "eu-west-1", "prod")
NO_AWS_CLI = ToolPaths(aws=None, plugin="/usr/bin/session-manager-plugin")


def test_from_a_source_tree_it_is_this_python():
    assert launch_command() == [sys.executable, "-m", "vouch_desktop", "--autostart"]
    assert session_command(REQUEST, NO_AWS_CLI)[:4] == [sys.executable, "-m", "vouch_desktop", "ssm-session"]


def test_frozen_on_linux_it_is_the_executable_itself(frozen):
    frozen("linux", "vouch-desktop")
    assert launch_command() == [str(FROZEN_DIR / "vouch-desktop"), "--autostart"]
    assert session_command(REQUEST, NO_AWS_CLI)[:2] == [str(FROZEN_DIR / "vouch-desktop"), "ssm-session"]


@pytest.mark.parametrize("started_as", ["vouch-desktop.exe", "vouch-desktop-cli.exe"])
def test_frozen_on_windows_the_tray_is_windowed_and_a_terminal_gets_the_console_twin(frozen, started_as):
    frozen("win32", started_as)
    assert launch_command() == [str(FROZEN_DIR / "vouch-desktop.exe"), "--autostart"]
    assert session_command(REQUEST, NO_AWS_CLI)[:2] == [str(FROZEN_DIR / "vouch-desktop-cli.exe"), "ssm-session"]
