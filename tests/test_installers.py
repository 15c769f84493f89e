"""The installers' own files, checked as far as this machine can: the Linux menu entry validates,
the macOS Info.plist makes a menu-bar-only app, the Windows Inno Setup script agrees with the app
(executables, start-at-login value), icons render for every platform, the shell scripts parse."""

from __future__ import annotations

import plistlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from vouch_desktop.core.system.autostart.macos import LABEL
from vouch_desktop.core.system.autostart.windows import RUN_KEY, VALUE_NAME
from vouch_desktop.core.system.own_command import WINDOWS_EXES

ROOT = Path(__file__).resolve().parents[1]
INSTALLERS = ROOT / "installers"


def test_the_linux_menu_entry_validates():
    result = subprocess.run(["desktop-file-validate", str(INSTALLERS / "linux" / "vouch-desktop.desktop")],
                            capture_output=True, text=True)  # desktop-file-utils: scripts/apt-packages.txt
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_macos_app_lives_in_the_menu_bar_only():
    info = plistlib.loads((INSTALLERS / "macos" / "Info.plist").read_bytes())
    assert info["LSUIElement"] is True  # no Dock icon
    assert info["CFBundleIdentifier"] == LABEL  # the same name as its start-at-login LaunchAgent
    assert info["CFBundleName"] == "Vouch Desktop"


def test_the_windows_installer_agrees_with_the_app():
    iss = (INSTALLERS / "windows" / "vouch-desktop.iss").read_text(encoding="utf-8")
    spec = (ROOT / "build.spec").read_text(encoding="utf-8")
    for console, exe in WINDOWS_EXES.items():  # build.spec makes both executables the app expects
        assert f'executable("{exe.removesuffix(".exe")}", console={console})' in spec
    [run_entry] = [line for line in iss.splitlines() if line.startswith("Root: HKCU")]
    assert f'Subkey: "{RUN_KEY}"' in run_entry and f'ValueName: "{VALUE_NAME}"' in run_entry
    assert f'ValueData: """{{app}}\\{WINDOWS_EXES[False]}"" --autostart"' in run_entry  # as the app writes it
    assert "Tasks: startatlogin" in run_entry  # optional, a box to tick
    assert f'Filename: "{{app}}\\{WINDOWS_EXES[False]}"' in iss  # the Start-menu entry
    assert "PrivilegesRequired=lowest" in iss
    assert re.search(r'^Source: "\.\.\\\.\.\\dist\\vouch-desktop\\\*"', iss, re.M)


def test_icons_render_for_every_platform(tmp_path):
    subprocess.run([sys.executable, str(INSTALLERS / "make_icons.py"), str(tmp_path)], check=True, timeout=60)
    assert (tmp_path / "app.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "app.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    assert (tmp_path / "app.icns").read_bytes()[:4] == b"icns"


@pytest.mark.parametrize("script", ["scripts/build-linux", "installers/linux/build-deb", "installers/macos/build.sh"])
def test_build_scripts_parse(script):
    path = ROOT / script
    assert path.stat().st_mode & 0o111, "executable"
    subprocess.run(["bash", "-n", str(path)], check=True)


def test_the_ci_workflow_for_real_runners_is_valid():
    """The workflow cannot run here: it is checked against GitHub's schema and by actionlint (which also
    knows which action versions still run), and it uses the same scripts as this repository's CI."""
    workflow = ROOT / ".github" / "workflows" / "ci.yml"
    bin_dir = Path(sys.executable).parent
    schema = subprocess.run([str(bin_dir / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                             str(workflow)], capture_output=True, text=True)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    lint = subprocess.run([str(bin_dir / "actionlint"), str(workflow)], capture_output=True, text=True, cwd=ROOT)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    text = workflow.read_text(encoding="utf-8")
    for command in ("bash .ci/run", "scripts/build-linux", "installers/macos/build.sh",
                    "installers\\windows\\build.ps1", "-m portable"):
        assert command in text
