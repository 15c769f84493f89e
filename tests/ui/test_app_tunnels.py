"""The whole app and its tunnels (issue 15): a plugin that prints its secrets shows nothing of them in the
tray's text, the command line's output, the notifications, the log or the history; a running tunnel whose
profile is deleted stops."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import subprocess
import sys

import psutil
import pytest

from tests.fixtures.plugins import PRINTS_ITS_SECRETS, plugin_variant
from tests.ui.conftest import until
from tests.ui.test_app_end_to_end import demo, notifications, running  # noqa: F401 (fixtures)
from vouch_desktop.core.system.logging_setup import configure_logging
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.core.tunnels.manager import Backoff
from vouch_desktop.core.tunnels.state import TunnelState
from vouch_desktop.ui.composition import VouchDesktop

pytestmark = pytest.mark.desktop

# the plugin prints the keys the demo's vouch issued last: those the app was handed (only the app asks)
LAST_KEYS_ONLY = PRINTS_ITS_SECRETS.replace("for line in issued.read_text().splitlines()",
                                            "for line in issued.read_text().splitlines()[-1:]")


def cli(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "vouch_desktop", "--demo", *args], capture_output=True,
                          text=True, timeout=60, env=dict(os.environ))
    return done.stdout + done.stderr


def test_a_plugin_that_prints_its_secrets_shows_none_anywhere(qapp, qloop, demo, notifications, tmp_path,  # noqa: F811
                                                              monkeypatch, reliability):
    demo.vouch_state.configure(record_credentials=True)
    marker = tmp_path / "fail-from-now-on"
    monkeypatch.setenv("FAIL_MARKER", str(marker))
    paths = AppPaths.default().ensure()
    configure_logging(paths.log_file, "DEBUG", stderr=False)  # as ui/app.py does before the composition root
    desktop = VouchDesktop(qapp, paths, argparse.Namespace(quit_after=None), demo)
    service = desktop.service
    service.settings.current.plugin_path = plugin_variant(tmp_path, "session-manager-plugin", LAST_KEYS_ONLY)
    service.tunnels.backoff = Backoff(first=0.1, cap=0.2, max_failures=2)
    tray = desktop.tray
    seen: list[str] = []  # everything a person was shown

    def tray_texts() -> list[str]:
        tray.menu.aboutToShow.emit()
        tunnels_menu = tray.submenu("Tunnels")  # its items' tooltips carry a failure's whole reason
        return tray.menu_texts() + [t for a in tunnels_menu.actions() for t in (a.text(), a.toolTip())] \
            + [tray.icon.toolTip()]

    async def scenario():
        async with running(desktop):
            seen.append(await asyncio.to_thread(cli, "tunnel", "up", "orders-db"))
            await until(lambda: service.tunnels.status("orders-db").state is TunnelState.UP, timeout=30)
            seen.extend(tray_texts())
            marker.touch()  # from now on every start of the plugin fails, quoting the secrets on stderr
            demo.fake_aws.drop_session(demo.fake_aws.active_sessions()[0].session_id)
            await until(lambda: service.tunnels.status("orders-db").state is not TunnelState.UP, timeout=20)
            seen.extend(tray_texts())
            seen.append(await asyncio.to_thread(cli, "tunnel", "list"))
            await until(lambda: service.tunnels.status("orders-db").state is TunnelState.FAILED, timeout=30)
            await until(lambda: notifications.calls, timeout=10)
            seen.extend(tray_texts())
            seen.append(await asyncio.to_thread(cli, "tunnel", "list"))
            seen.extend(text for call in notifications.calls for text in (call.summary, call.body))

    try:
        qloop.run_until_complete(scenario())
    finally:
        for handler in [h for h in logging.getLogger().handlers if getattr(h, "_vouch_desktop_handler", False)]:
            logging.getLogger().removeHandler(handler)
            handler.close()
    sessions = demo.fake_aws.sessions()
    issued = [json.loads(line) for line in (demo.vouch_state.dir / "issued-credentials.jsonl").read_text().splitlines()]
    secrets = [s.token for s in sessions] + [demo.fake_aws.agent.url_for(s.session_id).split("?", 1)[1]
                                             for s in sessions]
    secrets += [c[k] for c in issued for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")]
    files = {"log": paths.log_file.read_text(), "history": paths.history_file.read_text()}
    hits = [f"{secret[:6]}… in {line[:160]!r}" for text in seen + list(files.values()) for line in text.splitlines()
            for secret in secrets if secret in line]
    reliability(secrets_checked=len(secrets), texts_shown=len(seen), hits=len(hits))
    assert len(sessions) >= 2 and issued and hits == []
    # the plugin's words were shown (masked): the checks above read the texts that carried them
    assert any("Cannot continue the session: token=****" in text for text in seen), seen
    assert any("Cannot perform start session: token=****" in call.body for call in notifications.calls)
    assert "Cannot perform start session: token=****" in files["history"]
    assert "Cannot continue the session: token=****" in files["log"]


def test_deleting_a_running_tunnels_profile_stops_it(qapp, qloop, demo):  # noqa: F811
    desktop = VouchDesktop(qapp, AppPaths.default().ensure(), argparse.Namespace(quit_after=None), demo)
    service = desktop.service

    async def scenario():
        async with running(desktop):
            await asyncio.to_thread(cli, "tunnel", "up", "orders-db")
            await until(lambda: service.tunnels.status("orders-db").state is TunnelState.UP, timeout=30)
            port = service.tunnels.status("orders-db").local_port
            [pid] = service.tunnels.pids()
            service.profiles.delete("orders-db")  # what the profiles window's Delete button does
            await until(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE,
                        timeout=10)
            await until(lambda: demo.fake_aws.active_sessions() == [], timeout=10)
            listed = await asyncio.to_thread(cli, "tunnel", "list")
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return listed

    listed = qloop.run_until_complete(scenario())
    assert "orders-db" not in listed and "up" not in listed.split()
