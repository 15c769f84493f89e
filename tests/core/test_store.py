"""Atomic writes, versioned documents, damaged and future files kept and reported."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest

from vouch_desktop.core.storage.atomic import atomic_write_bytes, atomic_write_text
from vouch_desktop.core.storage.store import JsonDocumentStore


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_atomic_write_content_mode_and_no_leftovers(tmp_path):
    target = tmp_path / "sub" / "file.json"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["file.json"]


def test_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "file.json"
    atomic_write_text(target, "old")
    with pytest.raises(TypeError):
        atomic_write_bytes(target, "not bytes")  # type: ignore[arg-type]  # fails inside the write
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.json"]


WRITER = """
import sys, json
from vouch_desktop.core.storage.store import JsonDocumentStore
store = JsonDocumentStore(sys.argv[1], "profiles", 1)
n = 0
while True:
    n += 1
    store.save({"counter": n, "payload": "x" * (1000 + n % 5000)})
    print(n, flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL: POSIX")
def test_kill_minus_nine_during_saves_never_corrupts(tmp_path, reliability):
    """Writers killed at random moments, 25 times over more than 1,000 saves: the file is always a whole
    document, and never older than the last save its writer confirmed (none is lost)."""
    path = tmp_path / "profiles.json"
    store = JsonDocumentStore(path, "profiles", 1)
    confirmed_saves, kills, lost = 0, 0, 0
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    deadline = time.monotonic() + 120
    while kills < 25 and time.monotonic() < deadline:
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, env=env)
        confirmed = 0
        for _ in range(35 + kills % 20):
            confirmed = int(writer.stdout.readline())  # printed once save() returned
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        kills += 1
        confirmed_saves += confirmed
        result = store.load()
        assert result.problems == [], result.problems
        lost += result.data["counter"] < confirmed
        assert len(result.data["payload"]) == 1000 + result.data["counter"] % 5000
    corrupt = [p for p in tmp_path.iterdir() if p.name.endswith(".corrupt") or "corrupt-" in p.name]
    reliability(kills=kills, confirmed_saves=confirmed_saves, corrupt_files=len(corrupt), lost_saves=lost)
    assert kills == 25 and confirmed_saves >= 1000
    assert corrupt == [] and lost == 0


def test_corrupt_file_is_backed_up_and_reported(tmp_path, reliability):
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    result = JsonDocumentStore(path, "settings", 1).load()
    assert result.data is None
    [problem] = result.problems
    assert "damaged" in problem.message and problem.backup.exists()
    assert problem.backup.read_text() == "{not json"
    assert not path.exists()
    reliability(corrupt_files=1, backups_kept=1, messages=len(result.problems))


def test_wrong_kind_counts_as_damaged(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"kind": "profiles", "schema_version": 1}))
    assert "damaged" in JsonDocumentStore(path, "settings", 1).load().problems[0].message


def test_newer_file_is_kept_and_reported(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"kind": "settings", "schema_version": 9, "x": 1}))
    result = JsonDocumentStore(path, "settings", 1).load()
    assert result.data is None
    assert "newer Vouch Desktop" in result.problems[0].message
    assert json.loads(result.problems[0].backup.read_text())["schema_version"] == 9


def test_older_file_is_migrated_step_by_step_with_a_backup(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"a": 1}))  # format 0 had no schema_version
    store = JsonDocumentStore(path, "settings", 2, {0: lambda d: {**d, "b": 2}, 1: lambda d: {**d, "c": d["b"] + 1}})
    result = store.load()
    assert result.data == {"a": 1, "b": 2, "c": 3}
    assert result.problems[0].backup.name.startswith("settings.json.v0.backup-")
    assert json.loads(path.read_text())["schema_version"] == 2
    assert store.load().problems == []  # migrated once
