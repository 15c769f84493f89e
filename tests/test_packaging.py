"""The frozen Linux app: scripts/build-linux builds it once from build.spec (PyInstaller, one folder,
and a .deb), then the frozen executable itself is run: --version, --self-check with a Secret
Service on the session bus (keyring must find it: its backends were bundled), and the demo from
start to "ready", a tunnel up through the frozen fake plugin carrying bytes, and a clean quit."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from tests import test_cli
from tests.fixtures.processes import MARK_VARIABLE
from tests.fixtures.sockets import roundtrip
from tests.test_cli import cli
from tests.ui.test_app_cycles import start_app, wait_for_line
from vouch_desktop import __version__
from vouch_desktop.self_check import CHECKS
from vouch_desktop.ui.composition import READY_LINE

pytestmark = [pytest.mark.packaging, pytest.mark.desktop]
ROOT = Path(__file__).resolve().parents[1]
runtime_env = test_cli.runtime_env  # the command-line tests' own runtime folder (fixture), used as it is


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    result = subprocess.run([str(ROOT / "scripts" / "build-linux"), str(dist)], cwd=ROOT, capture_output=True,
                            text=True, timeout=1200, env=dict(os.environ, VOUCH_BUILD_SKIP_TIMING="1"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [deb] = dist.glob("*.deb")
    return dist / "vouch-desktop" / "vouch-desktop", deb, result.stdout


def test_the_build_checks_itself_and_reports_its_size(build):
    _, deb, output = build
    assert len(re.findall(r"^ok    ", output, re.M)) == len(CHECKS) and "FAIL" not in output, output
    assert re.search(r"size: \S+ on disk, \.deb \S+", output), output
    assert deb.name == f"vouch-desktop_{__version__}_amd64.deb"


def test_frozen_version(build):
    app, _, _ = build
    result = subprocess.run([str(app), "--version"], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout.strip()) == (0, f"vouch-desktop {__version__}")


@pytest.fixture
def secret_service():
    """A Secret Service on the session bus, as far as keyring's check goes: the name is owned."""
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(bus="SESSION") as connection:
        assert connection.send_and_get_reply(message_bus.RequestName("org.freedesktop.secrets")).body == (1,)
        yield


def test_frozen_keyring_uses_the_secret_service_not_the_fail_backend(build, secret_service):
    app, _, _ = build
    result = subprocess.run([str(app), "--self-check"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    [line] = [line for line in result.stdout.splitlines() if "keyring:" in line]
    assert line.startswith("ok    keyring: keyring.backends.SecretService.Keyring in use"), line


def test_frozen_demo_starts_carries_a_tunnel_and_quits_cleanly(build, runtime_env, process_watch, tmp_path):
    app, _, _ = build
    temp = tmp_path / "app-tmp"
    temp.mkdir()
    env = dict(runtime_env, TMPDIR=str(temp), **{MARK_VARIABLE: process_watch.mark})
    env.pop("PYTHONPATH")  # nothing from this source tree: the bundle must be whole
    log = tmp_path / "app.log"
    process = start_app(env, log, app=str(app))
    try:
        wait_for_line(log, READY_LINE, process)
        up = cli("--demo", "tunnel", "up", "orders-db", env=env, app=str(app))
        assert up.returncode == 0 and " up " in up.stdout, up.stdout + up.stderr
        port = int(re.search(r"localhost:(\d+)", up.stdout).group(1))
        payload = b"SELECT 1; -- through the frozen plugin " * 100
        assert roundtrip(port, payload) == payload
        assert cli("--demo", "quit", env=env, app=str(app)).returncode == 0
        assert process.wait(timeout=30) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
    assert "Traceback" not in log.read_text(), log.read_text()
    assert process_watch.leftovers(str(app)) == []
    assert list(temp.iterdir()) == []  # the demo world's temporary home is gone


def test_connect_from_the_frozen_demo_runs_the_session_in_a_real_xterm(build, runtime_env, process_watch, tmp_path):
    """Connect (the command line asks the running frozen app) → the frozen app's own `detach` starts xterm
    (chosen through $TERMINAL) → inside it the frozen app's `terminal-run` (the window is kept open on an
    error) → `ssm-session` (no AWS CLI on PATH) → the frozen fake plugin, holding a Connected session."""
    app, _, _ = build
    temp = tmp_path / "app-tmp"
    temp.mkdir()
    path = [d for d in runtime_env["PATH"].split(os.pathsep) if not shutil.which("aws", path=d)]
    env = dict(runtime_env, TMPDIR=str(temp), TERMINAL="xterm", PATH=os.pathsep.join(path),
               **{MARK_VARIABLE: process_watch.mark})
    env.pop("PYTHONPATH")  # nothing from this source tree: the bundle must be whole
    for name in ("XDG_CURRENT_DESKTOP", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    log = tmp_path / "app.log"
    process = start_app(env, log, app=str(app))
    windows: list[psutil.Process] = []
    try:
        wait_for_line(log, READY_LINE, process)
        connect = cli("--demo", "connect", "web-1 (demo)", env=env, app=str(app))
        assert connect.returncode == 0, connect.stdout + connect.stderr
        assert connect.stdout.startswith("Opened web-1 (demo) (i-"), connect.stdout
        deadline = time.monotonic() + 30
        plugin = None
        while plugin is None and time.monotonic() < deadline:
            windows = [p for p in psutil.process_iter(["name", "environ"]) if p.info["name"] == "xterm"
                       and (p.info["environ"] or {}).get(MARK_VARIABLE) == process_watch.mark]
            plugin = next((c for w in windows for c in w.children(recursive=True)
                           if "StartSession" in c.cmdline() and "session-manager-plugin" in " ".join(c.cmdline())),
                          None)
            time.sleep(0.2)
        assert plugin is not None, f"no session in a real xterm: {[w.cmdline() for w in windows]}"
        chain = [" ".join(p.cmdline()[:3]) for p in plugin.parents()]
        assert any(f"{app} terminal-run" in link for link in chain), chain  # the frozen carrier, in the window
        bundle = str(app.parent)  # the terminal gets the user's environment, not the bundle's library paths
        assert [k for k, v in windows[0].environ().items() if bundle in v] == [], windows[0].environ()
        time.sleep(2)
        assert plugin.is_running()  # the fake plugin stays while its session is Connected
    finally:
        for window in windows:  # the user's window outlives the app: close it as the user would
            with contextlib.suppress(psutil.Error):
                window.terminate()
        if process.poll() is None:
            cli("--demo", "quit", env=env, app=str(app))
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert "Traceback" not in log.read_text(), log.read_text()
    deadline = time.monotonic() + 15
    while process_watch.leftovers(str(app)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert process_watch.leftovers(str(app)) == []


def test_the_deb_installs_the_app_the_menu_entry_and_the_icon(build, tmp_path):
    _, deb, _ = build
    info = subprocess.run(["dpkg-deb", "--field", str(deb), "Package", "Version", "Depends"], capture_output=True,
                          text=True, check=True).stdout
    assert f"Package: vouch-desktop\nVersion: {__version__}\n" in info and "libxcb-cursor0" in info
    contents = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True, check=True).stdout
    assert "./usr/bin/vouch-desktop -> /opt/vouch-desktop/vouch-desktop" in contents
    for path in ("./usr/share/applications/vouch-desktop.desktop",
                 "./usr/share/icons/hicolor/scalable/apps/vouch-desktop.svg", "./opt/vouch-desktop/vouch-desktop"):
        assert f" {path}\n" in contents, path
    subprocess.run(["dpkg-deb", "--extract", str(deb), str(tmp_path)], check=True)
    installed = subprocess.run([str(tmp_path / "opt/vouch-desktop/vouch-desktop"), "--version"], capture_output=True,
                               text=True, timeout=60)
    assert installed.stdout.strip() == f"vouch-desktop {__version__}"
