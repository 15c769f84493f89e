"""The real app and the real commands, started once on each class of damage to the files they read:
the app starts (and quits when told), no traceback, the message names the file, the original is kept
or backed up. Permission damage runs without root's DAC capabilities (see test_storage_damage.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.damage.damage import PROFILES, SETTINGS, Snapshot, encoded, snapshot
from tests.damage.test_storage_damage import unprivileged
from vouch_desktop.cli.exit_codes import ExitCode
from vouch_desktop.demo.fake_tools import fake_vouch_path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Home:
    root: Path
    config: Path  # the app's folders, as platformdirs puts them under the XDG variables
    state: Path
    env: dict[str, str]

    @property
    def settings(self) -> Path:
        return self.config / "settings.json"

    @property
    def profiles(self) -> Path:
        return self.config / "profiles.json"

    @property
    def history(self) -> Path:
        return self.state / "history.jsonl"


@pytest.fixture
def home(isolated_home: Path, tmp_path: Path) -> Iterator[Home]:
    runtime = tempfile.mkdtemp(prefix="vd-", dir="/tmp")  # AF_UNIX socket paths must stay short
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime, VOUCH_DEMO_STATE_DIR=str(tmp_path / "vouch-state"),
               PATH=f"{Path(fake_vouch_path()).parent}{os.pathsep}{os.environ['PATH']}")
    config = isolated_home / ".config" / "vouch-desktop"
    state = isolated_home / ".local" / "state" / "vouch-desktop"
    config.mkdir(parents=True)
    state.mkdir(parents=True)
    yield Home(isolated_home, config, state, env)
    for folder, dirs, _ in os.walk(isolated_home):  # undo read-only folders, so the clean-up can remove them
        for name in dirs:
            if not (Path(folder) / name).is_symlink():
                (Path(folder) / name).chmod(0o700)
    shutil.rmtree(runtime, ignore_errors=True)


def write(path: Path, document: dict, **changes: object) -> None:
    path.write_bytes(encoded({**document, **changes}))


# each damage class: (how to make it, the file the message must name, whether it needs real permissions)
Damage = Callable[[Home], Path]


def settings_folder(home: Home) -> Path:
    home.settings.mkdir()
    (home.settings / "note.txt").write_text("kept")
    return home.settings


def settings_not_utf8(home: Home) -> Path:
    home.settings.write_bytes(encoded(SETTINGS).replace(b'"work"', b'"w\xf6rk"'))
    return home.settings


def settings_wrong_types(home: Home) -> Path:
    write(home.settings, SETTINGS, aws_profile=5, regions=[1, 2], notify_enabled="yes")
    return home.settings


def settings_schema_not_finite(home: Home) -> Path:
    home.settings.write_bytes(encoded(SETTINGS).replace(b'"schema_version": 1', b'"schema_version": 1e309'))
    return home.settings


def settings_named_pipe(home: Home) -> Path:
    os.mkfifo(home.settings)  # reading it would wait for a writer forever
    return home.settings


def profiles_wrong_types(home: Home) -> Path:
    bad = json.loads(json.dumps(PROFILES))
    bad["instances"][0]["name"] = 42
    bad["instances"][1]["region"] = ["eu-west-1"]
    bad["tunnels"] = 5
    home.profiles.write_bytes(encoded(bad))
    return home.profiles


def history_folder(home: Home) -> Path:
    home.history.mkdir()
    return home.history


def config_folder_is_a_file(home: Home) -> Path:
    home.config.rmdir()
    home.config.write_text("not a folder")
    return home.settings


def read_only_folder_damaged_settings(home: Home) -> Path:
    home.settings.write_bytes(b'{"kind": "settings", "schema_version": 1, "regions": ')
    home.config.chmod(0o555)
    return home.settings


def read_only_folder_newer_settings(home: Home) -> Path:
    write(home.settings, SETTINGS, schema_version=7, future_field={"x": 1})
    home.config.chmod(0o555)
    return home.settings


def unreadable_settings(home: Home) -> Path:
    write(home.settings, SETTINGS)
    home.settings.chmod(0)
    return home.settings


def read_only_folder_partly_bad_profiles(home: Home) -> Path:
    bad = json.loads(json.dumps(PROFILES))
    bad["instances"][0]["target"] = 12345
    home.profiles.write_bytes(encoded(bad))
    home.config.chmod(0o555)
    return home.profiles


def read_only_log_folder(home: Home) -> Path:
    log = home.state / "log"
    log.mkdir()
    log.chmod(0o555)
    return log / "vouch-desktop.log"


APP_DAMAGE: dict[str, tuple[Damage, bool]] = {
    "settings.json is a folder": (settings_folder, False),
    "settings.json is not UTF-8": (settings_not_utf8, False),
    "settings of the wrong types": (settings_wrong_types, False),
    "schema_version 1e309": (settings_schema_not_finite, False),
    "settings.json is a named pipe": (settings_named_pipe, False),
    "profiles of the wrong types": (profiles_wrong_types, False),
    "history.jsonl is a folder": (history_folder, False),
    "the config folder is a file": (config_folder_is_a_file, False),
    "read-only folder, damaged settings": (read_only_folder_damaged_settings, True),
    "read-only folder, newer settings": (read_only_folder_newer_settings, True),
    "settings.json of mode 000": (unreadable_settings, True),
    "read-only folder, partly bad profiles": (read_only_folder_partly_bad_profiles, True),
    "read-only log folder": (read_only_log_folder, True),
}


def originals(path: Path) -> tuple[Snapshot, dict[str, Snapshot]]:
    folder = path.parent
    others = {p.name: snapshot(p) for p in folder.iterdir()} if folder.is_dir() and os.access(folder, os.R_OK) else {}
    return snapshot(path), others


def assert_kept(path: Path, before: Snapshot) -> None:
    """The original is where it was, or in a backup beside it."""
    if before.kind == "missing" or snapshot(path) == before:
        return
    backups = [p for p in path.parent.iterdir() if p.name.startswith(path.name + ".")]
    assert any(snapshot(b) == before for b in backups), (before, snapshot(path), backups)


def run(argv: list[str], home: Home, privileged: bool, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    prefix = [] if not privileged else unprivileged()
    return subprocess.run([*prefix, sys.executable, "-m", "vouch_desktop", *argv], env=home.env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.mark.desktop
@pytest.mark.parametrize("name", list(APP_DAMAGE))
def test_the_app_starts_on_each_class_of_damage(home, name, reliability):
    make, needs_modes = APP_DAMAGE[name]
    path = make(home)
    before = snapshot(path)
    done = run(["--quit-after", "0.3"], home, needs_modes)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert "vouch-desktop: ready" in done.stdout, done.stdout + done.stderr
    assert str(path) in done.stderr, done.stderr  # the log line of the notification the user is shown
    for folder, dirs, _ in os.walk(home.root):  # look at what is left as the user can
        for sub in dirs:
            if not (Path(folder) / sub).is_symlink():
                (Path(folder) / sub).chmod(0o700)
    assert_kept(path, before)
    if name == "the config folder is a file":
        assert home.config.read_text() == "not a folder"
    reliability(started=1, tracebacks=0, permissions_real=needs_modes)


STATUS_DAMAGE = ["settings.json is a folder", "settings.json is not UTF-8", "settings of the wrong types",
                 "schema_version 1e309", "settings.json is a named pipe", "the config folder is a file",
                 "read-only folder, damaged settings", "settings.json of mode 000"]


@pytest.mark.parametrize("name", STATUS_DAMAGE)
def test_status_runs_on_each_class_of_damage(home, name):
    make, needs_modes = APP_DAMAGE[name]
    path = make(home)
    before = snapshot(path)
    done = run(["status"], home, needs_modes)
    assert done.returncode in (ExitCode.OK, ExitCode.NOT_LOGGED_IN), done.stderr
    assert "Traceback" not in done.stderr and "Not logged in" in done.stdout or "Logged in" in done.stdout, done
    assert str(path) in done.stderr, done.stderr
    for folder, dirs, _ in os.walk(home.root):
        for sub in dirs:
            if not (Path(folder) / sub).is_symlink():
                (Path(folder) / sub).chmod(0o700)
    assert_kept(path, before)
    if name == "the config folder is a file":
        assert home.config.read_text() == "not a folder"


GOOD_TOML = ('format = 1\n[[instance]]\nname = "web"\ntarget = "i-0123456789abcdef0"\nregion = "eu-west-1"\n'
             '[[tunnel]]\nname = "db"\ntarget = "i-0123456789abcdef0"\nremote_port = 5432\nregion = "eu-west-1"\n'
             'remote_host = "db.example.com"\n')
IMPORT_DAMAGE: dict[str, tuple[bytes | None, str]] = {  # file content (None: a folder), what the report says
    "wrong type": (GOOD_TOML.replace("remote_port = 5432", 'remote_port = "5432"').encode(),
                   "'remote_port' should be a whole number, not text ('5432')"),
    "unknown key": (GOOD_TOML.replace('region = "eu-west-1"\n[[tunnel]]', 'regoin = "eu-west-1"\n'
                                                                          'region = "eu-west-1"\n[[tunnel]]').encode(),
                    "unknown field 'regoin'"),
    "duplicate name": (GOOD_TOML.replace('name = "db"', 'name = "WEB"').encode(), "used by an earlier profile"),
    "huge value": (GOOD_TOML.replace('"i-0123456789abcdef0"\nregion', '"' + "i" * 200_000 + '"\nregion', 1).encode(),
                   "is not an instance id"),
    "unknown top-level key": ((GOOD_TOML + "[[instances]]\nname = 'x'\n").encode(), "unknown key 'instances'"),
    "not UTF-8": (GOOD_TOML.encode() + b"# \xff\n", "not UTF-8"),
    "a folder": (None, "it is a folder"),
    "not TOML": (b"[[instance]\nname = ", "is not a valid profiles file"),
}


@pytest.mark.parametrize("name", list(IMPORT_DAMAGE))
def test_profiles_import_reports_each_class_of_damage_and_changes_nothing(home, tmp_path, name, reliability):
    content, said = IMPORT_DAMAGE[name]
    write(home.profiles, {"kind": "profiles", "schema_version": 1, "instances": [
        {"name": "mine", "target": "i-0fedcba9876543210", "region": "us-east-1"}], "tunnels": []})
    mine = home.profiles.read_bytes()
    source = tmp_path / "team.toml"
    if content is None:
        source.mkdir()
    else:
        source.write_bytes(content)
    done = run(["profiles", "import", str(source), "--apply"], home, False)
    output = done.stdout + done.stderr
    assert done.returncode == ExitCode.FAILED, output
    assert "Traceback" not in output and said in output and str(source) in output, output
    assert max(len(line) for line in output.splitlines()) < 400, output  # a huge value is quoted, not printed
    assert home.profiles.read_bytes() == mine  # nothing applied
    reliability(refused=1, applied=0)


def test_profiles_import_of_a_good_file_applies_it(home, tmp_path):
    source = tmp_path / "team.toml"
    source.write_text(GOOD_TOML)
    done = run(["profiles", "import", str(source), "--apply"], home, False)
    assert done.returncode == ExitCode.OK, done.stdout + done.stderr
    assert "added web" in done.stdout and "added db" in done.stdout
    saved = json.loads(home.profiles.read_text())
    assert [p["name"] for p in saved["instances"]] == ["web"] and [p["name"] for p in saved["tunnels"]] == ["db"]
