"""Terminal argv for every registry entry, custom templates, no injection, and a real xterm launch."""

from __future__ import annotations

import os
import shlex
import subprocess
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vouch_desktop.core.connect.terminals import CUSTOM, TerminalLauncher, expand, registry
from vouch_desktop.core.connect.terminals.macos import applescript_string
from vouch_desktop.core.errors import ValidationError
from vouch_desktop.core.system.processes import launch_detached

CMD = ["aws", "ssm", "start-session", "--target", "i-0123456789abcdef0", "--region", "eu-west-1"]
TITLE = "web-1 (i-0123456789abcdef0)"

EXPECTED = {
    "gnome-terminal": ["gnome-terminal", "--title", TITLE, "--wait", "--", *CMD],
    "konsole": ["konsole", "-p", f"tabtitle={TITLE}", "--nofork", "-e", *CMD],
    "xfce4-terminal": ["xfce4-terminal", "--title", TITLE, "-x", *CMD],
    "tilix": ["tilix", "--title", TITLE, "-e", shlex.join(CMD)],
    "alacritty": ["alacritty", "--title", TITLE, "-e", *CMD],
    "kitty": ["kitty", "--title", TITLE, *CMD],
    "wezterm": ["wezterm", "start", "--always-new-process", "--", *CMD],
    "foot": ["foot", "--title", TITLE, *CMD],
    "xterm": ["xterm", "-T", TITLE, "-e", *CMD],
    "x-terminal-emulator": ["x-terminal-emulator", "-e", *CMD],
    "windows-terminal": ["wt.exe", "-w", "0", "new-tab", "--title", TITLE, "--", *CMD],
    "cmd": ["cmd.exe", "/c", "start", TITLE, "cmd", "/k", subprocess.list2cmdline(CMD)],
}


@pytest.mark.parametrize("platform", ["linux", "win32"])
def test_exact_argv_of_every_terminal(platform):
    for spec in registry(platform):
        assert spec.build(list(CMD), TITLE) == EXPECTED[spec.id], spec.id


def test_macos_runs_osascript_with_a_quoted_script():
    for spec in registry("darwin"):
        argv = spec.build(CMD + ['it"s \\ odd'], 'a "title"')
        assert argv[:2] == ["osascript", "-e"] and len(argv) == 3
        assert applescript_string(shlex.join(CMD + ['it"s \\ odd'])) in argv[2]
        assert '"a \\"title\\""' in argv[2]


def test_custom_template_placeholders():
    assert expand("myterm --title {title} -e {command}", CMD, {"title": TITLE}) == \
        ["myterm", "--title", TITLE, "-e", *CMD]
    assert expand("myterm -c 'run {command}' --name={target}", ["a b"], {"target": "i-1"}) == \
        ["myterm", "-c", "run 'a b'", "--name=i-1"]


@pytest.mark.parametrize("template, message", [
    ("myterm -e", "needs {command}"), ("myterm 'oops {command}", "unbalanced quotes"),
    ("myterm {cmd}", "Unknown placeholder {cmd}"), ("myterm {command} {", "Stray brace"), ("", "empty"),
])
def test_bad_templates_get_specific_messages(template, message):
    with pytest.raises(ValidationError) as err:
        expand(template, CMD, {})
    assert message in err.value.message


HOSTILE = st.lists(st.sampled_from(list("ab -;$`'\"\\|&(){}*\n\t!#~") + ["$(rm -rf ~)", "`id`", "--", "-e"]),
                   max_size=20).map("".join)


@settings(max_examples=300, deadline=None)
@given(title=HOSTILE, target=HOSTILE)
def test_hostile_titles_and_targets_never_add_arguments(title, target):
    command = ["aws", "ssm", "start-session", "--target", target]
    for platform in ("linux", "win32"):
        for spec in registry(platform):
            argv = spec.build(list(command), title)
            clean = spec.build(list(command), "T")
            assert len(argv) == len(clean), spec.id  # the title fills a slot, it never makes new ones
            if spec.id in ("tilix",):
                assert shlex.split(argv[-1]) == command  # one string that splits back exactly
            elif spec.id != "cmd":
                assert argv[-len(command):] == command


@settings(max_examples=300, deadline=None)
@given(value=HOSTILE)
def test_hostile_values_in_custom_templates_stay_single_arguments(value):
    argv = expand("term --title {title} --x={target} -e {command}", ["ssh", value], {"title": value, "target": value})
    assert argv == ["term", "--title", value, f"--x={value}", "-e", "ssh", value]


def test_launcher_uses_the_chosen_or_first_installed_terminal(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("kitty", "xterm"):
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert [s.id for s in TerminalLauncher(platform="linux").detect()] == ["kitty", "xterm"]
    assert TerminalLauncher(platform="linux").plan(CMD, TITLE).argv[0] == "kitty"
    assert TerminalLauncher("xterm", platform="linux").plan(CMD, TITLE).argv == EXPECTED["xterm"]
    with pytest.raises(Exception) as err:
        TerminalLauncher("konsole", platform="linux").plan(CMD, TITLE)
    assert "not installed" in str(err.value)
    assert TerminalLauncher(CUSTOM, "kitty --hold {command}", platform="linux").plan(CMD, TITLE).argv == \
        ["kitty", "--hold", *CMD]


@pytest.mark.desktop
def test_real_xterm_runs_the_command(tmp_path):
    marker = tmp_path / "ran"
    script = f"echo hello > {shlex.quote(str(marker))}"
    plan = TerminalLauncher("xterm", platform="linux").plan(["sh", "-c", script], "vouch test")
    pid = launch_detached(plan.argv)
    deadline = time.monotonic() + 20
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.read_text() == "hello\n"
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.1)
