"""vouch's output of any shape: a sane status or "output this app cannot read", never another exception;
a vouch that is missing, a folder or not executable says so. Generated damage (hypothesis) through the
parser, through the real client and the fake vouch, and through `vouch-desktop status`."""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vouch_desktop.core.vouch.client import VouchClient
from vouch_desktop.core.vouch.errors import VouchBadOutput, VouchNotInstalled
from vouch_desktop.core.vouch.status import MAX_EMAIL, MAX_OUTPUT, MAX_SESSION_SECONDS, VouchStatus, parse_status

FIELDS = ("authenticated", "email", "expires_in_seconds", "agent_running")
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                      st.text(max_size=40))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                             st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                          max_leaves=12)
# a status object whose fields hold values of any type, sometimes the right one
field_value = st.one_of(json_value, st.integers(min_value=-10**30, max_value=10**30), st.booleans(),
                        st.emails(), st.sampled_from(["Infinity", "-Infinity", "NaN", "1e309", "-1e309"]))
status_object = st.dictionaries(st.sampled_from(FIELDS + ("extra",)), field_value, max_size=5)
LOG_LINE = "2026-01-01T00:00:00.000000Z DEBUG vouch_cli::commands::status: Agent not running, checking server\n"


def render(obj: dict, indent: int | None, raw_numbers: dict[str, str]) -> str:
    text = json.dumps(obj, indent=indent)
    for key, literal in raw_numbers.items():  # numbers JSON does not allow, or that overflow a float
        text = text.replace(json.dumps(key) + ": " + json.dumps(literal), json.dumps(key) + ": " + literal)
    return text


@st.composite
def vouch_outputs(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["object", "object", "text", "nested", "value", "bytes-ish"]))
    if kind == "object":
        obj = draw(status_object)
        raw = {k: v for k, v in obj.items() if v in ("Infinity", "-Infinity", "NaN", "1e309", "-1e309")}
        text = render(obj, draw(st.sampled_from([None, 2])), raw)
    elif kind == "text":
        text = draw(st.text(max_size=300))
    elif kind == "nested":
        depth = draw(st.integers(min_value=1, max_value=30_000))
        opener = draw(st.sampled_from(['[', '{"a":']))
        text = opener * depth + "1" + ("]" if opener == "[" else "}") * depth
    elif kind == "value":
        text = json.dumps(draw(json_value))
    else:
        text = draw(st.binary(max_size=200)).decode("latin-1")
    prefix = draw(st.sampled_from(["", LOG_LINE, LOG_LINE * 3, "warning: something\n"]))
    suffix = draw(st.sampled_from(["", "\n", "\ntrailing log line\n"]))
    return prefix + text + suffix


def assert_sane(status: VouchStatus) -> None:
    assert isinstance(status.authenticated, bool) and isinstance(status.agent_running, bool)
    assert isinstance(status.email, str) and len(status.email) <= MAX_EMAIL
    assert not any(unicodedata.category(c).startswith("C") for c in status.email)
    assert status.expires_in_seconds is None or (
        type(status.expires_in_seconds) is int and 0 <= status.expires_in_seconds <= MAX_SESSION_SECONDS)
    if status.expires_at is not None:
        assert math.isfinite(status.expires_at)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vouch_outputs())
def test_any_output_is_a_sane_status_or_cannot_read(text):
    try:
        status = parse_status(text, read_at=1_800_000_000.0)
    except VouchBadOutput as exc:
        assert "output this app cannot read" in exc.message and len(exc.detail) < 400
        return
    assert_sane(status)


@pytest.mark.parametrize("text, reason", [
    ("[" * 30_000 + "]" * 30_000, "no JSON object"),
    ('{"x": ' + "[" * 30_000 + "]" * 30_000 + "}", "nested too deeply"),
    ('{"a":' * 30_000 + "1" + "}" * 30_000, "nested too deeply"),
    ('{"authenticated": true, "expires_in_seconds": Infinity}', "not JSON"),
    ('{"authenticated": true, "expires_in_seconds": 1e309}', "not JSON"),
    ('{"authenticated": true, "expires_in_seconds": NaN}', "not JSON"),
    ('{"authenticated": true, "expires_in_seconds": -5}', "not between"),
    ('{"authenticated": true, "expires_in_seconds": 99999999999999999999999}', "not between"),
    ('{"authenticated": true, "expires_in_seconds": 3600.5}', "float, not int"),
    ('{"authenticated": "yes"}', "no true/false"),
    ('{"authenticated": true, "email": 42}', "'email' is int"),
    ('{"authenticated": true, "email": "a@b.c\\nLogged out"}', "not an e-mail address"),
    ('{"authenticated": false, "agent_running": "no"}', "'agent_running' is str"),
    ("[1, 2]", "no JSON object"),
    ("authenticated: yes", "no JSON object"),
    ('{"authenticated": true, "expires_in_seconds": ' + "9" * 5000 + "}", "not JSON"),
])
def test_named_damage_gets_a_reason(text, reason):
    with pytest.raises(VouchBadOutput) as err:
        parse_status(text, 0.0)
    assert reason in err.value.message


def test_log_lines_before_the_json_are_skipped():
    status = parse_status(LOG_LINE * 2 + '{\n  "authenticated": true,\n  "email": "a@b.c",\n'
                          '  "expires_in_seconds": 600,\n  "agent_running": false\n}\n', 100.0)
    assert status.authenticated and status.email == "a@b.c" and status.expires_at == 700.0


def test_authenticated_without_an_expiry_is_logged_in_with_no_countdown():
    status = parse_status('{"authenticated": true, "email": "a@b.c", "agent_running": false}', 0.0)
    assert status.authenticated and status.expires_at is None


# ---------------------------------------------------------------- through the real client and the fake vouch
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(vouch_outputs())
def test_the_client_survives_whatever_vouch_prints(fake_vouch, text):
    fake_vouch.state.override_status(text.encode("utf-8", errors="surrogateescape"))
    try:
        status = asyncio.run(VouchClient(fake_vouch.path).status())
    except VouchBadOutput:
        return
    assert_sane(status)


def test_endless_output_is_cut_at_the_limit_and_the_process_is_gone(fake_vouch, tmp_path):
    endless = tmp_path / "vouch"
    endless.write_text("#!/bin/sh\nwhile :; do echo '{\"authenticated\": true, \"padding\": \"xxxxxxxxxxxx\"}'; done\n")
    endless.chmod(0o755)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    started = time.monotonic()
    with pytest.raises(VouchBadOutput) as err:
        asyncio.run(VouchClient(str(endless), timeout=20).status())
    assert f"more than {MAX_OUTPUT:,} bytes" in err.value.message
    assert time.monotonic() - started < 10
    assert [p for p in psutil.Process().children(recursive=True) if p.pid not in before] == []


def test_a_huge_answer_that_ends(fake_vouch):
    fake_vouch.state.override_status(b'{"authenticated": false, "x": "' + b"y" * (3 * MAX_OUTPUT) + b'"}')
    with pytest.raises(VouchBadOutput):
        asyncio.run(VouchClient(fake_vouch.path).status())


def test_rust_log_is_not_passed_to_vouch(fake_vouch, monkeypatch):
    fake_vouch.log_in(600)
    monkeypatch.setenv("RUST_LOG", "trace")
    status = asyncio.run(VouchClient(fake_vouch.path).status())
    assert status.authenticated and status.email == "demo.user@example.com"


def test_a_folder_or_a_file_that_is_not_executable_says_exactly_that(tmp_path):
    folder = tmp_path / "vouch-folder"
    folder.mkdir()
    with pytest.raises(VouchNotInstalled) as err:
        asyncio.run(VouchClient(str(folder)).status())
    assert err.value.message == f"{folder} is a folder, not the vouch program."
    plain = tmp_path / "vouch"
    plain.write_text("#!/bin/sh\necho '{}'\n")
    plain.chmod(0o644)
    with pytest.raises(VouchNotInstalled) as err:
        asyncio.run(VouchClient(str(plain)).status())
    assert err.value.message == f"{plain} is not executable." and "chmod +x" in err.value.advice
    with pytest.raises(VouchNotInstalled) as err:
        asyncio.run(VouchClient(str(tmp_path / "missing")).status())
    assert "was not found" in err.value.message


# ---------------------------------------------------------------- `vouch-desktop status` (the app's CLI)
@pytest.fixture
def status_env(isolated_home, fake_vouch, tmp_path):
    runtime = tempfile.mkdtemp(prefix="vd-", dir="/tmp")
    os.chmod(runtime, 0o700)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "vouch").symlink_to(fake_vouch.path)
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime, PYTHONPATH=os.getcwd(),
               PATH=os.pathsep.join([str(bin_dir), os.environ["PATH"]]))
    yield env
    shutil.rmtree(runtime, ignore_errors=True)


DAMAGE = {"deep": b"[" * 30_000 + b"]" * 30_000, "infinity": b'{"authenticated": true, "expires_in_seconds": Infinity}',
          "1e309": b'{"authenticated": true, "expires_in_seconds": 1e309}',
          "negative": b'{"authenticated": true, "expires_in_seconds": -1}',
          "absurd": b'{"authenticated": true, "expires_in_seconds": 10000000000000}',
          "types": b'{"authenticated": 1, "email": ["x"]}', "huge": b"x" * (2 * MAX_OUTPUT),
          "not utf-8": b'{"authenticated": true, "email": "\xff\xfe"}'}


@pytest.mark.parametrize("name", sorted(DAMAGE))
def test_vouch_desktop_status_never_shows_a_traceback(status_env, fake_vouch, name):
    fake_vouch.state.override_status(DAMAGE[name])
    result = subprocess.run([sys.executable, "-m", "vouch_desktop", "status"], capture_output=True, text=True,
                            env=status_env, timeout=60)
    assert "Traceback" not in result.stderr + result.stdout
    if name == "not utf-8":  # read with replacement characters: a valid status, or a refused e-mail
        assert result.returncode in (0, 1)
        return
    assert result.returncode == 1
    assert "vouch status gave output this app cannot read" in result.stderr


def test_vouch_desktop_status_names_a_vouch_that_is_a_folder(status_env, isolated_home, tmp_path):
    folder = tmp_path / "not-a-program"
    folder.mkdir()
    settings_file = isolated_home / ".config" / "vouch-desktop" / "settings.json"
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    settings_file.write_text(json.dumps({"schema_version": 1, "vouch_path": str(folder)}))
    result = subprocess.run([sys.executable, "-m", "vouch_desktop", "status"], capture_output=True, text=True,
                            env=status_env, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{folder} is a folder, not the vouch program." in result.stderr
