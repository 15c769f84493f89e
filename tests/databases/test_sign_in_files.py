"""The sign-in file's life: written 0600 in a private folder, held by the carrier (``vouch-desktop db-client``)
for exactly as long as its client runs, removed when the client exits, when the window closes (SIGHUP) or
the carrier is stopped (SIGTERM); one nothing holds (a killed carrier, a terminal that never started) is
swept by the app, one that is held never is."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys

import psutil
import pytest

from vouch_desktop.core.databases.client_run import carrier_argv
from vouch_desktop.core.databases.secret_files import SecretFiles, UnsafeFolder
from vouch_desktop.core.system.own_command import own_command

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and modes")

# a stand-in client: says what it was given (the variable, whether the file is readable), then waits for
# a line on stdin; it reports the signals it gets and then exits by them
CLIENT = r"""
import os, signal, sys
def died(signum, frame):
    print("signal", signum, flush=True)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
for s in (signal.SIGHUP, signal.SIGTERM):
    signal.signal(s, died)
path = os.environ.get("PGPASSFILE", "")
print("file", path, open(path).read().strip() if path else "", "PGPASSWORD" in os.environ, flush=True)
sys.stdin.readline()
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
"""


@pytest.fixture
def files(tmp_path):
    return SecretFiles(tmp_path / "run" / "db-sign-in")


def start_carrier(files, text="127.0.0.1:5432:*:app:s3cret\n", client_args=(), env=None):
    path = files.write(text, ".pgpass")
    argv = carrier_argv(own_command(), path, "PGPASSFILE", [sys.executable, "-c", CLIENT, *client_args])
    carrier = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "PGPASSWORD": "from-the-users-env", **(env or {})},
                               start_new_session=True)
    first = carrier.stdout.readline().split()
    return path, carrier, first


def client_of(carrier):
    [child] = psutil.Process(carrier.pid).children()
    return child


def test_the_file_is_private_from_its_first_byte(files, tmp_path):
    path = files.write("secret\n", ".pgpass")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(files.folder.stat().st_mode) == 0o700
    assert path.read_text() == "secret\n" and path.parent == files.folder
    os.chmod(files.folder, 0o755)
    files.write("again\n", ".pgpass")
    assert stat.S_IMODE(files.folder.stat().st_mode) == 0o700  # opened to others: closed again before writing
    link = SecretFiles(tmp_path / "link")
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(UnsafeFolder, match="is not a folder"):
        link.write("secret\n", ".pgpass")
    assert list((tmp_path / "elsewhere").iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the folder to another user")
def test_a_folder_owned_by_someone_else_is_not_written_to(tmp_path):
    folder = tmp_path / "theirs"
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, 65534)
    with pytest.raises(UnsafeFolder, match="belongs to another user"):
        SecretFiles(folder).write("secret\n", ".pgpass")
    assert list(folder.iterdir()) == []


def test_the_client_reads_the_file_and_it_goes_when_the_client_exits(files):
    path, carrier, first = start_carrier(files, client_args=("3",))
    assert first == ["file", str(path), "127.0.0.1:5432:*:app:s3cret", "False"]  # the user's PGPASSWORD is dropped
    assert files.sweep(grace=0) == [] and path.exists()  # held: never swept while the client runs
    carrier.stdin.write("\n")
    carrier.stdin.flush()
    assert carrier.wait(20) == 3  # the client's own exit code
    assert not path.exists() and files.files() == []
    carrier.stdout.close(), carrier.stdin.close(), carrier.stderr.close()


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM], ids=["window-closed", "stopped"])
def test_closing_the_window_or_stopping_the_carrier_ends_the_client_and_removes_the_file(files, sig):
    path, carrier, _ = start_carrier(files)
    client = client_of(carrier)
    os.kill(carrier.pid, sig)  # a terminal closing sends SIGHUP to the whole group; the carrier passes it on too
    assert carrier.stdout.readline().split() == ["signal", str(int(sig))]  # the client got it
    carrier.wait(20)
    assert not client.is_running() and not path.exists()
    carrier.stdout.close(), carrier.stdin.close(), carrier.stderr.close()


def test_a_killed_carrier_leaves_the_file_until_the_app_sweeps_it(files):
    path, carrier, _ = start_carrier(files)
    client = client_of(carrier)
    carrier.kill()
    carrier.wait(20)
    client.kill()
    client.wait(20)
    assert path.exists()
    assert files.sweep() == []  # younger than the grace a slow terminal gets
    assert files.sweep(grace=0) == [path] and not path.exists()
    carrier.stdout.close(), carrier.stdin.close(), carrier.stderr.close()


def test_a_carrier_that_comes_after_the_sweep_runs_no_client(files):
    path = files.write("127.0.0.1:5432:*:app:s3cret\n", ".pgpass")
    assert files.sweep(everything=True) == [path]  # the terminal took too long, or the app quit meanwhile
    argv = carrier_argv(own_command(), path, "PGPASSFILE", [sys.executable, "-c", "print('ran')"])
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and result.stdout == ""
    assert "sign-in file for this database session is gone" in result.stderr


def test_a_file_that_is_not_the_apps_is_not_used(files, tmp_path):
    other = tmp_path / "readable.pgpass"
    other.write_text("127.0.0.1:5432:*:app:s3cret\n")
    other.chmod(0o644)
    argv = carrier_argv(own_command(), other, "PGPASSFILE", [sys.executable, "-c", "print('ran')"])
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and "not a sign-in file this app wrote" in result.stderr and result.stdout == ""
    link = files.folder / "signin-link.pgpass"
    files.write("x", ".pgpass")
    link.symlink_to(other)
    argv = carrier_argv(own_command(), link, "PGPASSFILE", [sys.executable, "-c", "print('ran')"])
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and result.stdout == ""


def test_the_carriers_argv_holds_no_secret_and_a_missing_client_is_said(files):
    path = files.write("127.0.0.1:5432:*:app:s3cret\n", ".pgpass")
    argv = carrier_argv(own_command(), path, "PGPASSFILE", ["no-such-client-xyz", "--dbname", "host=127.0.0.1"])
    assert not any("s3cret" in a for a in argv)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert result.returncode == 127 and "cannot run no-such-client-xyz" in result.stderr
    assert not path.exists() and files.files() == []
