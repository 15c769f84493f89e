"""Faults with real parts: the fake AWS server stopped and restarted under a live tunnel and under
discovery, and the plugin killed again and again. The app must report each fault in plain words,
keep trying, and recover once the fault ends."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
    SSLError,
)

from tests.core import test_tunnels
from tests.core.test_tunnels import Spec, make_manager, wait_state
from tests.fixtures.sockets import roundtrip_async
from tests.fixtures.waiting import LoopWatch, until
from vouch_desktop.core.aws.discovery import InstanceDiscovery
from vouch_desktop.core.aws.sessions import AwsSessions, AwsUnreachable, translate
from vouch_desktop.core.tunnels.manager import Backoff
from vouch_desktop.core.tunnels.state import TunnelState

tunnel_world = test_tunnels.tunnel_world  # the tunnel tests' fake world (fixture), used as it is


@pytest.mark.parametrize("error",
                         [EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError])
def test_network_failures_are_unreachable_and_say_so(error):
    translated = translate(error(endpoint_url="https://ssm.eu-west-1.amazonaws.com"),
                           action="starting the tunnel session")
    assert isinstance(translated, AwsUnreachable) and translated.code == error.__name__
    assert translated.message == "AWS could not be reached (starting the tunnel session)."
    assert "network" in translated.advice


def test_a_certificate_problem_is_not_taken_for_an_outage():
    translated = translate(SSLError(endpoint_url="https://ssm.eu-west-1.amazonaws.com", error="bad certificate"))
    assert not isinstance(translated, AwsUnreachable) and "bad certificate" in translated.message


def test_aws_stopped_and_restarted_under_a_live_tunnel(tunnel_world, reliability):
    fake_aws, target, plugin = tunnel_world
    backoff = Backoff(first=0.1, cap=0.5, max_failures=2)

    async def scenario():
        manager, events = make_manager(plugin, backoff=backoff)
        seen = []
        manager.changed.connect(seen.append)
        await manager.start(Spec("orders", target))
        first = await wait_state(manager, "orders", TunnelState.UP)
        watch = LoopWatch()  # from the outage on
        outage = asyncio.get_running_loop().time()
        fake_aws.stop_api()
        try:
            # the plugin loses the service, the tunnel goes back to reconnecting, and StartSession is refused
            await until(lambda: "AWS could not be reached" in manager.status("orders").reason, 30,
                        what="the tunnel says AWS cannot be reached")
            status = manager.status("orders")
            assert status.state is TunnelState.RECONNECTING
            assert "network" in status.advice and "Traceback" not in status.reason
            assert status.summary.startswith("reconnecting (attempt ") and "AWS could not be reached" in status.summary
            # transient: it keeps trying well past the limit for failures that another attempt cannot cure
            await until(lambda: manager.status("orders").attempts >= 2 * backoff.max_failures, 60,
                        what="attempts beyond max_failures")
            assert manager.status("orders").state in (TunnelState.RECONNECTING, TunnelState.STARTING)
            assert TunnelState.FAILED not in [s.state for s in seen]
            attempts_during_outage = manager.status("orders").attempts
            # a second tunnel asked for during the outage is accepted and waits too
            await manager.start(Spec("second", target))
            await until(lambda: "AWS could not be reached" in manager.status("second").reason, 30,
                        what="the second tunnel reports the outage")
        finally:
            outage = asyncio.get_running_loop().time() - outage
            fake_aws.restart()  # same port, state kept
        back = asyncio.get_running_loop().time()
        again = await wait_state(manager, "orders", TunnelState.UP, timeout=30)
        back = asyncio.get_running_loop().time() - back
        second = await wait_state(manager, "second", TunnelState.UP, timeout=30)
        assert again.local_port == first.local_port and again.reason == ""
        assert await roundtrip_async(again.local_port, b"after the outage") == b"after the outage"
        assert await roundtrip_async(second.local_port, b"second") == b"second"
        await manager.stop_all()
        await watch.close()
        assert manager.processes.pids() == []
        # the session that could not be terminated while AWS was away is terminated once it is back
        stale = len(fake_aws.active_sessions())
        assert stale == 0, fake_aws.active_sessions()
        reliability(outage_s=round(outage, 1), attempts_during_outage=attempts_during_outage,
                    recovered_in_s=round(back, 1), failed_for_good=0, loop_longest_stall_ms=round(watch.longest * 1000),
                    sessions_left_open_by_the_outage=stale)

    asyncio.run(scenario())


def test_discovery_while_aws_is_down_reports_every_region_then_recovers(aws_env, fake_aws, reliability):
    from vouch_desktop.demo.seed import REGIONS, seed_demo_world

    seed_demo_world(fake_aws)
    discovery = InstanceDiscovery(AwsSessions())
    fake_aws.stop_api()
    try:
        down = asyncio.run(discovery.discover(aws_env, list(REGIONS)))
    finally:
        fake_aws.restart()
    assert down.instances == []
    assert sorted(f.region for f in down.failures) == sorted(REGIONS)
    assert all(f.message.startswith("AWS could not be reached (listing instances in ") for f in down.failures)
    assert all("network" in f.advice for f in down.failures)
    up = asyncio.run(discovery.discover(aws_env, list(REGIONS)))
    assert up.failures == [] and up.instances
    reliability(regions_reported=len(down.failures), instances_after_recovery=len(up.instances))


def test_plugin_killed_again_and_again_reconnects_each_time(tunnel_world, reliability):
    fake_aws, target, plugin = tunnel_world
    kills = 10

    async def scenario():
        manager, events = make_manager(plugin)
        await manager.start(Spec("orders", target))
        first = await wait_state(manager, "orders", TunnelState.UP)
        for n in range(kills):
            pid = manager.pids()[0]
            os.kill(pid, signal.SIGKILL)
            await until(lambda killed=pid: manager.pids() and manager.pids()[0] != killed
                        and manager.status("orders").state is TunnelState.UP, 20, what=f"reconnect after kill {n + 1}")
            payload = f"after kill {n + 1}".encode()
            assert await roundtrip_async(first.local_port, payload) == payload
        kinds = [k for k, _ in events]
        await manager.stop_all()
        assert manager.processes.pids() == [] and fake_aws.active_sessions() == []
        return kinds.count("tunnel_drop"), kinds.count("tunnel_recovered")

    drops, recoveries = asyncio.run(scenario())
    assert drops == recoveries == kills  # each kill is recorded as a drop and each return as a recovery
    reliability(plugin_kills=kills, recovered=kills, history_drops=drops, history_recoveries=recoveries)


def test_a_clock_jump_restarts_live_tunnels_on_the_same_ports(tunnel_world, reliability):
    """After a suspend the sessions are likely dead: the monitor's clock-jump signal restarts them."""
    fake_aws, target, plugin = tunnel_world

    async def scenario():
        manager, events = make_manager(plugin)
        await manager.start(Spec("orders", target))
        first = await wait_state(manager, "orders", TunnelState.UP)
        [old_pid] = manager.pids()
        await manager.reconnect_all("the clock jumped (resume from sleep)")  # what the controller calls
        await until(lambda: manager.pids() not in ([], [old_pid])
                    and manager.status("orders").state is TunnelState.UP, 20, what="the tunnel restarted")
        again = manager.status("orders")
        assert again.local_port == first.local_port
        assert await roundtrip_async(again.local_port, b"after the jump") == b"after the jump"
        await manager.stop_all()
        return [k for k, _ in events].count("tunnel_recovered")

    reconnects = asyncio.run(scenario())
    assert reconnects >= 1
    reliability(tunnels_restarted=1, recovered=1)
