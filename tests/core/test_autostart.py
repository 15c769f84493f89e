"""Start at login: the XDG file for real, the macOS plist and the Windows Run value as data."""

from __future__ import annotations

import plistlib
import shlex
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vouch_desktop.core.system.autostart import autostart_for, launch_command
from vouch_desktop.core.system.autostart.linux import XdgAutostart, exec_line
from vouch_desktop.core.system.autostart.macos import LaunchAgent
from vouch_desktop.core.system.autostart.windows import RUN_KEY, RunKey


def unquote_exec(line: str) -> list[str]:
    """The Desktop Entry spec's reading of an Exec value: string escapes, then quoting, then %%."""
    args, current, i, quoted, any_arg = [], "", 0, False, False
    text = line.replace("\\\\", "\x00")  # string-level: \\\\ is one backslash
    text = text.replace("\x00", "\\")
    while i < len(text):
        c = text[i]
        if quoted:
            if c == "\\" and i + 1 < len(text) and text[i + 1] in '"`$\\':
                current += text[i + 1]
                i += 2
                continue
            if c == '"':
                quoted = False
            else:
                current += c
        elif c == '"':
            quoted, any_arg = True, True
        elif c == " ":
            if current or any_arg:
                args.append(current)
            current, any_arg = "", False
        else:
            current += c
        i += 1
    if current or any_arg:
        args.append(current)
    return [a.replace("%%", "%") for a in args]


def test_linux_file_written_validated_and_removed(isolated_home):
    autostart = autostart_for("linux")
    assert isinstance(autostart, XdgAutostart) and not autostart.is_enabled()
    command = ["/opt/Vouch Desktop/bin/vouch-desktop", "--autostart"]
    autostart.enable(command)
    assert autostart.is_enabled()
    assert autostart.path == isolated_home / ".config" / "autostart" / "vouch-desktop.desktop"
    text = autostart.path.read_text()
    assert "X-GNOME-Autostart-enabled=true" in text
    exec_value = next(line for line in text.splitlines() if line.startswith("Exec="))[5:]
    assert unquote_exec(exec_value) == command
    if shutil.which("desktop-file-validate"):
        result = subprocess.run(["desktop-file-validate", str(autostart.path)], capture_output=True, text=True)
        assert result.returncode == 0 and "error" not in result.stdout.lower(), result.stdout
    autostart.disable()
    assert not autostart.path.exists()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=20),
                min_size=1, max_size=4))
def test_exec_line_round_trips_hostile_arguments(argv):
    assert unquote_exec(exec_line(argv)) == argv


def test_macos_plist_parses_back(tmp_path):
    agent = autostart_for("darwin", home=tmp_path)
    assert isinstance(agent, LaunchAgent)
    agent.enable(["/Applications/Vouch Desktop.app/Contents/MacOS/vouch-desktop", "--autostart"])
    data = plistlib.loads(agent.path.read_bytes())
    assert data["Label"] == "sh.vouch.desktop" and data["RunAtLoad"] is True
    assert data["ProgramArguments"][1] == "--autostart" and data["LimitLoadToSessionType"] == "Aqua"
    agent.disable()
    assert not agent.is_enabled()


class MemoryRegistry:
    """Stands in for the Windows registry (the one OS piece that cannot exist here)."""

    def __init__(self):
        self.values = {}

    def get(self, key, name):
        return self.values.get((key, name))

    def set(self, key, name, value):
        self.values[(key, name)] = value

    def delete(self, key, name):
        self.values.pop((key, name), None)


def test_windows_run_value():
    registry = MemoryRegistry()
    run_key = RunKey(registry)
    run_key.enable([r"C:\Program Files\Vouch Desktop\vouch-desktop.exe", "--autostart"])
    assert registry.values[(RUN_KEY, "VouchDesktop")] == \
        r'"C:\Program Files\Vouch Desktop\vouch-desktop.exe" --autostart'
    assert run_key.is_enabled()
    run_key.disable()
    assert not run_key.is_enabled()


def test_launch_command_starts_hidden():
    assert launch_command()[-1] == "--autostart"
    assert shlex.join(launch_command())


def test_line_breaks_are_refused():
    with pytest.raises(ValueError):
        exec_line(["a\nb"])
