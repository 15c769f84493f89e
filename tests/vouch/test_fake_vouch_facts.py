"""The fake vouch and the fake agent against the facts read from the real ones (tests/vouch/vouch_cli_facts.py):
prompts and the streams they go to, messages, exit codes, status JSON, setup flags, the agent's protocol.
The app's own expectations (core/vouch/cli_text.py) are held against the same facts."""

from __future__ import annotations

import configparser
import json
import os
import socket
import stat
import struct
import subprocess
from pathlib import Path

import pytest

from tests.vouch import tty_run
from tests.vouch.vouch_cli_facts import (
    AGENT_ERRORS,
    AGENT_MAX_FRAME,
    AGENT_SESSION_FIELDS,
    AGENT_SOCKET_NAME,
    CLAP_UNKNOWN_ARGUMENT,
    ERROR_PREFIX,
    EXIT_CODES,
    LOGIN_EXIT,
    SETUP_AWS_CREDENTIAL_PROCESS,
    SETUP_AWS_DEFAULT_PROFILE,
    SETUP_AWS_WITHOUT_ROLE_EXIT,
    STATUS_FIELDS,
    STATUS_LOGGED_OUT,
    TOUCH_LINE,
    text,
)
from vouch_desktop.core.vouch import cli_text
from vouch_desktop.demo.fake_vouch_agent import FakeVouchAgent

ROLE = "arn:aws:iam::123456789012:role/Dev"
FACTS_NOTES = Path("/work/shared/reference/vouch-cli-facts.md")


def cli(fake_vouch, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([fake_vouch.path, *args], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL, start_new_session=True, env=env)


def login(fake_vouch, *args: str) -> tty_run.TtyRun:
    return tty_run.start([fake_vouch.path, "login", *args])


# ---------------------------------------------------------------- login, through a real terminal
def test_login_prompts_pin_on_stderr_reads_the_tty_then_touch_on_stdout(fake_vouch):
    fake_vouch.configure(touch_seconds=0.1)
    run = login(fake_vouch)
    run.read_until(text("fido2-pin-prompt") + " ", "stderr")
    assert run.out.startswith(text("login-starting") + "\n\n" + text("login-contacting-server", server="https://us.vouch.sh")
                              + " " + text("login-contact-ok") + "\n")
    assert "PIN" not in run.out  # the prompt is not on stdout
    run.type("123456")
    assert run.finish() == 0
    assert f"\n{TOUCH_LINE}\n" in run.out
    assert text("login-success-as", email="demo.user@example.com") in run.out
    assert run.err.count("PIN:") == 1


def test_wrong_pin_no_second_prompt_the_clis_words_exit_1(fake_vouch):
    run = login(fake_vouch)
    run.read_until("PIN: ", "stderr")
    run.type("000000")
    assert run.finish() == LOGIN_EXIT["wrong PIN"] == EXIT_CODES["GENERAL"]
    assert TOUCH_LINE in run.out  # printed before the key refuses the PIN
    assert run.err.count("PIN:") == 1
    assert run.err.endswith(ERROR_PREFIX + text("fido2-err-pin-invalid") + "\n")


def test_blocked_pin_ends_with_the_reset_advice(fake_vouch):
    fake_vouch.state.set_pin_retries(0)
    run = login(fake_vouch)
    run.read_until("PIN: ", "stderr")
    run.type("123456")
    assert run.finish() == LOGIN_EXIT["blocked PIN"]
    assert ERROR_PREFIX + text("fido2-err-pin-blocked") in run.err
    assert run.err.strip().splitlines()[-1] == text("fido2-err-pin-blocked-last-line")


def test_the_last_retry_blocks_and_three_wrong_in_a_row_need_a_replug(fake_vouch):
    fake_vouch.state.set_pin_retries(1)
    run = login(fake_vouch)
    run.read_until("PIN: ", "stderr")
    run.type("000000")
    assert run.finish() == 1 and text("fido2-err-pin-blocked") in run.err
    fake_vouch.state.set_pin_retries(8)
    for _attempt in range(3):
        run = login(fake_vouch)
        run.read_until("PIN: ", "stderr")
        run.type("000000")
        assert run.finish() == LOGIN_EXIT["PIN auth blocked"]
    assert text("fido2-err-pin-auth-blocked") in run.err  # the third in a row
    fake_vouch.configure(key_present=False)
    fake_vouch.configure(key_present=True, touch_seconds=0.1)  # unplugged and plugged in again
    run = login(fake_vouch)
    run.read_until("PIN: ", "stderr")
    run.type("123456")
    assert run.finish() == 0


def test_a_key_without_a_pin_asks_for_a_new_one(fake_vouch):
    fake_vouch.configure(pin_set=False, touch_seconds=0.1)
    run = login(fake_vouch)
    run.read_until(text("fido2-pin-prompt-new") + " ", "stderr")
    assert text("fido2-setup-pin-intro") in run.out
    assert text("fido2-pin-prompt") not in run.err  # it never asks for the (non-existent) PIN
    run.type("12345678")
    run.read_until(text("fido2-pin-prompt-confirm") + " ", "stderr")
    run.type("12345678")
    assert run.finish() == 0
    assert fake_vouch.state.knobs()["pin"] == "12345678"


def test_no_key_waits_with_the_insert_prompt_until_the_timeout_then_exit_3(fake_vouch):
    fake_vouch.configure(key_present=False)
    run = login(fake_vouch, "--timeout", "1")
    run.read_until(text("fido2-insert-prompt"), "stdout")
    assert run.finish() == LOGIN_EXIT["no key until the time-out"] == EXIT_CODES["HARDWARE_NOT_FOUND"]
    assert run.err.endswith(ERROR_PREFIX + text("fido2-err-insert-prompt", timeout=1) + "\n")


def test_a_key_plugged_in_while_it_waits_is_detected(fake_vouch):
    fake_vouch.configure(key_present=False, touch_seconds=0.1)
    run = login(fake_vouch, "--timeout", "30")
    run.read_until(text("fido2-insert-prompt"), "stdout")
    fake_vouch.configure(key_present=True)
    run.read_until(text("fido2-detected"), "stdout")
    run.read_until("PIN: ", "stderr")
    run.type("123456")
    assert run.finish() == 0


def test_server_unreachable_at_login_is_exit_4(fake_vouch):
    fake_vouch.configure(network_down=True)
    run = login(fake_vouch)
    assert run.finish() == LOGIN_EXIT["server unreachable"] == EXIT_CODES["NETWORK_ERROR"]
    assert "PIN" not in run.err


def test_webauthn_mode_needs_no_terminal_and_follows_the_windows_codes(fake_vouch):
    fake_vouch.configure(webauthn=True, touch_seconds=0.1)
    ok = cli(fake_vouch, "login")
    assert ok.returncode == 0 and "PIN" not in ok.stderr + ok.stdout and TOUCH_LINE not in ok.stdout
    fake_vouch.configure(webauthn_result="cancelled")
    cancelled = cli(fake_vouch, "login")
    assert cancelled.returncode == LOGIN_EXIT["Windows prompt cancelled"]
    assert cancelled.stderr == ERROR_PREFIX + text("webauthn-err-cancelled") + "\n"
    fake_vouch.configure(webauthn_result="ok", key_present=False)
    timed_out = cli(fake_vouch, "login", "--timeout", "1")
    assert timed_out.returncode == LOGIN_EXIT["Windows prompt timed out"]
    assert timed_out.stderr == ERROR_PREFIX + text("webauthn-err-timeout") + "\n"


@pytest.mark.parametrize("name", sorted(EXIT_CODES))
def test_every_exit_code_with_its_message(fake_vouch, name):
    code = EXIT_CODES[name]
    fake_vouch.configure(exit_code=code)
    result = cli(fake_vouch, "credential", "aws", "--role", ROLE)
    assert result.returncode == code and result.stderr.startswith(ERROR_PREFIX)
    if name == "STEP_UP_REQUIRED":
        assert result.stderr == ERROR_PREFIX + text("err-step-up-required") + "\n"
    if name == "RATE_LIMITED":
        assert result.stderr == ERROR_PREFIX + text("err-rate-limited") + "\n"
    if name == "NOT_AUTHENTICATED":
        assert result.stderr == ERROR_PREFIX + text("client-err-not-authenticated") + "\n"


# ---------------------------------------------------------------- status
def test_status_json_is_pretty_and_only_the_documented_fields(fake_vouch):
    fake_vouch.log_in(3600)
    result = cli(fake_vouch, "status", "--format", "json")
    data = json.loads(result.stdout)
    assert result.returncode == 0 and result.stdout.startswith("{\n  \"authenticated\": true")
    assert list(data) == [f for f in STATUS_FIELDS if f in data] and set(data) == set(STATUS_FIELDS)
    fake_vouch.log_out()
    assert json.loads(cli(fake_vouch, "status", "--format", "json").stdout) == STATUS_LOGGED_OUT


def test_status_unknown_flag_is_claps_exit_2_and_an_older_cli_has_only_json(fake_vouch):
    newest = cli(fake_vouch, "status", "--json")
    assert newest.returncode == 2 and CLAP_UNKNOWN_ARGUMENT in newest.stderr
    fake_vouch.configure(status_flags="json")
    fake_vouch.log_in(600)
    assert json.loads(cli(fake_vouch, "status", "--json").stdout)["authenticated"] is True
    assert cli(fake_vouch, "status", "--format", "json").returncode == 2


def test_server_unreachable_is_authenticated_false_with_exit_0(fake_vouch):
    fake_vouch.log_in(3600)
    fake_vouch.configure(network_down=True)
    result = cli(fake_vouch, "status", "--format", "json")
    assert result.returncode == 0 and json.loads(result.stdout) == STATUS_LOGGED_OUT


def test_rust_log_lines_come_first_on_stdout(fake_vouch):
    fake_vouch.log_in(600)
    result = cli(fake_vouch, "status", "--format", "json", env={**os.environ, "RUST_LOG": "debug"})
    first, rest = result.stdout.split("\n", 1)
    assert " DEBUG " in first and not first.startswith("{")
    assert json.loads(rest[rest.index("{"):])["authenticated"] is True


# ---------------------------------------------------------------- setup aws
def profiles(isolated_home: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read(isolated_home / ".aws" / "config")
    return parser


def test_setup_aws_needs_a_role(fake_vouch, isolated_home):
    result = cli(fake_vouch, "setup", "aws")
    assert result.returncode == SETUP_AWS_WITHOUT_ROLE_EXIT == EXIT_CODES["CONFIG_ERROR"]
    assert result.stderr == ERROR_PREFIX + text("setup-aws-err-role-required") + "\n"
    assert not (isolated_home / ".aws" / "config").exists()


def test_setup_aws_writes_region_only_when_given_and_names_profiles_as_vouch_does(fake_vouch, isolated_home):
    assert cli(fake_vouch, "setup", "aws", "--role", ROLE).returncode == 0
    config = profiles(isolated_home)
    section = f"profile {SETUP_AWS_DEFAULT_PROFILE}"
    assert not config.has_option(section, "region")
    assert config.get(section, "credential_process") == SETUP_AWS_CREDENTIAL_PROCESS.format(
        vouch=os.path.abspath(fake_vouch.path), role=ROLE)
    assert cli(fake_vouch, "setup", "aws", "--role", ROLE + "2", "--region", "eu-west-1").returncode == 0
    assert profiles(isolated_home).get("profile vouch-2", "region") == "eu-west-1"


def test_setup_aws_leaves_an_existing_profile_alone(fake_vouch, isolated_home):
    assert cli(fake_vouch, "setup", "aws", "--role", ROLE, "--profile", "work").returncode == 0
    before = (isolated_home / ".aws" / "config").read_bytes()
    again = cli(fake_vouch, "setup", "aws", "--role", ROLE + "-other", "--profile", "work", "--region", "us-east-1")
    assert again.returncode == 0
    assert text("setup-aws-profile-already-exists", profile="work",
                config_path=isolated_home / ".aws" / "config") in again.stdout
    assert (isolated_home / ".aws" / "config").read_bytes() == before


# ---------------------------------------------------------------- the agent
def frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


def agent_roundtrip(path: Path, payload: bytes) -> dict:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        sock.sendall(frame(payload))
        (length,) = struct.unpack(">I", sock.recv(4, socket.MSG_WAITALL))
        assert 0 < length <= AGENT_MAX_FRAME
        return json.loads(sock.recv(length, socket.MSG_WAITALL))


@pytest.fixture
def runtime_dir(monkeypatch, tmp_path_factory):
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="vd-run-", dir="/tmp"))  # AF_UNIX paths stay short
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def test_agent_protocol_and_socket(fake_vouch, runtime_dir):
    path = runtime_dir / "vouch" / AGENT_SOCKET_NAME
    with FakeVouchAgent(fake_vouch.state, path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        out = agent_roundtrip(path, b'{"jsonrpc":"2.0","id":7,"method":"get_session"}')
        assert out["id"] == 7 and out["error"]["code"] == AGENT_ERRORS["NOT_AUTHENTICATED"]
        fake_vouch.log_in(3600)
        out = agent_roundtrip(path, b'{"jsonrpc":"2.0","id":8,"method":"get_session"}')
        assert set(AGENT_SESSION_FIELDS) <= set(out["result"]) and 3590 <= out["result"]["expires_in_seconds"] <= 3600
        assert agent_roundtrip(path, b'{"jsonrpc":"2.0","id":9,"method":"fly"}')["error"]["code"] == \
            AGENT_ERRORS["METHOD_NOT_FOUND"]
        broken = agent_roundtrip(path, b"{not json")
        assert broken["id"] == 0 and broken["error"]["code"] == AGENT_ERRORS["PARSE_ERROR"]
        # the CLI's status asks the agent first
        assert json.loads(cli(fake_vouch, "status", "--format", "json").stdout)["agent_running"] is True
    assert not path.exists()
    assert json.loads(cli(fake_vouch, "status", "--format", "json").stdout)["agent_running"] is False


# ---------------------------------------------------------------- the app's expectations, the same facts
def test_the_apps_expectations_are_the_facts():
    assert text("fido2-pin-prompt") == cli_text.PIN_PROMPT
    assert text("fido2-pin-prompt-new") == cli_text.NEW_PIN_PROMPT
    assert text("fido2-setup-pin-intro") == cli_text.NO_PIN_INTRO
    assert text("fido2-insert-prompt") == cli_text.INSERT_PROMPT
    assert cli_text.TOUCH_PROMPT == TOUCH_LINE
    assert text("fido2-err-pin-invalid").splitlines()[0] == cli_text.PIN_INVALID
    assert text("fido2-err-pin-blocked") == cli_text.PIN_BLOCKED
    assert text("fido2-err-pin-auth-blocked").splitlines()[0] == cli_text.PIN_AUTH_BLOCKED
    assert text("login-contacting-server", server="").split("(")[0].strip() == cli_text.CONTACTING_SERVER
    assert cli_text.LOGIN_TIMEOUT_DEFAULT == 60
    for name, code in EXIT_CODES.items():
        assert cli_text.EXIT_CODES[name] == code


@pytest.mark.skipif(not FACTS_NOTES.exists(), reason="the team's notes are outside this repository")
def test_the_team_notes_say_the_same():
    notes = " ".join(FACTS_NOTES.read_text(encoding="utf-8").split())  # line breaks are the writer's
    for fact in ("`YubiKey PIN: `", "`New PIN (minimum 8 characters):`", "Incorrect PIN. Please try again.",
                 "Please insert your YubiKey...", "7 step-up required", "8 rate limited", "--role ARN",
                 "`region` only when `--region` is given", "4-byte big-endian length"):
        assert fact in notes, fact
