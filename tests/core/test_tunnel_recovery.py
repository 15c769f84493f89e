"""Tunnels that come back under real use (issue 15): client connections held open across a drop, on
the real TunnelManager with real sockets, the fake plugin as a real process and the built-in backend."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time

import psutil
import pytest

from tests.core import test_tunnels
from tests.core.test_tunnels import Spec, make_manager, wait_state
from tests.fixtures.plugins import BLOCKS_ON_OUTPUT, plugin_variant
from tests.fixtures.sockets import roundtrip_async
from tests.fixtures.waiting import until
from vouch_desktop.core.tunnels.manager import Backoff
from vouch_desktop.core.tunnels.state import TunnelState

tunnel_world = test_tunnels.tunnel_world  # the tunnel tests' fake world (fixture), used as it is


async def open_held(port: int, count: int) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """``count`` client connections that each carried a round trip and stay open (an IDE, a pool)."""
    held = []
    for n in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"held {n}".encode())
        await writer.drain()
        assert await asyncio.wait_for(reader.readexactly(len(f"held {n}")), 10) == f"held {n}".encode()
        held.append((reader, writer))
    return held


async def close_all(held: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]) -> None:
    for _, writer in held:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def first_new_connection(port: int, limit: float) -> float:
    """Seconds until a new connection through the port carries bytes both ways (tried every 50 ms)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while True:
        try:
            if await roundtrip_async(port, b"new connection", timeout=2) == b"new connection":
                return loop.time() - start
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            pass
        if loop.time() - start > limit:
            raise AssertionError(f"no new connection through port {port} within {limit:g} s")
        await asyncio.sleep(0.05)


def cause_drop(fault: str, manager, fake_aws) -> bool:
    """Cause the drop; False when the tunnel rides it out instead of restarting."""
    if fault == "carrier killed":
        pids = manager.pids()
        if pids:  # the plugin
            os.kill(pids[0], signal.SIGKILL)
        else:  # built-in: its websocket cut (the network went away under it): resumed, same session
            fake_aws.agent.drop_connections()
            return False
    else:  # the service ends the session (idle timeout, network change)
        fake_aws.drop_session(fake_aws.active_sessions()[0].session_id)
    return True


DOCUMENTS = ["AWS-StartPortForwardingSessionToRemoteHost", "AWS-StartPortForwardingSession"]


def spec_for(document: str, fake_aws, target: str, echo_address: tuple[str, int]) -> Spec:
    if document == "AWS-StartPortForwardingSession":  # to a port on the instance itself: routed by its id
        fake_aws.add_route(target, 5432, echo_address)
        return Spec("orders", target, remote_host="", document=document)
    return Spec("orders", target, document=document)


@pytest.mark.parametrize("document", DOCUMENTS, ids=["to-remote-host", "to-instance"])
@pytest.mark.parametrize("fault", ["carrier killed", "session dropped"])
@pytest.mark.parametrize("backend", ["plugin", "builtin"])
def test_back_at_once_with_client_connections_held_open(tunnel_world, echo_server, backend, fault, document,
                                                        reliability):
    """Connections open at the drop (some kept open, some closed right after: FIN-WAIT and TIME-WAIT on
    the tunnel's port) must not make the next start think the port is taken: new connections work
    again on the first attempt, with the app's own backoff."""
    fake_aws, target, plugin = tunnel_world

    async def scenario():
        manager, events = make_manager(plugin, backend=lambda: backend, backoff=Backoff())
        reasons = []
        manager.changed.connect(lambda s: reasons.append(s.reason))
        await manager.start(spec_for(document, fake_aws, target, echo_server.address))
        first = await wait_state(manager, "orders", TunnelState.UP)
        kept = await open_held(first.local_port, 3)
        closed_after = await open_held(first.local_port, 3)
        loop = asyncio.get_running_loop()
        await asyncio.sleep(manager.backoff.stable)  # in use for a while, as a tunnel is when it drops
        try:
            dropped = loop.time()
            restarts = cause_drop(fault, manager, fake_aws)
            await close_all(closed_after)
            if restarts:
                await until(lambda: manager.status("orders").state is not TunnelState.UP, 10, what="the drop noticed")
            await first_new_connection(first.local_port, limit=30)
            took = loop.time() - dropped
            status = await wait_state(manager, "orders", TunnelState.UP)
        finally:
            await close_all(kept + closed_after)
            await manager.stop_all()
        assert not [r for r in reasons if "in use" in r], reasons
        assert status.local_port == first.local_port and status.attempts == 0
        assert [k for k, _ in events].count("tunnel_failure") == 0
        return took

    took = asyncio.run(scenario())
    reliability(backend=backend, fault=fault, held_connections=3, new_connection_after_s=round(took, 2))
    assert took < 10  # the goal (2 s) is measured by benchmarks/tunnel_reconnect.py; 64 s before the fix


def test_a_port_another_program_holds_is_still_reported_with_its_owner_after_a_drop(tunnel_world):
    """The tunnel's own leftovers never count, but a program that takes the port while the tunnel is
    reconnecting is named."""
    fake_aws, target, plugin = tunnel_world

    async def scenario():
        manager, _ = make_manager(plugin, backoff=Backoff(first=0.3, cap=0.5, max_failures=3))
        await manager.start(Spec("orders", target))
        first = await wait_state(manager, "orders", TunnelState.UP)
        held = await open_held(first.local_port, 2)
        os.kill(manager.pids()[0], signal.SIGKILL)
        thief = socket.socket()
        thief.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do
        try:
            for _ in range(100):  # the plugin's listener goes with it: take the port at once
                try:
                    thief.bind(("127.0.0.1", first.local_port))
                    break
                except OSError:
                    await asyncio.sleep(0.01)
            thief.listen()
            status = await wait_state(manager, "orders", TunnelState.FAILED, timeout=20)
        finally:
            thief.close()
            await close_all(held)
            await manager.stop_all()
        assert f"local port {first.local_port} is already in use by python" in status.reason.lower()
        assert "give this tunnel another local port" in status.advice

    asyncio.run(scenario())


def test_ten_thousand_short_connections_through_a_plugin_that_prints_a_line_for_each(tunnel_world, reliability):
    """The demo plugin prints "Connection accepted …" per connection, as AWS's does for older agents:
    ~70 bytes each, 700 KB in all, where an unread pipe blocked it after ~190 KiB (~3,100 connections)
    while the tunnel said "up"."""
    fake_aws, target, plugin = tunnel_world
    total, parallel = 10_000, 16

    async def scenario():
        manager, events = make_manager(plugin)  # the app's own health check: a wedge would restart it
        await manager.start(Spec("orders", target))
        status = await wait_state(manager, "orders", TunnelState.UP)
        [pid] = manager.pids()
        echoed = 0

        async def client(worker: int) -> None:
            nonlocal echoed
            for n in range(worker, total, parallel):
                payload = f"connection {n}".encode()
                assert await roundtrip_async(status.local_port, payload, timeout=10) == payload
                echoed += 1

        started = asyncio.get_running_loop().time()
        try:
            await asyncio.gather(*(client(w) for w in range(parallel)))
        finally:
            took = asyncio.get_running_loop().time() - started
            printed = manager._tunnels["orders"].carrier.process.tails["stdout"].total
            after = manager.status("orders")
            pids = manager.pids()
            await manager.stop_all()
        assert echoed == total
        assert after.state is TunnelState.UP and pids == [pid]  # the same plugin all along: never wedged
        assert [k for k, _ in events] == ["tunnel_start", "tunnel_stop"]
        return printed, took

    printed, took = asyncio.run(scenario())
    assert printed > 500_000  # what the plugin wrote, read as it came
    reliability(connections=total, echoed=total, plugin_output_kib=printed // 1024, seconds=round(took, 1))


@pytest.mark.parametrize("wedge", ["stopped", "blocked on its output"])
def test_a_wedged_plugin_is_noticed_and_restarted(tunnel_world, tmp_path, wedge, reliability):
    """A plugin that stops taking connections while its port still completes handshakes (stopped with
    SIGSTOP, or blocked in a write, as on a full pipe) leaves clients waiting for ever under an "up"
    tunnel: the health check restarts it."""
    fake_aws, target, plugin = tunnel_world
    if wedge != "stopped":
        plugin = plugin_variant(tmp_path, "session-manager-plugin", BLOCKS_ON_OUTPUT)

    async def scenario():
        manager, events = make_manager(plugin, health_interval=0.3, accept_limit=1.0)
        await manager.start(Spec("orders", target))
        first = await wait_state(manager, "orders", TunnelState.UP)
        [wedged] = manager.pids()
        if wedge == "stopped":
            os.kill(wedged, signal.SIGSTOP)
        # (blocked: the first connection, the start-up probe, already blocked it)
        stuck = asyncio.ensure_future(roundtrip_async(first.local_port, b"waits in the accept queue", timeout=30))
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            await until(lambda: manager.status("orders").state is not TunnelState.UP, 20, what="the wedge noticed")
            reason = manager.status("orders").reason
            await until(lambda: manager.pids() not in ([], [wedged])
                        and manager.status("orders").state is TunnelState.UP, 20, what="a new plugin")
            back = loop.time() - started
        finally:
            await asyncio.gather(stuck, return_exceptions=True)
            await manager.stop_all()
        assert not psutil.pid_exists(wedged) or psutil.Process(wedged).status() == psutil.STATUS_ZOMBIE
        return reason, back

    reason, back = asyncio.run(scenario())
    expected = "the plugin process is stopped" if wedge == "stopped" else "stopped accepting connections"
    assert reason.startswith("restarted: ") and expected in reason, reason
    reliability(wedge=wedge, restarted_after_s=round(back, 1))


def test_a_wedged_built_in_forwarding_thread_is_noticed_and_the_tunnel_restarted(tunnel_world):
    fake_aws, target, plugin = tunnel_world

    async def scenario():
        manager, _ = make_manager(plugin, backend=lambda: "builtin", health_interval=0.3, accept_limit=1.0)
        await manager.start(Spec("orders", target))
        await wait_state(manager, "orders", TunnelState.UP)
        # something on the forwarding thread blocks its loop (a bug, a blocking call) for 3 s
        await manager.engine.call(asyncio.sleep(0))
        manager.engine._loop.call_soon_threadsafe(time.sleep, 3)
        await until(lambda: manager.status("orders").state is not TunnelState.UP, 10, what="the wedge noticed")
        reason = manager.status("orders").reason
        again = await wait_state(manager, "orders", TunnelState.UP, timeout=20)
        assert await roundtrip_async(again.local_port, b"again") == b"again"
        await manager.stop_all()
        return reason

    assert asyncio.run(scenario()) == "restarted: the built-in forwarding thread did not answer within 1 s"


def test_waiting_connections_are_the_ones_no_program_took_yet():
    """The accept-queue reading, on real sockets: connected by the kernel, not yet accepted."""
    from vouch_desktop.core.tunnels.health import AcceptWatch, waiting_connections

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        assert waiting_connections(port) == set()
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        try:
            assert len(waiting_connections(port)) == 3
            watch = AcceptWatch(port, limit=5)
            assert watch.problem(now=100.0) == ""
            assert watch.problem(now=106.0) == f"local port {port} stopped accepting connections " \
                                               f"(3 waiting, the oldest for 6 s)"
            taken, _ = listener.accept()
            taken.close()
            assert len(waiting_connections(port)) == 2  # the accepted one is a program's now
            clients[1].close()  # one that gave up waiting still waits in the queue (CLOSE-WAIT)
            assert len(waiting_connections(port)) == 2
        finally:
            for client in clients:
                client.close()


def test_a_tunnel_that_was_up_a_while_is_tried_again_at_once_but_one_that_keeps_dropping_backs_off():
    backoff = Backoff()
    assert backoff.delay(1, up_for=60) == backoff.after_drop
    assert 0.4 <= backoff.delay(1, up_for=0.5) <= 0.6  # dropped right after coming up: the usual backoff
    assert 0.4 <= backoff.delay(1) <= 0.6 and 0.8 <= backoff.delay(2, up_for=60) <= 1.2
