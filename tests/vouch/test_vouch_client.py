"""The vouch client against the fake vouch CLI: every exit code, bad output, a hanging CLI."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time

import psutil
import pytest

from vouch_desktop.core.vouch.client import (
    VouchBadOutput,
    VouchClient,
    VouchConfigError,
    VouchFailed,
    VouchNetworkError,
    VouchNoKey,
    VouchNotInstalled,
    VouchNotLoggedIn,
    VouchPermissionError,
    VouchRateLimited,
    VouchStepUpRequired,
    VouchTimeout,
)


def cli(fake_vouch, *args, **kwargs):
    return subprocess.run([fake_vouch.path, *args], capture_output=True, text=True, timeout=20, **kwargs)


def test_fake_cli_status_json_both_spellings(fake_vouch):
    out = json.loads(cli(fake_vouch, "status", "--format", "json").stdout)
    assert out == {"authenticated": False, "agent_running": False}
    fake_vouch.log_in(3600)
    for flags, args in (("format", ["--format", "json"]), ("json", ["--json"])):
        fake_vouch.configure(status_flags=flags)
        data = json.loads(cli(fake_vouch, "status", *args).stdout)
        assert data["authenticated"] is True and data["email"] == "demo.user@example.com"
        assert 3590 <= data["expires_in_seconds"] <= 3600


def test_fake_cli_credential_and_exit_codes(fake_vouch):
    denied = cli(fake_vouch, "credential", "aws", "--role", "arn:aws:iam::1:role/R")
    assert denied.returncode == 2 and "not authenticated" in denied.stderr
    fake_vouch.log_in(600)
    creds = json.loads(cli(fake_vouch, "credential", "aws", "--role", "arn:aws:iam::1:role/R").stdout)
    assert creds["Version"] == 1 and creds["AccessKeyId"].startswith("ASIA") and creds["SessionToken"]
    for code in range(1, 9):
        fake_vouch.configure(exit_code=code)
        assert cli(fake_vouch, "status", "--format", "json").returncode == code
    fake_vouch.configure(exit_code=0)
    assert cli(fake_vouch, "logout").returncode == 0
    assert json.loads(cli(fake_vouch, "status", "--format", "json").stdout)["authenticated"] is False
    without_state = {k: v for k, v in os.environ.items() if k != "VOUCH_DEMO_STATE_DIR"}
    assert cli(fake_vouch, "status", env=without_state).returncode == 6


def test_fake_cli_login_needs_a_terminal(fake_vouch):
    result = subprocess.run([fake_vouch.path, "login"], capture_output=True, text=True, timeout=20,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    assert result.returncode == 1 and "failed to read PIN" in result.stderr


def status(client):
    return asyncio.run(client.status())


def test_client_reads_status_and_computes_absolute_expiry(fake_vouch):
    fake_vouch.log_in(7200, email="ana@example.com")
    before = time.time()
    st = status(VouchClient(fake_vouch.path))
    assert st.authenticated and st.email == "ana@example.com"
    assert before + 7190 <= st.expires_at <= time.time() + 7200
    fake_vouch.log_out()
    assert status(VouchClient(fake_vouch.path)).authenticated is False


def test_a_status_read_begun_ahead_runs_while_the_caller_works_and_answers_the_next_status(fake_vouch, tmp_path):
    """Start-up begins the read, then loads the rest of the app (the loop blocked): vouch runs meanwhile, and the
    first status() is that read, not a second run; the one after reads again."""
    runs = tmp_path / "runs"
    counting = tmp_path / "vouch"  # vouch, counting its runs
    counting.write_text(f"#!/bin/sh\necho run >> '{runs}'\nexec '{fake_vouch.path}' \"$@\"\n")
    counting.chmod(0o755)
    fake_vouch.log_in(600)

    async def scenario():
        client = VouchClient(str(counting))
        client.begin_status()
        await asyncio.sleep(0)  # vouch is started in the read's first step
        deadline = time.monotonic() + 10
        while not runs.exists():  # the loop blocked, as by the imports: vouch still starts and runs
            assert time.monotonic() < deadline, "vouch did not start while the loop was blocked"
            time.sleep(0.01)
        first = await client.status()
        assert runs.read_text().count("run") == 1
        fake_vouch.log_out()
        return first, await client.status()

    first, second = asyncio.run(scenario())
    assert first.authenticated and not second.authenticated
    assert runs.read_text().count("run") == 2


@pytest.mark.parametrize("code, error", [(1, VouchFailed), (2, VouchNotLoggedIn), (3, VouchNoKey),
                                         (4, VouchNetworkError), (5, VouchPermissionError), (6, VouchConfigError),
                                         (7, VouchStepUpRequired), (8, VouchRateLimited)])
def test_every_exit_code_has_its_error(fake_vouch, code, error):
    fake_vouch.configure(exit_code=code)
    client = VouchClient(fake_vouch.path)
    if code == 2:  # "not logged in" from status is an answer, not a failure
        assert status(client).authenticated is False
        with pytest.raises(VouchNotLoggedIn):
            asyncio.run(client.credential_works("arn:aws:iam::1:role/R"))
        return
    with pytest.raises(error) as err:
        status(client)
    assert err.value.message and (code == 1 or err.value.advice)


def test_malformed_output_and_missing_executable(fake_vouch, tmp_path):
    fake_vouch.configure(malformed_status=True)
    with pytest.raises(VouchBadOutput):
        status(VouchClient(fake_vouch.path))
    with pytest.raises(VouchNotInstalled):
        status(VouchClient(str(tmp_path / "no-such-vouch")))


def test_older_vouch_with_only_the_json_flag(fake_vouch):
    fake_vouch.configure(status_flags="json")  # `status --format json` is clap's "unexpected argument", exit 2
    fake_vouch.log_in(100)
    client = VouchClient(fake_vouch.path)
    assert status(client).authenticated is True
    assert client._status_args == ["status", "--json"]


def test_a_hanging_cli_times_out_and_its_process_is_gone(fake_vouch, reliability):
    fake_vouch.configure(hang=True)
    client = VouchClient(fake_vouch.path, timeout=1.0)
    start = time.monotonic()
    children_before = {p.pid for p in psutil.Process().children(recursive=True)}
    with pytest.raises(VouchTimeout):
        status(client)
    assert time.monotonic() - start < 8
    leftover = [p for p in psutil.Process().children(recursive=True) if p.pid not in children_before]
    assert leftover == []
    fake_vouch.configure(hang=False)  # the fault ends: the same client answers again
    fake_vouch.log_in(600)
    assert status(client).authenticated is True
    reliability(timeouts=1, leftover_processes=len(leftover), recovered=1)
