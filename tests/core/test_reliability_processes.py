"""Processes: tunnels started and stopped again and again through the real TunnelManager (fake AWS,
the fake session-manager-plugin as a real process, an echo server as the database) leave no
process behind, and no session open."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

from tests.core import test_tunnels
from tests.core.test_tunnels import Spec, make_manager, wait_state
from tests.fixtures.sockets import roundtrip_async
from vouch_desktop.core.tunnels.state import TunnelState

tunnel_world = test_tunnels.tunnel_world  # the tunnel tests' fake world (fixture), used as it is

CYCLES = 100


def test_tunnel_start_stop_cycles_leave_no_orphan_process(tunnel_world, process_watch, reliability):
    fake_aws, target, plugin = tunnel_world

    async def scenario():
        manager, events = make_manager(plugin)
        plugin_pids, carried, ups = set(), 0, 0
        for n in range(CYCLES):
            await manager.start(Spec("orders", target))
            status = await wait_state(manager, "orders", TunnelState.UP)
            ups += 1
            [pid] = manager.pids()
            plugin_pids.add(pid)
            payload = os.urandom(4096) + f"cycle {n}".encode()
            assert await roundtrip_async(status.local_port, payload) == payload
            carried += len(payload)
            await manager.stop("orders")
            assert manager.status("orders").state is TunnelState.STOPPED
            assert manager.processes.pids() == [] and manager.pids() == []
        kinds = [k for k, _ in events]
        return len(plugin_pids), ups, carried, kinds

    plugins, ups, carried, kinds = asyncio.run(scenario())
    sessions = fake_aws.sessions()
    # the mark and this test's session ids find its plugins; the plugin's path would also find the other
    # test worker's
    leftovers = process_watch.leftovers(*(s.session_id for s in sessions))
    assert leftovers == []
    assert ups == CYCLES and plugins == CYCLES and len(sessions) == CYCLES
    assert fake_aws.active_sessions() == []  # every session terminated on the service side too
    assert kinds.count("tunnel_start") == kinds.count("tunnel_stop") == CYCLES
    reliability(cycles=CYCLES, reached_up=ups, carried_bytes=carried, plugins_started=plugins,
                orphan_processes=len(leftovers), sessions_left_open=len(fake_aws.active_sessions()))


def test_the_orphan_count_sees_what_is_left_behind(process_watch):
    """The count can fail: a child not stopped, and a grandchild handed over to init, are both found."""
    from vouch_desktop.core.system.detached import launch_detached

    sleeper = [sys.executable, "-c", "import time; time.sleep(30)"]
    child = subprocess.Popen(sleeper, start_new_session=True)
    adopted = launch_detached(sleeper)  # double fork: no longer our descendant, found by its mark
    try:
        found = process_watch.leftovers()
        assert {int(line.split()[0]) for line in found} == {child.pid, adopted}
    finally:
        child.kill()
        child.wait()
        os.kill(adopted, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while process_watch.leftovers():
        assert time.monotonic() < deadline
        time.sleep(0.05)
