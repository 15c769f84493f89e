"""Every file the app reads of its own, damaged in many ways (hypothesis), read by the real loading code:
it runs, the message names the file, the original is kept or backed up, a later save works.

Permission damage is real, not simulated: as root (CI) file modes do not apply, so those cases run in
a child process without the capabilities that let root ignore them (``permission_run``, through
``setpriv``); as another user they run as that user. See tests/damage/test_app_start_damage.py for
the real app and commands started on each class of damage.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.damage import damage
from tests.damage.damage import (
    FS_DAMAGE,
    HISTORY_LINE,
    INSTANCE,
    PROFILES,
    SETTINGS,
    TUNNEL,
    content_damage,
    make_fs_damage,
)
from vouch_desktop.core.storage import store as store_module
from vouch_desktop.core.storage.files import QUOTE_LIMIT
from vouch_desktop.core.storage.history import History
from vouch_desktop.core.storage.profile_io import ImportRefused, apply_import, plan_import
from vouch_desktop.core.storage.profiles import InstanceProfile, ProfileBook
from vouch_desktop.core.system.paths import AppPaths

ROOT = Path(__file__).resolve().parents[2]
FAST = hsettings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def fresh_paths() -> tuple[tempfile.TemporaryDirectory, AppPaths]:
    folder = tempfile.TemporaryDirectory()
    return folder, AppPaths.under(Path(folder.name)).ensure()


def damaged(path: Path, data: st.DataObject, document: dict | None) -> str:
    """Damage ``path`` (content, or what is there) and return the kind of damage."""
    if document is not None and data.draw(st.integers(0, 3)) > 0:
        kind, raw = data.draw(content_damage(document))
        path.write_bytes(raw)
        return kind
    kind = data.draw(st.sampled_from(FS_DAMAGE))
    make_fs_damage(path, kind)
    return kind


def survive_all(reliability, name: str, once: Callable[[st.DataObject, AppPaths, Path], str]) -> None:
    """Run ``once`` (damage a fresh app folder, check the app survives it, return the kind of damage) on
    many generated cases, and report how many were tried, of how many kinds."""
    tried: Counter[str] = Counter()

    @FAST
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        folder, paths = fresh_paths()
        with folder:
            tried[once(data, paths, Path(folder.name))] += 1

    one()
    total = sum(tried.values())
    reliability(**{f"{name}_damaged_states": total, f"{name}_survived": total, f"{name}_kinds_of_damage": len(tried)})
    assert total > 0


@pytest.mark.parametrize(("name", "document", "survive"), [
    ("settings", SETTINGS, damage.survive_settings),
    ("profiles", PROFILES, damage.survive_profiles),
])
def test_own_file_survives_any_damage(reliability, name, document, survive):
    def once(data: st.DataObject, paths: AppPaths, folder: Path) -> str:
        kind = damaged(getattr(paths, f"{name}_file"), data, document)
        survive(paths)
        return kind

    survive_all(reliability, name, once)


@st.composite
def history_damage(draw: st.DrawFn) -> bytes:
    good = json.dumps(HISTORY_LINE).encode() + b"\n"

    def with_field(name: str) -> st.SearchStrategy[bytes]:
        return st.builds(lambda v: json.dumps({**HISTORY_LINE, name: v}, allow_nan=True).encode(), damage.json_values)

    lines = [good] * draw(st.integers(0, 5))
    for _ in range(draw(st.integers(1, 6))):
        lines.insert(draw(st.integers(0, len(lines))), draw(st.one_of(
            st.binary(max_size=80),
            with_field("profile"), with_field("time"), with_field("local_port"), with_field("kind"),
            st.sampled_from([b'{"time": "9999-12-31T23:59:59-23:59", "kind": "connect"}', b"[" * 5000,
                             b'{"time": "2025-01-01T10:00:00", "kind": 5}', good[:20], b"\xff\xfe" + good]),
        )) + b"\n")
    return b"".join(lines)


def test_history_survives_any_damage(reliability):
    def once(data: st.DataObject, paths: AppPaths, folder: Path) -> str:
        if data.draw(st.booleans()):
            paths.history_file.write_bytes(data.draw(history_damage()))
            kind = "lines"
        else:
            kind = data.draw(st.sampled_from(FS_DAMAGE))
            make_fs_damage(paths.history_file, kind)
        damage.survive_history(paths)
        return kind

    survive_all(reliability, "history", once)


def test_a_file_too_large_to_be_ours_is_damaged_not_read(tmp_path):
    paths = AppPaths.under(tmp_path).ensure()
    with open(paths.settings_file, "wb") as handle:
        handle.truncate(store_module.MAX_BYTES + 1)  # sparse: nothing is written, nothing should be read
    problems = damage.survive_settings(paths)
    assert "more than the" in problems[0].user_text() and problems[0].backup.stat().st_size > store_module.MAX_BYTES


# -- profile import (TOML) --

GOOD_IMPORT = {"format": 1, "instance": [{k: v for k, v in INSTANCE.items() if v not in ("", {})},
                                         {"name": "api", "target": "Name=api-*", "region": "eu-west-1"}],
               "tunnel": [{k: v for k, v in TUNNEL.items() if v not in ("", 0, False)}]}
toml_values = st.recursive(
    st.booleans() | st.integers(-(2 ** 63), 2 ** 63 - 1) | st.floats() | st.text(max_size=30) | st.datetimes(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3),
    max_leaves=6)
MUST_BE_REPORTED = ("unknown key", "unknown top-level key", "duplicate name", "huge value", "missing name")


@st.composite
def toml_damage(draw: st.DrawFn) -> tuple[str, bytes]:
    document = json.loads(json.dumps(GOOD_IMPORT))
    kind = draw(st.sampled_from(["type swap", "unknown key", "unknown top-level key", "duplicate name", "huge value",
                                 "missing name", "format", "truncated", "random bytes", "not UTF-8", "deep nesting",
                                 "not a list", "good"]))
    section = draw(st.sampled_from(["instance", "tunnel"]))
    entry = document[section][0]
    if kind == "type swap":
        entry[draw(st.sampled_from(sorted(entry)))] = draw(toml_values)
    elif kind == "unknown key":
        entry[draw(st.sampled_from(["remote-port", "regoin", "Name", "x" * 200]))] = draw(toml_values)
    elif kind == "unknown top-level key":
        document[draw(st.sampled_from(["instances", "tunnels", "profile", "settings"]))] = [{"name": "x"}]
    elif kind == "duplicate name":
        document["tunnel"][0]["name"] = draw(st.sampled_from(["web", "WEB", "Web"]))
    elif kind == "huge value":
        entry[draw(st.sampled_from(["name", "target", "region"]))] = draw(st.sampled_from(["x", "é", "\n"])) * 100_000
    elif kind == "missing name":
        del entry["name"]
    elif kind == "format":
        document["format"] = draw(st.sampled_from([2, 99, "1", 1.5, True, [1]]))
    elif kind == "not a list":
        document[section] = draw(st.sampled_from([5, "x", True]))
    text = tomli_w.dumps(document).encode()
    if kind == "truncated":
        text = text[:draw(st.integers(0, len(text) - 1))]
    elif kind == "random bytes":
        text = draw(st.binary(max_size=200))
    elif kind == "not UTF-8":
        text = text + b"# \xff\xfe\n"
    elif kind == "deep nesting":
        text = b"a = " + b"[" * 100_000 + b"]" * 100_000 + b"\n"
    return kind, text


def test_profile_import_reports_every_problem_before_anything_is_applied(reliability):
    def once(data: st.DataObject, paths: AppPaths, folder: Path) -> str:
        kind, text = data.draw(toml_damage())
        check_import(kind, text, paths, folder / "team.toml")
        return kind

    survive_all(reliability, "import", once)


def check_import(kind: str, text: bytes, paths: AppPaths, source: Path) -> None:
    book = ProfileBook(paths)
    book.load()
    book.add(InstanceProfile("mine", "i-0fedcba9876543210", "us-east-1"))
    saved = paths.profiles_file.read_bytes()
    source.write_bytes(text)
    try:
        plan = plan_import(book, source)
    except ImportRefused as exc:
        assert str(source) in exc.message and len(exc.user_text().replace(str(source), "")) < 300, exc.user_text()
        assert kind not in ("good", "unknown key", "duplicate name", "huge value", "missing name"), kind
        return
    for line in plan.invalid:
        assert len(line) <= 3 * (QUOTE_LIMIT + 100) + 60, line  # values quoted at most ~80 characters
    if kind in MUST_BE_REPORTED:
        assert plan.invalid, (kind, plan.preview())
    if plan.invalid:
        assert "nothing will be imported" in plan.preview()
        with pytest.raises(ImportRefused):
            apply_import(book, plan, "rename")
        assert paths.profiles_file.read_bytes() == saved  # nothing applied
        assert [p.name for p in book.instances] == ["mine"] and book.tunnels == []
    else:
        apply_import(book, plan, "rename")
        again = ProfileBook(paths)
        assert again.load() == []
        names = {p.name for p in [*again.instances, *again.tunnels]}
        assert names >= ({"mine", "web", "api", "db"} if kind == "good" else {"mine"})


def test_import_of_10000_profiles_is_one_save(tmp_path, monkeypatch):
    """All or nothing, in one write (one fsync) however many profiles: the time it takes is measured by
    benchmarks/profile_import.py."""
    paths = AppPaths.under(tmp_path).ensure()
    source = tmp_path / "many.toml"
    source.write_text(tomli_w.dumps({"format": 1, "instance": [
        {"name": f"web {n}", "target": f"i-{n:017x}", "region": "eu-west-1"} for n in range(10_000)]}))
    book = ProfileBook(paths)
    book.load()
    writes = []
    real_write = store_module.atomic_write_text
    monkeypatch.setattr(store_module, "atomic_write_text", lambda *a, **k: (writes.append(a[0]), real_write(*a, **k)))
    plan = plan_import(book, source)
    assert len(plan.new) == 10_000 and not plan.invalid
    apply_import(book, plan)
    assert len(writes) == 1
    again = ProfileBook(paths)
    assert again.load() == [] and len(again.instances) == 10_000


def test_a_failed_save_during_import_changes_nothing(tmp_path, monkeypatch):
    paths = AppPaths.under(tmp_path).ensure()
    book = ProfileBook(paths)
    book.load()
    book.add(InstanceProfile("mine", "i-0fedcba9876543210", "us-east-1"))
    source = tmp_path / "team.toml"
    source.write_text(tomli_w.dumps(GOOD_IMPORT))
    plan = plan_import(book, source)

    def no_space(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module, "atomic_write_text", no_space)
    with pytest.raises(store_module.StoreError, match="No space left"):
        apply_import(book, plan)
    assert [p.name for p in book.instances] == ["mine"] and book.tunnels == []


# -- permission damage, real: in a child process that file modes apply to --

def unprivileged() -> list[str]:
    """The command prefix under which file modes apply: as root, without CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH (the capabilities that let root read and write anything); as anyone else,
    nothing."""
    if os.geteuid() != 0:
        return []
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", "--"]


def test_permission_damage_is_survived_for_real(reliability):
    """Files of mode 000, folders of mode 555 holding a damaged, newer, older or partly bad file, a
    save into a read-only folder: run by tests/damage/permission_run.py where modes apply."""
    done = subprocess.run([*unprivileged(), sys.executable, "-m", "tests.damage.permission_run"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["modes_enforced"] is True
    assert figures["tried"] == figures["survived"] > 0
    reliability(**{f"permissions_{k}": v for k, v in figures.items() if k != "modes_enforced"})


def test_history_compaction_keeps_the_lines_it_could_not_read(tmp_path):
    path = tmp_path / "history.jsonl"
    good = json.dumps(HISTORY_LINE) + "\n"
    original = (good * 20 + "{torn\n" + good * 10).encode()
    path.write_bytes(original)
    history = History(path, max_entries=10)
    history.add("login")
    backups = list(tmp_path.glob("history.jsonl.before-compaction-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == original + backups[0].read_bytes()[len(original):]
    assert len(history.recent(limit=100)) == 10 and b"{torn" not in path.read_bytes()
