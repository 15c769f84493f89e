"""After a demo is killed (SIGKILL: no clean-up), the next start removes its temporary home, and
nothing else: not a live demo's home, not a folder without our marker, not a link, not a marker
whose process id now belongs to another program."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.test_cli import cli, runtime_env  # noqa: F401 (a fixture)
from tests.ui.test_app_cycles import start_app, wait_for_line
from vouch_desktop.demo.leftovers import MARKER, PREFIX, Owner, current_owner, leftovers, mark, remove_leftovers


def dead_owner() -> Owner:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    started = psutil.Process(child.pid).create_time()
    child.wait()
    return Owner(child.pid, started)


def home(temp: Path, name: str, owner: Owner | None) -> Path:
    root = temp / f"{PREFIX}{name}"
    (root / "home" / ".aws").mkdir(parents=True)
    (root / "home" / ".aws" / "config").write_text("[profile vouch-demo]\n")
    if owner is not None:
        mark(root, owner)
    return root


def test_only_a_dead_demos_marked_home_is_removed(tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    dead = home(temp, "dead", dead_owner())
    live = home(temp, "live", current_owner())
    unmarked = home(temp, "unmarked", None)
    reused = home(temp, "reused", Owner(os.getpid(), current_owner().started - 3600))  # same pid, another start
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    mark(outside, dead_owner())
    (temp / f"{PREFIX}link").symlink_to(outside)  # a link named like ours, to a marked folder elsewhere
    inside_link = home(temp, "with-a-link", dead_owner())
    (inside_link / "home" / "elsewhere").symlink_to(outside)
    fake = home(temp, "fake-marker", None)
    (fake / MARKER).write_text(json.dumps({"kind": "something else", "pid": dead_owner().pid, "started": 1.0}))
    linked_marker = home(temp, "linked-marker", None)
    (linked_marker / MARKER).symlink_to(dead / MARKER)
    other = temp / "not-ours"
    other.mkdir()
    mark(other, dead_owner())

    assert sorted(p.name for p in leftovers(temp)) == sorted([dead.name, reused.name, inside_link.name])
    assert sorted(remove_leftovers(temp)) == sorted([dead, reused, inside_link])
    for kept in (live, unmarked, fake, linked_marker, other, temp / f"{PREFIX}link"):
        assert kept.exists() or kept.is_symlink(), kept
    assert (outside / "keep.txt").read_text() == "mine"  # never through a link


@pytest.mark.desktop
def test_the_next_start_removes_a_killed_demos_home(runtime_env, tmp_path):  # noqa: F811
    temp = tmp_path / "app-tmp"
    temp.mkdir()
    env = dict(runtime_env, TMPDIR=str(temp))
    first = start_app(env, tmp_path / "first.log")
    try:
        wait_for_line(tmp_path / "first.log", "vouch-desktop: ready", first)
        [killed_home] = [p for p in temp.iterdir() if p.name.startswith(PREFIX)]
        assert (killed_home / MARKER).is_file()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert killed_home.exists()  # nothing could clean up
    second = start_app(env, tmp_path / "second.log")
    try:
        wait_for_line(tmp_path / "second.log", "vouch-desktop: ready", second)
        assert not killed_home.exists()
        assert [p for p in temp.iterdir() if p.name.startswith(PREFIX)] != []  # its own home is there
        assert cli("--demo", "quit", env=env).returncode == 0
        assert second.wait(timeout=30) == 0
    finally:
        if second.poll() is None:
            second.kill()
            second.wait()
    deadline = time.monotonic() + 10
    while [p for p in temp.iterdir() if p.name.startswith(PREFIX)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [p.name for p in temp.iterdir() if p.name.startswith(PREFIX)] == []
