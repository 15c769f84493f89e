"""Faults seen from the whole app (demo world, in this process): the fake AWS server stops while a
tunnel is up. The app keeps answering (control socket, tray menu), says what is wrong in the tray,
in `tunnel list` and in the instance browser, and the tunnel comes back when the server does."""

from __future__ import annotations

import argparse
import asyncio

import pytest

from tests.fixtures.sockets import roundtrip
from tests.fixtures.waiting import LoopWatch
from tests.ui import test_app_end_to_end
from tests.ui.conftest import until
from tests.ui.test_app_end_to_end import running
from vouch_desktop.core.system.ipc_client import send_request
from vouch_desktop.core.system.ipc_protocol import GetStatus, ListTunnels
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.core.tunnels.manager import Backoff
from vouch_desktop.core.tunnels.state import TunnelState
from vouch_desktop.ui.composition import VouchDesktop
from vouch_desktop.ui.tray import find_action

pytestmark = pytest.mark.desktop
demo = test_app_end_to_end.demo  # the end-to-end tests' demo world (fixture), used as it is

UNREACHABLE = "AWS could not be reached"


def test_aws_down_and_back_while_a_tunnel_is_up(qapp, qloop, demo, reliability):
    paths = AppPaths.default().ensure()
    desktop = VouchDesktop(qapp, paths, argparse.Namespace(quit_after=None), demo)
    service, windows = desktop.service, desktop.windows
    tunnels = service.tunnels
    # a short backoff, so that the test sees many attempts quickly, and a low limit for faults that do not pass
    tunnels.backoff = Backoff(first=0.1, cap=0.5, max_failures=3)
    endpoint = paths.control_endpoint(demo=True)

    def tunnel_entry() -> str:
        """The tunnel's item: its text, then its tooltip (the full reason is there, not in the text)."""
        desktop.tray.menu.aboutToShow.emit()
        entry = find_action(desktop.tray.submenu("Tunnels"), "orders-db")
        return f"{entry.text()}\n{entry.toolTip()}"

    async def scenario():
        async with running(desktop):
            await service.set_tunnel(service.profiles.find("orders-db"), True)
            await until(lambda: tunnels.status("orders-db").state is TunnelState.UP, timeout=20)
            port = tunnels.status("orders-db").local_port
            watch = LoopWatch()
            demo.fake_aws.stop_api()
            try:
                await until(lambda: UNREACHABLE in tunnels.status("orders-db").reason, timeout=30,
                            what="the tunnel reports the outage")
                entry = tunnel_entry()
                assert "reconnecting (attempt" in entry.splitlines()[0] and UNREACHABLE in entry
                # the app answers its command line during the outage, with the reason
                listed = await asyncio.to_thread(send_request, endpoint, ListTunnels(), timeout=5)
                [row] = [t for t in listed.tunnels if t.name == "orders-db"]
                assert row.state in ("reconnecting", "starting") and UNREACHABLE in row.reason
                status = await asyncio.to_thread(send_request, endpoint, GetStatus(), timeout=5)
                assert status.logged_in and status.headline.startswith("Logged in as")  # Vouch is fine
                # the instance browser says so for every region, and does not crash
                windows.instances.show_browser()
                await until(lambda: not windows.instances.browser.errors_label.isHidden()  # region by region
                            and not windows.instances.browser.progress.isVisible(), timeout=30,
                            what="the browser shows the failures")
                text = windows.instances.browser.errors_label.text()
                assert all(f"{region}: {UNREACHABLE}" in text for region in demo.regions), text
                await until(lambda: tunnels.status("orders-db").attempts >= 6, timeout=30,
                            what="twice the attempts allowed for faults that do not pass")
                attempts = tunnels.status("orders-db").attempts
                assert tunnels.status("orders-db").state is not TunnelState.FAILED
            finally:
                demo.fake_aws.restart()
            await until(lambda: tunnels.status("orders-db").state is TunnelState.UP, timeout=30,
                        what="the tunnel back up")
            assert tunnels.status("orders-db").local_port == port
            assert await asyncio.to_thread(roundtrip, port, b"SELECT 1;") == b"SELECT 1;"
            assert UNREACHABLE not in tunnel_entry() and "up on localhost" in tunnel_entry()
            windows.instances.browser.refresh_button.click()
            browser = windows.instances.browser
            await until(lambda: browser.model.rowCount() > 0 and browser.errors_label.isHidden(),
                        timeout=30, what="the browser lists instances again")
            rows = windows.instances.browser.model.rowCount()
            windows.instances.browser.close()
            await watch.close()
        return attempts, rows, watch.longest

    attempts, rows, longest = qloop.run_until_complete(scenario())
    reliability(attempts_during_outage=attempts, regions_reported=len(demo.regions), instances_after_recovery=rows,
                loop_longest_stall_ms=round(longest * 1000))
