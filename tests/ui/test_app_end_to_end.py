"""The whole app on a virtual desktop with the demo world: tray, notifications, login, tunnels, connect."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import psutil
import pytest

from tests.fixtures.notification_server import FakeNotificationServer
from tests.fixtures.sockets import roundtrip
from tests.ui.conftest import until
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.core.tunnels.backends import TunnelBackend
from vouch_desktop.core.tunnels.state import TunnelState
from vouch_desktop.core.vouch.session_state import SessionState
from vouch_desktop.demo.seed import INSTANCES
from vouch_desktop.demo.world import DemoWorld
from vouch_desktop.ui.composition import VouchDesktop
from vouch_desktop.ui.tray import find_action

pytestmark = pytest.mark.desktop


@pytest.fixture(params=[True], ids=["with-plugin"])
def demo(request, tmp_path, monkeypatch):
    """The demo world, as --demo sets it up (parametrize with False for --demo-without-plugin)."""
    runtime = tempfile.mkdtemp(prefix="vd-", dir="/tmp")  # its own control socket; AF_UNIX paths stay short
    os.chmod(runtime, 0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", runtime)
    world = DemoWorld(root=tmp_path / "demo", with_plugin=request.param).start()
    for key, value in world.env.items():
        monkeypatch.setenv(key, value)
    yield world
    world.stop()
    shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture
def notifications():
    server = FakeNotificationServer()
    yield server
    server.close()


@contextlib.asynccontextmanager
async def running(desktop: VouchDesktop):
    """Runs the app until the block ends, and always shuts it down (even when an assertion fails)."""
    task = asyncio.ensure_future(desktop.run())
    try:
        await asyncio.wait_for(desktop.ready.wait(), 30)
        yield task
    finally:
        desktop.request_quit()
        await asyncio.wait_for(task, 30)


PIN = "Zq-784519"  # distinctive, so that a scan for it cannot hit anything by chance


def scan_for_secrets(folders: list[Path], secrets: list[str]) -> list[str]:
    hits = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                hits += [f"{path}: {s[:6]}…" for s in secrets if s.encode() in data]
    return hits


def children_argv() -> list[str]:
    """The command lines of this process's children and their children: what `ps` shows anyone."""
    argvs = []
    for proc in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            argvs.append(" ".join(proc.cmdline()))
    return argvs


def test_a_session_ending_soon_at_start_up_is_announced_on_the_desktop(qapp, qloop, demo, notifications):
    """The first state read raises the notice while the notification server is still being reached: it
    waits for it, and comes as a desktop notification with its action, not as the tray's balloon."""
    demo.vouch_state.log_in(10 * 60)
    desktop = VouchDesktop(qapp, AppPaths.default().ensure(), argparse.Namespace(quit_after=None), demo)

    async def scenario():
        await desktop.service.vouch.begin_status()  # read ahead, as start-up does: known as soon as the app runs
        async with running(desktop):
            await until(lambda: notifications.calls, timeout=10, what="a desktop notification")  # not a balloon

    qloop.run_until_complete(scenario())
    assert notifications.calls[0].summary.startswith("Vouch session ends soon")
    assert "Log in again" in notifications.calls[0].actions


def test_expiry_notice_login_again_tunnel_and_clean_quit(qapp, qloop, demo, notifications, reliability):
    demo.vouch_state.configure(pin=PIN, record_credentials=True)
    paths = AppPaths.default().ensure()
    desktop = VouchDesktop(qapp, paths, argparse.Namespace(quit_after=None), demo)
    service, windows = desktop.service, desktop.windows
    tray = desktop.tray

    async def scenario():
        async with running(desktop) as task:
            assert service.monitor.snapshot.state is SessionState.VALID
            tray.menu.aboutToShow.emit()
            texts = tray.menu_texts()
            assert texts[0] == "Connect…"  # the palette first; the state line heads the session's items
            headline = texts[1]
            assert headline.startswith("Logged in as demo.user@example.com · ") and headline.endswith("min left")
            assert "YubiKey: connected (YubiKey 5C NFC (demo))" in texts
            assert tray.icon.toolTip().startswith(headline) and tray.state == "valid"

            # the session nears its end: one notification with a "Log in again" action
            demo.vouch_state.log_in(10 * 60)
            service.monitor.poke()
            await until(lambda: notifications.calls)
            call = notifications.calls[0]
            assert call.summary.startswith("Vouch session ends soon") and "run" in call.actions
            assert call.actions[call.actions.index("run") + 1] == "Log in again"
            assert tray.state == "expiring"
            service.monitor.poke()
            await asyncio.sleep(0.5)
            assert len(notifications.calls) == 1  # not repeated for the same state
            notifications.invoke_action(1, "run")
            await until(lambda: windows.session.login_dialog is not None and windows.session.login_dialog.isVisible())
            windows.session.login_dialog.pin_edit.setText(PIN)
            windows.session.login_dialog.submit()
            seen_during_login: set[str] = set()  # the process list, sampled while `vouch login` runs
            await until(lambda: seen_during_login.update(children_argv())
                        or service.monitor.snapshot.state is SessionState.VALID, timeout=20)

            # a saved tunnel toggled on from the tray carries bytes; the icon gets its badge
            await service.set_tunnel(service.profiles.find("orders-db"), True)
            await until(lambda: service.tunnels.status("orders-db").state is TunnelState.UP, timeout=20)
            status = service.tunnels.status("orders-db")
            assert roundtrip(status.local_port, b"SELECT 1;") == b"SELECT 1;"
            assert tray.tunnels_up
            tray.menu.aboutToShow.emit()
            entry = find_action(tray.submenu("Tunnels"), "orders-db")
            assert entry.isChecked() and f"up on localhost:{status.local_port}" in entry.text()
            pids = service.tunnels.pids()
            argvs = sorted(seen_during_login) + children_argv()
        assert task.result() == 0  # quit cleanly
        return pids, argvs

    pids, argvs = qloop.run_until_complete(scenario())
    assert pids and not any(psutil.pid_exists(pid) for pid in pids)
    assert demo.fake_aws.active_sessions() == []

    # no secret in anything the app wrote: settings, profiles, history, log, caches
    issued = [json.loads(line) for line in (demo.vouch_state.dir / "issued-credentials.jsonl").read_text().splitlines()]
    secrets = [PIN] + [s.token for s in demo.fake_aws.sessions()]
    secrets += [c[k] for c in issued for k in ("SecretAccessKey", "SessionToken")]
    assert len(secrets) >= 4
    folders = [paths.config_dir, paths.data_dir, paths.state_dir, paths.cache_dir, paths.log_dir]
    assert paths.log_file.exists() or any(f.exists() for f in folders)
    file_hits = scan_for_secrets([f for f in folders if f.exists()], secrets)
    # and none in the process list while the tunnel was up (the plugin gets its token in its environment)
    argv_hits = [f"{argv[:60]}: {s[:6]}…" for argv in argvs for s in secrets if s in argv]
    files = {p for f in folders if f.exists() for p in f.rglob("*") if p.is_file()}
    reliability(secrets_checked=len(secrets), files_scanned=len(files), command_lines_scanned=len(argvs),
                hits=len(file_hits) + len(argv_hits))
    assert file_hits == [] and argv_hits == []
    assert any("session-manager-plugin" in argv for argv in argvs)
    assert any(" login --timeout " in argv for argv in argvs), argvs  # `vouch login` was seen running


def test_aws_waits_for_its_first_use_and_the_instance_list_for_its_worker(qapp, qloop, demo):
    """Opening the menu loads nothing of AWS; the submenu that leads to the instance window starts the
    discovery worker, which lists the instances (the app's process never parses them) and goes once the
    window has been closed for its linger (issue 23)."""
    desktop = VouchDesktop(qapp, AppPaths.default().ensure(), argparse.Namespace(quit_after=None), demo)
    service = desktop.service
    worker = service.discovery.worker
    worker.linger = 0.3

    def browse_submenu():
        for action in desktop.tray.menu.actions():
            if action.menu() and any("Browse instances" in a.text() for a in action.menu().actions()):
                return action.menu()
        raise AssertionError("no submenu with Browse instances…")

    async def scenario():
        async with running(desktop):
            assert gc.get_freeze_count() > 0  # what lives until quit is out of every full collection's scan
            desktop.tray.menu.aboutToShow.emit()
            await asyncio.sleep(0.5)
            assert not service.aws.models_loaded and worker.process is None  # the menu alone loads nothing
            browse_submenu().aboutToShow.emit()
            await until(lambda: worker.process is not None, 30, what="the worker started by the submenu")
            warmed = worker.process.pid
            desktop.windows.instances.show_browser()
            browser = desktop.windows.instances.browser
            await until(lambda: browser.result is not None and browser.model.rowCount() == len(INSTANCES), 30,
                        what="the instance list")
            assert worker.process is not None and worker.process.pid == warmed  # the warm worker listed them
            assert not service.aws.models_loaded  # ...and not the app's process
            browser.close()
            await until(lambda: worker.process is None and warmed not in desktop.processes.pids(), 10,
                        what="the worker gone (and reaped) after the window closed")
        assert gc.get_freeze_count() == 0  # given back to the collector at quit

    qloop.run_until_complete(scenario())


def test_quitting_with_the_instance_window_open_ends_its_worker_without_a_warning(qapp, qloop, demo, caplog):
    """The discovery worker is ended the way it expects (its input closed) before the rest of the children
    are stopped: quitting is not reported as the worker failing."""
    desktop = VouchDesktop(qapp, AppPaths.default().ensure(), argparse.Namespace(quit_after=None), demo)
    worker = desktop.service.discovery.worker
    pids = []

    async def scenario():
        async with running(desktop):
            desktop.windows.instances.show_browser()
            browser = desktop.windows.instances.browser
            await until(lambda: browser.result is not None and worker.process is not None, 30,
                        what="the instance list, from the worker")
            pids.append(worker.process.pid)

    with caplog.at_level(logging.WARNING, logger="vouch_desktop"):
        qloop.run_until_complete(scenario())
    assert worker.process is None and not psutil.pid_exists(pids[0])
    assert [r.getMessage() for r in caplog.records if "discovery worker" in r.getMessage()] == []


def test_connect_from_a_saved_profile_opens_a_terminal_with_the_session(qapp, qloop, demo):
    desktop = VouchDesktop(qapp, AppPaths.default().ensure(), argparse.Namespace(quit_after=None), demo)
    service = desktop.service
    service.settings.current.terminal = "xterm"
    web1 = demo.inventory.instance_named("web-1")

    async def scenario():
        async with running(desktop):
            desktop.tray.menu.aboutToShow.emit()
            find_action(desktop.tray.submenu("Instances"), "web-1 (demo)").trigger()
            await until(lambda: any(s.target == web1 for s in demo.fake_aws.active_sessions()), timeout=30)
            # recorded once the terminal has lived through the launcher's watch (its first 2 s)
            await until(lambda: service.history.recent_connections(), timeout=10)
            assert service.history.recent_connections()[0].target == web1

    try:
        qloop.run_until_complete(scenario())
    finally:  # the terminal window is the user's and outlives the app: close it here (the command inside
        # may travel hex-encoded through the terminal-run carrier: look at the window's descendants too)
        for proc in psutil.process_iter(["name", "cmdline"]):
            if proc.info["name"] != "xterm":
                continue
            with contextlib.suppress(psutil.Error):
                inside = [proc, *proc.children(recursive=True)]
                if any(web1 in " ".join(p.cmdline()) for p in inside):
                    proc.kill()


@pytest.mark.parametrize("demo", [False], ids=["without-plugin"], indirect=True)
def test_without_the_plugin_a_saved_rds_tunnel_runs_on_the_built_in_backend(qapp, qloop, demo):
    assert shutil.which("session-manager-plugin", path=demo.env["PATH"]) is None
    desktop = VouchDesktop(qapp, AppPaths.default().ensure(), argparse.Namespace(quit_after=None), demo)
    service = desktop.service

    async def scenario():
        async with running(desktop):
            assert service.settings.current.tunnel_backend == "auto"
            await service.set_tunnel(service.profiles.find("orders-db"), True)
            await until(lambda: service.tunnels.status("orders-db").state is TunnelState.UP, timeout=20)
            status = service.tunnels.status("orders-db")
            assert status.backend is TunnelBackend.BUILTIN and service.tunnels.pids() == []
            payload = os.urandom(100_000)
            assert await asyncio.to_thread(roundtrip, status.local_port, payload) == payload
            desktop.tray.menu.aboutToShow.emit()
            entry = find_action(desktop.tray.submenu("Tunnels"), "orders-db")
            assert entry.text().endswith("· built-in")
            # the settings window's choice applies from the next start, without a restart of the app
            service.apply_settings(dataclasses.replace(service.settings.current, tunnel_backend="plugin"))
            await service.set_tunnel(service.profiles.find("orders-db"), False)
            await until(lambda: service.tunnels.status("orders-db").state is TunnelState.STOPPED)
            await service.set_tunnel(service.profiles.find("orders-db"), True)
            await until(lambda: service.tunnels.status("orders-db").state is TunnelState.FAILED)
            assert service.tunnels.status("orders-db").reason == "SessionManagerPlugin is not found."
        assert not service.tunnels.engine.running  # the forwarding thread ended with the app

    qloop.run_until_complete(scenario())
    assert demo.fake_aws.active_sessions() == []
