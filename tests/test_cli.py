"""The command line: sub-commands against the running demo app (a real second process), the
single-instance handover, exit codes and messages for bad input, and profile files."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

import psutil
import pytest

from vouch_desktop.cli import main
from vouch_desktop.cli.exit_codes import ExitCode
from vouch_desktop.core.storage.profiles import InstanceProfile, ProfileBook, TunnelProfile
from vouch_desktop.core.system.paths import AppPaths


def cli(*args, env, timeout=60, app=None):
    """Runs the app's command line: from this source tree, or ``app`` (an executable, e.g. a frozen build)."""
    command = [app] if app else [sys.executable, "-m", "vouch_desktop"]
    return subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture
def runtime_env(isolated_home):
    runtime = tempfile.mkdtemp(prefix="vd-", dir="/tmp")  # AF_UNIX paths must stay short
    os.chmod(runtime, 0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime, PYTHONPATH=os.getcwd())
    yield env
    shutil.rmtree(runtime, ignore_errors=True)


@pytest.mark.desktop
@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_commands_reach_the_running_demo_app(runtime_env, transport, monkeypatch):
    """Over the platform's transport, and over Windows' (a loopback port and its token) here too."""
    runtime_env = dict(runtime_env, VOUCH_DESKTOP_CONTROL_TRANSPORT=transport)
    monkeypatch.setenv("XDG_RUNTIME_DIR", runtime_env["XDG_RUNTIME_DIR"])
    app = subprocess.Popen([sys.executable, "-m", "vouch_desktop", "--demo"], env=runtime_env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        for line in app.stdout:
            if "vouch-desktop: ready" in line or time.monotonic() > deadline:
                break
        endpoint = AppPaths.default().control_endpoint(demo=True, transport=transport)
        assert endpoint.present()
        status = cli("--demo", "status", env=runtime_env)
        assert status.returncode == 0, status.stderr
        assert status.stdout.startswith("Logged in as demo.user@example.com · ")
        assert "orders-db" in status.stdout and "stopped" in status.stdout

        up = cli("--demo", "tunnel", "up", "orders-db", env=runtime_env)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "orders-db" in up.stdout and " up " in up.stdout and "localhost:" in up.stdout

        unknown = cli("--demo", "tunnel", "up", "nope", env=runtime_env)
        assert unknown.returncode == ExitCode.UNKNOWN_PROFILE
        assert "There is no tunnel profile named 'nope'." in unknown.stderr and "orders-db" in unknown.stderr
        assert cli("--demo", "connect", "nope", env=runtime_env).returncode == ExitCode.UNKNOWN_PROFILE
        palette = cli("--demo", "connect", env=runtime_env)  # no name: the app opens its Connect… palette
        assert palette.returncode == 0 and "Connect… palette is open" in palette.stdout, palette.stderr

        second = cli("--demo", env=runtime_env)  # a second launch hands over and leaves
        assert second.returncode == 0 and "already running" in second.stdout

        assert cli("--demo", "tunnel", "down", "demo", env=runtime_env).returncode == 0  # a whole group
        token = endpoint.read().token if transport == "tcp" else "not a token"
        for proc in psutil.process_iter():  # the token is in the app's file only: in no argv
            with contextlib.suppress(psutil.Error):
                assert token not in " ".join(proc.cmdline())
        assert cli("--demo", "quit", env=runtime_env).returncode == 0
        assert app.wait(timeout=30) == 0
        assert not endpoint.present()
        assert token not in app.stdout.read()  # nor in what it logged (its log goes to stderr too)
    finally:
        if app.poll() is None:
            app.kill()
        app.wait()
        app.stdout.close()
    gone = cli("--demo", "tunnel", "up", "orders-db", env=runtime_env)
    assert gone.returncode == ExitCode.NOT_RUNNING and "vouch-desktop --demo &" in gone.stderr


def test_without_the_app(runtime_env, fake_vouch, isolated_home):
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime_env["XDG_RUNTIME_DIR"], PYTHONPATH=os.getcwd(),
               PATH=os.path.dirname(fake_vouch.path) + os.pathsep + os.environ["PATH"])
    result = cli("status", env=env)
    assert result.returncode == ExitCode.NOT_LOGGED_IN and result.stdout.startswith("Not logged in")
    result = cli("tunnel", "up", "x", env=env)
    assert result.returncode == ExitCode.NOT_RUNNING and "not running" in result.stderr
    result = cli("connect", env=env)
    assert result.returncode == ExitCode.NOT_RUNNING and "the Connect… palette lives in the tray app" in result.stderr
    result = cli("connect", "nothing", env=env)
    assert result.returncode == ExitCode.UNKNOWN_PROFILE and "no instance profile named 'nothing'" in result.stderr
    assert cli("tunnel", "sideways", env=env).returncode == 2  # argparse usage error


def test_profiles_export_and_import_with_a_conflict_preview(isolated_home, tmp_path, capsys):
    paths = AppPaths.default().ensure()
    book = ProfileBook(paths)
    book.add(InstanceProfile("web", "Name=web-*", "eu-west-1"))
    book.add(TunnelProfile("orders", "i-0123456789abcdef0", 5432, "eu-west-1", "orders.example.com",
                           local_port=15432, group="prod"))
    shared = tmp_path / "team.toml"
    assert main(["profiles", "export", str(shared)]) == 0
    text = shared.read_text()
    assert '[[tunnel]]' in text and 'remote_host = "orders.example.com"' in text and "vouch_path" not in text

    teammate = ProfileBook(paths)
    teammate.load()
    teammate.delete("web")
    teammate.update("orders", TunnelProfile("orders", "i-0123456789abcdef0", 5432, "eu-west-1",
                                            "orders.example.com", local_port=25432))
    capsys.readouterr()
    assert main(["profiles", "import", str(shared)]) == 0
    preview = capsys.readouterr().out
    assert "1 new, 0 unchanged, 1 in conflict" in preview and "+ web" in preview and "! orders" in preview
    assert ProfileBook(paths).load() == [] and not ProfileBook(paths).find("web")  # a preview changes nothing
    assert main(["profiles", "import", str(shared), "--apply", "--on-conflict", "rename"]) == 0
    after = ProfileBook(paths)
    after.load()
    assert [p.name for p in after.instances] == ["web"]
    assert [p.name for p in after.tunnels] == ["orders", "orders (imported)"]
    assert after.find("orders").local_port == 25432 and after.find("orders (imported)").local_port == 15432
    broken = tmp_path / "broken.toml"
    broken.write_text("[[instance]]\nname = 'x'\ntarget = 'nope'\nregion = 'eu-west-1'\n[oops")
    assert main(["profiles", "import", str(broken)]) == 1
    assert "is not a valid profiles file" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_import_neither_qt_nor_botocore(flag):
    probe = ("import sys\n"
             "from vouch_desktop.cli import main\n"
             f"try:\n    main([{flag!r}])\nexcept SystemExit as exit:\n    assert exit.code == 0\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync', 'botocore', 'boto3')"
             " or m.startswith(('vouch_desktop.core.aws', 'vouch_desktop.ui'))))\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, PYTHONPATH=os.getcwd()))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"
    assert ("vouch-desktop" in result.stdout) and ("exit codes:" in result.stdout or flag == "--version")


@pytest.mark.parametrize("command", ["status", "connect", "tunnel", "profiles", "quit", "ssm-session"])
def test_each_sub_commands_help_describes_it_and_every_argument(command, capsys):
    """`vouch-desktop COMMAND --help` as a user reads it: what the command does, and a line of help for
    every argument (argparse prints a bare name for an argument without one)."""
    import argparse

    from vouch_desktop.cli.parser import build_parser, build_ssm_session_parser

    with pytest.raises(SystemExit) as exit:
        main([command, "--help"])
    assert exit.value.code == 0
    text = capsys.readouterr().out
    parser = build_ssm_session_parser() if command == "ssm-session" else next(
        action for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction)
    ).choices[command]
    assert parser.description and " ".join(parser.description.split()) in " ".join(text.split())
    for action in parser._actions:
        if action.help is not argparse.SUPPRESS:
            assert action.help, f"{command}: {action.dest} has no help"
            assert " ".join(action.help.split())[:40] in " ".join(text.split())
    if command != "ssm-session":
        assert "example:\n  vouch-desktop " in text
