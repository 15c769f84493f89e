"""Damage for the app's own files, as hypothesis strategies, and what must hold after the app read them.

Used in this process (content and file-system damage) and by ``permission_run`` in a child process
that runs without the capabilities that let root ignore file modes (permission damage made real).

A damaged state is *survived* when the real loading code returns without an exception, what it
returns is usable (settings and profiles validate), every problem names the file, and the original
is kept: still in place unchanged, or in the backup the message names (or the message says why no
backup could be made); and a later save works (or fails with a message naming the file).
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from vouch_desktop.core.errors import StoreError
from vouch_desktop.core.storage.history import History
from vouch_desktop.core.storage.profiles import ProfileBook
from vouch_desktop.core.storage.settings import Settings, SettingsStore
from vouch_desktop.core.storage.store import StoreProblem
from vouch_desktop.core.system.paths import AppPaths

# -- valid documents, as this version writes them --

SETTINGS = {"kind": "settings", "schema_version": 1, "vouch_path": "", "aws_profile": "work",
            "regions": ["eu-west-1", "us-east-1"], "terminal": "", "terminal_template": "", "notify_enabled": True,
            "notify_lead_minutes": 15, "start_at_login": False, "plugin_path": "", "log_level": "INFO",
            "allow_login_without_key": False, "tunnel_backend": "auto"}
INSTANCE = {"name": "web", "target": "i-0123456789abcdef0", "region": "eu-west-1", "aws_profile": "",
            "document": "", "parameters": {}, "ssh_user": ""}
TUNNEL = {"name": "db", "target": "i-0123456789abcdef0", "remote_port": 5432, "region": "eu-west-1",
          "remote_host": "db.example.com", "local_port": 0, "aws_profile": "",
          "document": "AWS-StartPortForwardingSessionToRemoteHost", "start_at_launch": False, "group": ""}
PROFILES = {"kind": "profiles", "schema_version": 1,
            "instances": [INSTANCE, {**INSTANCE, "name": "api", "target": "Name=api-*"}],
            "tunnels": [TUNNEL]}
HISTORY_LINE = {"time": "2025-01-01T10:00:00+00:00", "kind": "connect", "profile": "web",
                "target": "i-0123456789abcdef0", "region": "eu-west-1"}


def encoded(document: object) -> bytes:
    return (json.dumps(document, indent=2, allow_nan=True) + "\n").encode()


# -- values of every JSON type, and the odd ones --

ODD_JSON_TEXT = ["1e309", "-1e309", "NaN", "Infinity", "-Infinity", "1" + "0" * 30, "1" + "0" * 5000, "-1",
                 "1.5", "0.0", '"1"', "true", "null", "[1]", "{}", '"\\ud800"', '"' + "x" * 100_000 + '"',
                 "[" * 50_000 + "]" * 50_000, '"a\\u0000b"', '"\\n--debug"', "[1, 2, 3]", '[" "]']

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8)


def _replace_raw(document: dict, path: tuple[object, ...], raw: str) -> bytes:
    """``document`` with the value at ``path`` replaced by ``raw`` JSON text (which json.dumps cannot
    write: 1e309, a 5,000-digit number, nesting 50,000 deep)."""
    marker = "\x00MARK\x00"
    copy = json.loads(json.dumps(document))
    target = copy
    for key in path[:-1]:
        target = target[key]  # type: ignore[index]
    target[path[-1]] = marker  # type: ignore[index]
    return json.dumps(copy, indent=2).replace(json.dumps(marker), raw).encode()


def _field_paths(document: dict) -> list[tuple[object, ...]]:
    paths: list[tuple[object, ...]] = [(key,) for key in document]
    for key in ("instances", "tunnels"):
        for index, entry in enumerate(document.get(key, [])):
            paths += [(key, index, field) for field in entry]
    return paths


@st.composite
def content_damage(draw: st.DrawFn, document: dict) -> tuple[str, bytes]:
    """(the kind of damage, the bytes of a damaged file) from a valid ``document``."""
    valid = encoded(document)
    kind = draw(st.sampled_from(["type swap", "odd value", "schema_version", "truncated", "random bytes",
                                 "not UTF-8", "not an object", "kind", "missing field", "unknown field",
                                 "duplicate name", "empty"]))
    if kind == "type swap":
        path = draw(st.sampled_from(_field_paths(document)))
        return kind, _replace_raw(document, path, json.dumps(draw(json_values), allow_nan=True))
    if kind == "odd value":
        path = draw(st.sampled_from(_field_paths(document)))
        return kind, _replace_raw(document, path, draw(st.sampled_from(ODD_JSON_TEXT)))
    if kind == "schema_version":
        raw = draw(st.sampled_from([*ODD_JSON_TEXT, "2", "99", "0"]))
        return kind, _replace_raw(document, ("schema_version",), raw)
    if kind == "truncated":
        return kind, valid[:draw(st.integers(0, len(valid) - 1))]
    if kind == "random bytes":
        return kind, draw(st.binary(max_size=300))
    if kind == "not UTF-8":
        at = draw(st.integers(0, len(valid)))
        bad = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80abc"]))
        return kind, valid[:at] + bad + valid[at:]
    if kind == "not an object":
        return kind, draw(st.sampled_from([b"[]", b"5", b'"settings"', b"null", b"true", b"[{}]"]))
    if kind == "kind":
        return kind, _replace_raw(document, ("kind",), json.dumps(draw(json_values), allow_nan=True))
    if kind == "missing field":
        path = draw(st.sampled_from(_field_paths(document)))
        copy = json.loads(json.dumps(document))
        target = copy
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
        return kind, encoded(copy)
    if kind == "unknown field":
        return kind, encoded({**document, draw(st.text(min_size=1, max_size=10)): draw(json_values)})
    if kind == "duplicate name" and document.get("instances"):
        copy = json.loads(json.dumps(document))
        copy["tunnels"][0]["name"] = copy["instances"][0]["name"].upper()
        return kind, encoded(copy)
    return "empty", b""


FS_DAMAGE = ["folder", "folder with files", "symlink loop", "dangling symlink", "symlink to a folder", "named pipe",
             "symlink to a device"]


def make_fs_damage(path: Path, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "folder":
        path.mkdir()
    elif kind == "folder with files":
        path.mkdir()
        (path / "inside.json").write_text("{}")
    elif kind == "symlink loop":
        path.symlink_to(path.name)
    elif kind == "dangling symlink":
        path.symlink_to(path.parent / "gone" / "nowhere.json")
    elif kind == "symlink to a folder":
        (path.parent / "a-folder").mkdir(exist_ok=True)
        path.symlink_to(path.parent / "a-folder")
    elif kind == "named pipe":
        os.mkfifo(path)
    elif kind == "symlink to a device":
        path.symlink_to("/dev/zero")
    else:
        raise ValueError(kind)


# -- what was there, to tell whether it was kept --

@dataclass(frozen=True)
class Snapshot:
    kind: str  # "missing", "file", "dir", "link", "fifo", "other", "out of reach"
    data: bytes = b""
    link: str = ""
    listing: tuple[str, ...] = ()


def snapshot(path: Path) -> Snapshot:
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return Snapshot("missing")
    except PermissionError:  # in a folder we may not look into: it is where it was
        return Snapshot("out of reach")
    if stat.S_ISLNK(info.st_mode):
        return Snapshot("link", link=os.readlink(path))
    if stat.S_ISDIR(info.st_mode):
        try:
            return Snapshot("dir", listing=tuple(sorted(os.listdir(path))))
        except PermissionError:
            return Snapshot("dir")
    if stat.S_ISFIFO(info.st_mode):
        return Snapshot("fifo")
    if stat.S_ISREG(info.st_mode):
        try:
            return Snapshot("file", path.read_bytes())
        except PermissionError:  # as an unprivileged user: what is kept is the file itself, not its bytes
            return Snapshot("file", b"<unreadable>")
    return Snapshot("other")


def same(before: Snapshot, path: Path) -> bool:
    after = snapshot(path)
    return after == before or (before.kind == after.kind == "file" and b"<unreadable>" in (before.data, after.data))


class NotSurvived(AssertionError):
    pass


def check(condition: bool, what: str, *context: object) -> None:
    if not condition:
        raise NotSurvived(what + "".join(f"\n  {c!r}"[:2000] for c in context))


CANNOT_BACK_UP = ("could not be moved aside", "No copy of it could be kept", "nor moved aside")


def check_problems(path: Path, before: Snapshot, problems: list[StoreProblem]) -> None:
    """Every problem names the file and is short; the original is in place or in the named backup."""
    for problem in problems:
        text = problem.user_text()
        check(str(path) in text, "the message names the file", text)
        check(problem.backup is not None or any(why in text for why in CANNOT_BACK_UP),
              "without a backup, the message says why none could be made", text)
        check(len(text.replace(str(path), "")) - len(str(problem.backup or "")) <= 900, "the message is short", text)
    if before.kind == "missing":
        return
    if same(before, path):
        return  # kept in place (a problem, if any, says what was done instead)
    backups = [p.backup for p in problems if p.backup is not None]
    check(any(same(before, backup) for backup in backups),
          "the original is kept: in place, or in a backup the message names", before, snapshot(path), problems)


def check_no_silent_change(path: Path, before: Snapshot, problems: list[StoreProblem]) -> None:
    if not problems:
        check(same(before, path), "without a message, the file is left as it was", before, snapshot(path))


# -- reading each file with the real code, then saving --

def load_settings(paths: AppPaths) -> tuple[SettingsStore, Settings, list[StoreProblem]]:
    store = SettingsStore(paths)
    settings, problems = store.load()
    check(isinstance(settings, Settings) and settings.validate() == [], "the settings in use are valid", settings)
    return store, settings, problems


def survive_settings(paths: AppPaths, *, writable: bool = True) -> list[StoreProblem]:
    path = paths.settings_file
    before = snapshot(path)
    store, settings, problems = load_settings(paths)
    check_problems(path, before, problems)
    check_no_silent_change(path, before, problems)
    kept = [p.backup for p in problems if p.backup is not None]
    kept_snapshots = [snapshot(b) for b in kept]
    try:
        store.save(settings)
    except StoreError as exc:
        check(not writable, "a save fails only where it cannot write", exc.message)
        check(str(path) in exc.message, "a failed save names the file", exc.message)
        check(same(before, path), "a failed save leaves the file as it was", before, snapshot(path))
    else:
        again, again_problems = SettingsStore(paths).load()
        check(again_problems == [] and again == settings, "what was saved reads back without problems",
              again_problems, again, settings)
    check(all(same(s, b) for s, b in zip(kept_snapshots, kept, strict=True)), "backups survive the save")
    return problems


def survive_profiles(paths: AppPaths, *, writable: bool = True) -> list[StoreProblem]:
    path = paths.profiles_file
    before = snapshot(path)
    book = ProfileBook(paths)
    problems = book.load()
    check_problems(path, before, problems)
    check_no_silent_change(path, before, problems)
    profiles = [*book.instances, *book.tunnels]
    check(all(p.validate() == [] for p in profiles), "the profiles in use are valid", profiles)
    check(len({p.name.casefold() for p in profiles}) == len(profiles), "profile names are unique", profiles)
    try:
        book.save()
    except StoreError as exc:
        check(not writable, "a save fails only where it cannot write", exc.message)
        check(str(path) in exc.message, "a failed save names the file", exc.message)
    else:
        again = ProfileBook(paths)
        check(again.load() == [] and again.instances == book.instances and again.tunnels == book.tunnels,
              "what was saved reads back without problems")
    return problems


def survive_history(paths: AppPaths) -> list[StoreProblem]:
    path = paths.history_file
    before = snapshot(path)
    history = History(path, max_entries=20)
    problems = history.check()
    check_problems(path, before, problems)
    history.recent()
    history.recent_connections()
    for _ in range(30):  # enough to compact
        history.add("connect", profile="web", target="i-0123456789abcdef0", region="eu-west-1")
    entries = history.recent()
    check(all(isinstance(e.profile, str) and isinstance(e.local_port, int) for e in entries), "entries are typed")
    return problems
