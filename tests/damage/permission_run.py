"""Permission damage, for real: run where file modes apply (``setpriv`` without the capabilities that
let root ignore them, or as an ordinary user), by tests/damage/test_storage_damage.py.

    setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search -- \\
        python -m tests.damage.permission_run

Prints one JSON line of figures last; exits non-zero (with the failing case) if a state is not survived.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.damage import damage
from tests.damage.damage import PROFILES, SETTINGS, content_damage, encoded
from vouch_desktop.core.connect.ssh_config import SshConfigEditor, SshConfigError
from vouch_desktop.core.errors import StoreError
from vouch_desktop.core.storage.profile_io import ImportRefused, read_profiles
from vouch_desktop.core.storage.settings import Settings, SettingsStore
from vouch_desktop.core.system.paths import AppPaths

counts: Counter[str] = Counter()


def modes_enforced() -> bool:
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "probe"
        probe.write_text("x")
        probe.chmod(0)
        try:
            probe.read_text()
        except PermissionError:
            return True
        finally:
            probe.chmod(0o600)
    return False


def restore_modes(root: Path) -> None:
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            if not path.is_symlink():
                path.chmod(0o700)


CONTENT = st.sampled_from(["valid", "damaged", "newer", "older", "partly bad"])
MODES = st.sampled_from(["file 000", "folder 555", "folder 555 + file 000", "folder 000"])


def write(path: Path, document: dict, content: str, data: st.DataObject) -> None:
    if content == "valid":
        path.write_bytes(encoded(document))
    elif content == "damaged":
        path.write_bytes(data.draw(content_damage(document))[1])
    elif content == "newer":
        path.write_bytes(encoded({**document, "schema_version": 7}))
    elif content == "older":
        path.write_bytes(encoded({k: v for k, v in document.items() if k != "schema_version"}))
    else:  # one field of the wrong type: the rest is used, the file must be kept before a save drops it
        bad = json.loads(json.dumps(document))
        if "instances" in bad:
            bad["instances"][0]["region"] = 5
        else:
            bad["regions"] = [1, 2]
        path.write_bytes(encoded(bad))


def apply_mode(path: Path, mode: str) -> bool:
    """Returns whether the folder stays writable."""
    if "file 000" in mode:
        path.chmod(0)
    if "folder 555" in mode:
        path.parent.chmod(0o555)
    if mode == "folder 000":
        path.parent.chmod(0)
    return "folder" not in mode


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data(), which=st.sampled_from(["settings", "profiles"]), content=CONTENT, mode=MODES)
def own_files(data: st.DataObject, which: str, content: str, mode: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        paths = AppPaths.under(Path(folder)).ensure()
        path = paths.settings_file if which == "settings" else paths.profiles_file
        write(path, SETTINGS if which == "settings" else PROFILES, content, data)
        writable = apply_mode(path, mode)
        counts["tried"] += 1
        counts[f"{which} {content} / {mode}"] += 1
        try:
            if which == "settings":
                damage.survive_settings(paths, writable=writable)
            else:
                damage.survive_profiles(paths, writable=writable)
        finally:
            restore_modes(Path(folder))
        counts["survived"] += 1


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(mode=MODES)
def history(mode: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        paths = AppPaths.under(Path(folder)).ensure()
        paths.history_file.write_text('{"time": "2025-01-01T10:00:00+00:00", "kind": "login"}\n')
        apply_mode(paths.history_file, mode)
        counts["tried"] += 1
        try:
            damage.survive_history(paths)
        finally:
            restore_modes(Path(folder))
        counts["survived"] += 1


def save_into_a_read_only_folder() -> None:
    with tempfile.TemporaryDirectory() as folder:
        paths = AppPaths.under(Path(folder)).ensure()
        paths.config_dir.chmod(0o555)
        counts["tried"] += 1
        try:
            store = SettingsStore(paths)
            store.load()
            try:
                store.save(Settings(aws_profile="work"))
            except StoreError as exc:
                assert str(paths.settings_file) in exc.message and "Permission denied" in exc.message, exc.message
            else:
                raise AssertionError("a save into a read-only folder did not fail")
        finally:
            restore_modes(Path(folder))
        counts["survived"] += 1


def other_files() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        team = root / "team.toml"
        team.write_text('format = 1\n[[instance]]\nname = "web"\ntarget = "i-0123456789abcdef0"\n'
                        'region = "eu-west-1"\n')
        team.chmod(0)
        counts["tried"] += 1
        try:
            read_profiles(team)
        except ImportRefused as exc:
            assert str(team) in exc.message and "Permission denied" in exc.message, exc.message
        else:
            raise AssertionError("an unreadable import file was read")
        counts["survived"] += 1
        ssh = root / ".ssh"
        ssh.mkdir()
        (ssh / "config").write_text("Host bastion\n  User admin\n")
        ssh.chmod(0o555)  # the file is writable, its folder is not: neither backup nor rename can be made
        counts["tried"] += 1
        try:
            SshConfigEditor(ssh / "config").add_block("vouch")
        except SshConfigError as exc:
            assert "Permission denied" in exc.message and (ssh / "config").read_text() == "Host bastion\n  User admin\n"
        else:
            raise AssertionError("an ssh config in a read-only folder was changed")
        finally:
            restore_modes(root)
        counts["survived"] += 1


def main() -> int:
    enforced = modes_enforced()
    if not enforced:
        print(json.dumps({"modes_enforced": False}))
        return 1
    own_files()
    history()
    save_into_a_read_only_folder()
    other_files()
    kinds = len([k for k in counts if k not in ("tried", "survived")])
    print(json.dumps({"modes_enforced": True, "tried": counts["tried"], "survived": counts["survived"],
                      "combinations": kinds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
