"""The real thing (issue 22): a throwaway PostgreSQL with password auth behind the demo RDS endpoint, the
password in a real Secret Service (gnome-keyring-daemon), and the real psql opened through the tunnel by the
app's own plumbing (AppService.open_database_client → sign-in file → the db-client carrier → psql), with a
terminal-less opener that runs the same command on pipes. psql signs in and answers SELECT current_user;
the password is in no argv, in neither environment (read from /proc while psql runs), and in no file the
app wrote; the sign-in file is gone once psql ends."""

from __future__ import annotations

import asyncio
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.app.parts import make_service
from tests.core.test_tunnels import bastion
from vouch_desktop.core.app.service import TunnelNotUp
from vouch_desktop.core.databases.clients import NoClient, client_named
from vouch_desktop.core.databases.passwords import DatabaseAccount, PasswordVault
from vouch_desktop.core.databases.secret_files import SecretFiles
from vouch_desktop.core.databases.sign_in import DatabaseSignIn, PasswordAnswer, SignInCancelled
from vouch_desktop.core.storage.profiles import TunnelProfile
from vouch_desktop.core.tunnels.state import TunnelState

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
RDS_HOST = "orders-db.c9akciq32.eu-west-1.rds.amazonaws.com"


class PipeTerminal:
    """The terminal-less opener: runs what the app would hand a terminal, with its stdin and stdout on pipes."""

    def __init__(self) -> None:
        self.runs: list[tuple[list[str], str, subprocess.Popen]] = []

    async def __call__(self, argv: list[str], title: str) -> None:
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, start_new_session=True)
        self.runs.append((argv, title, process))

    def close(self) -> None:
        for _, _, process in self.runs:
            if process.poll() is None:
                process.kill()
            process.wait(20)
            for stream in (process.stdin, process.stdout, process.stderr):
                if stream is not None and not stream.closed:
                    stream.close()


class FailingTerminal:
    async def __call__(self, argv: list[str], title: str) -> None:
        raise RuntimeError("the terminal did not start")


@pytest.fixture
def world(postgres, aws_env, fake_aws, fake_vouch, secret_service, tmp_path):
    """A role with a hostile password on the real cluster, its RDS endpoint routed there, a bastion, and the
    application service with the real Secret Service."""
    role = "app_" + secrets.token_hex(4)
    password = "pw:" + secrets.token_urlsafe(9) + "\\ 'q' #é"  # what a pgpass line must escape, and more
    postgres.psql("-c", f"CREATE ROLE {role} LOGIN PASSWORD $pw${password}$pw$")
    fake_aws.add_route(RDS_HOST, 5432, ("127.0.0.1", postgres.port))
    service = make_service(tmp_path / "app", fake_vouch.path)
    service.settings.current.aws_profile = aws_env
    service.databases_sign_in = DatabaseSignIn(PasswordVault(service.paths.data_dir / "database-passwords.json",
                                                             backend=secret_service.backend),
                                               SecretFiles(service.paths.runtime_dir / "db-sign-in"), service.aws)
    profile = TunnelProfile("orders", bastion(fake_aws), 5432, "eu-west-1", remote_host=RDS_HOST,
                            engine="postgresql", db_user=role, db_name="postgres", sign_in="keyring")
    service.profiles.add(profile)
    terminal = PipeTerminal()
    yield service, profile, password, terminal
    terminal.close()
    postgres.psql("-c", f"DROP ROLE IF EXISTS {role}", check=False)


def never_asked(request):
    raise AssertionError(f"asked for a password although one is stored: {request}")


def read_proc(pid: int, name: str) -> bytes:
    return Path(f"/proc/{pid}/{name}").read_bytes()


def files_holding(folders, secret: str) -> list[Path]:
    return [p for folder in folders if folder.exists() for p in folder.rglob("*")
            if p.is_file() and secret.encode() in p.read_bytes()]


def app_folders(service) -> list[Path]:
    paths = service.paths
    return [paths.config_dir, paths.data_dir, paths.state_dir, paths.cache_dir, paths.log_dir, paths.runtime_dir]


def test_psql_signs_in_through_the_tunnel_with_the_keyring_password_and_no_leak(world, reliability):
    service, profile, password, terminal = world
    account = DatabaseAccount.of(profile)

    async def scenario():
        await service.databases_sign_in.store(profile, password)  # as Settings or the password dialog would
        assert service.tunnel_status(profile).state is TunnelState.STOPPED
        opened = await service.open_database_client(profile, "psql", never_asked, opener=terminal)
        assert service.tunnel_status(profile).state is TunnelState.UP  # brought up for the client
        [(argv, title, carrier)] = terminal.runs
        assert title == "orders · psql" and opened.secret_file is not None

        # psql runs under the carrier: look at it from outside while it is signed in
        def client():
            children = psutil.Process(carrier.pid).children()
            return children[0] if children else None

        deadline = asyncio.get_running_loop().time() + 20
        while client() is None or client().name() != "psql":
            assert asyncio.get_running_loop().time() < deadline and carrier.poll() is None, carrier.stderr.read()
            await asyncio.sleep(0.05)
        psql = client()
        carrier.stdin.write("SELECT current_user;\n")
        carrier.stdin.flush()
        lines = []
        while profile.db_user not in "".join(lines):
            lines.append(await asyncio.to_thread(carrier.stdout.readline))
            assert lines[-1], f"psql ended: {carrier.stderr.read()}"
        environ = read_proc(psql.pid, "environ").split(b"\0")
        seen = {"psql argv": read_proc(psql.pid, "cmdline"), "psql environ": b"\0".join(environ),
                "carrier argv": read_proc(carrier.pid, "cmdline"),
                "carrier environ": read_proc(carrier.pid, "environ")}
        secret_file = opened.secret_file
        assert f"PGPASSFILE={secret_file}".encode() in environ
        assert not any(e.startswith(b"PGPASSWORD=") for e in environ)
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(secret_file.parent.stat().st_mode) == 0o700
        leaks = [where for where, data in seen.items() if password.encode() in data]
        carrier.stdin.close()  # psql reads its end of input and ends; the carrier removes the file
        code = await asyncio.to_thread(carrier.wait, 20)
        gone = not secret_file.exists()
        await service.stop()
        return argv, lines, leaks, code, gone, seen

    argv, lines, leaks, code, gone, seen = asyncio.run(scenario())
    assert " current_user " in lines[0] and lines[2].strip() == profile.db_user  # psql's own answer
    assert leaks == [] and code == 0 and gone
    assert argv[-3:-1] == ["--no-password", "--dbname"] and "sslmode" not in argv[-1]
    assert not any(password in a for a in argv)
    written = files_holding(app_folders(service), password)
    assert written == []
    assert service.databases_sign_in.vault.get(account) == password  # still kept for next time
    reliability(password_places_checked=len(seen) + len(app_folders(service)), hits=len(leaks) + len(written),
                sign_in_file_removed=gone)


def test_without_a_usable_keyring_the_password_is_asked_and_never_kept(world, postgres):
    from keyring.backends import fail

    service, profile, password, terminal = world
    service.databases_sign_in = DatabaseSignIn(PasswordVault(service.paths.data_dir / "database-passwords.json",
                                                             backend=fail.Keyring()),
                                               SecretFiles(service.paths.runtime_dir / "db-sign-in"), service.aws)
    asked = []

    async def ask(request):
        asked.append(request)
        return PasswordAnswer(password, remember=True)  # ticked, but there is nowhere safe to keep it

    async def scenario():
        opened = await service.open_database_client(profile, "psql", ask, opener=terminal)
        [(_, _, carrier)] = terminal.runs
        out, err = await asyncio.to_thread(carrier.communicate, "SELECT current_user;\n", 30)
        await service.stop()
        return opened, out, err, carrier.returncode

    opened, out, err, code = asyncio.run(scenario())
    assert code == 0 and profile.db_user in out, err
    [request] = asked
    assert not request.keyring.usable and "asked each time" in request.keyring.why
    assert not opened.secret_file.exists()
    assert not (service.paths.data_dir / "database-passwords.json").exists()
    assert files_holding(app_folders(service), password) == []


def test_a_cancelled_dialog_a_failed_terminal_or_a_missing_client_leaves_no_file(world, monkeypatch):
    service, profile, password, terminal = world
    files = service.databases_sign_in.files

    async def cancel(request):
        return None

    async def give(request):
        return PasswordAnswer(password)

    async def scenario():
        with pytest.raises(SignInCancelled):
            await service.open_database_client(profile, "psql", cancel, opener=terminal)
        assert service.tunnel_status(profile).state is TunnelState.STOPPED  # started for the client: off again
        with pytest.raises(RuntimeError, match="did not start"):
            await service.open_database_client(profile, "psql", give, opener=FailingTerminal())
        after_failure = files.files()
        monkeypatch.setenv("PATH", "/nonexistent")
        with pytest.raises(NoClient) as raised:
            await service.open_database_client(profile, "pgcli", give, opener=terminal)
        await service.stop()
        return after_failure, raised.value

    after_failure, missing = asyncio.run(scenario())
    assert after_failure == [] and files.files() == [] and terminal.runs == []
    assert missing.message == "pgcli is not installed." and "package pgcli" in missing.advice


def test_an_iam_token_reaches_psql_in_the_file_with_tls_required(world):
    service, profile, _, terminal = world
    iam = TunnelProfile("orders-iam", profile.target, 5432, "eu-west-1", remote_host=RDS_HOST, engine="postgresql",
                        db_user="iam_user", db_name="orders", sign_in="iam")
    captured = []

    async def capture(argv, title):
        secret = Path(argv[argv.index("--secret") + 1])
        captured.append((argv, secret.read_text()))

    async def scenario():
        opened = await service.open_database_client(iam, "psql", never_asked, opener=capture)
        url = service.database_url(iam)
        await service.stop()  # nothing claimed the file: quitting removes it
        return opened, url

    opened, url = asyncio.run(scenario())
    [(argv, line)] = captured
    host, port, database, user, token = line.rstrip("\n").split(":", 4)
    assert (host, database, user) == ("127.0.0.1", "*", "iam_user") and port.isdigit()
    token = token.replace("\\:", ":")
    assert token.startswith(f"{RDS_HOST}:5432/?Action=connect&DBUser=iam_user&X-Amz-Algorithm=AWS4-HMAC-SHA256")
    assert "X-Amz-Expires=900" in token and "sslmode='require'" in argv[-1]
    assert url == f"postgresql://iam_user@127.0.0.1:{port}/orders?sslmode=require"
    assert not opened.secret_file.exists()
    assert not any(token[-40:] in a for a in argv)


def test_the_client_asks_itself_when_the_profile_says_so(world):
    service, profile, password, terminal = world
    prompt = TunnelProfile("orders-prompt", profile.target, 5432, "eu-west-1", remote_host=RDS_HOST,
                           engine="postgresql", db_user=profile.db_user, sign_in="prompt")

    async def scenario():
        opened = await service.open_database_client(prompt, "psql", never_asked, opener=terminal)
        [(argv, _, carrier)] = terminal.runs
        carrier.stdin.close()  # psql asks on the terminal; with none, it gives up
        await asyncio.to_thread(carrier.wait, 30)
        await service.stop()
        return opened, argv

    opened, argv = asyncio.run(scenario())
    assert opened.secret_file is None and argv[0].endswith("psql") and "--no-password" not in argv
    assert service.databases_sign_in.files.files() == []
    assert os.path.basename(client_named("psql").find() or "") == "psql"


def test_a_tunnel_that_cannot_come_up_is_said_and_no_client_or_file_is_made(world, fake_aws):
    service, profile, password, terminal = world
    fake_aws.deny_start_session(profile.target)

    async def give(request):
        return PasswordAnswer(password)

    async def scenario():
        await service.databases_sign_in.store(profile, password)
        with pytest.raises(TunnelNotUp) as raised:
            await service.open_database_client(profile, "psql", give, opener=terminal)
        await service.stop()
        return raised.value

    error = asyncio.run(scenario())
    assert error.message.startswith("The tunnel 'orders' is not up (failed") and error.advice
    assert terminal.runs == [] and service.databases_sign_in.files.files() == []
