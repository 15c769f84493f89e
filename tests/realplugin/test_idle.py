"""A connection after two minutes of idle, through AWS's plugin and the built-in backend side by side.

The plugin's multiplexer (xtaci/smux) closes itself after a 30 s tick without any frame when its
keep-alive is on, and whether it is on depends on the agent's version; the agent decides its own from
the client's version. Those timers run on real time inside the plugin, so the idle is real: all the
sessions idle together, once (≈ 2 minutes; marked slow, run in CI).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.fixtures.sockets import roundtrip_async
from tests.realplugin.conftest import CURRENT_AGENT, KEEPALIVE_AGENT, SINGLE_AGENT, free_port, managed_instance
from tests.realplugin.test_port_sessions import TO_REMOTE_HOST, forward
from vouch_desktop.core.tunnels.datachannel.port_forwarding import CLIENT_VERSION, PortForwardingSession
from vouch_desktop.demo.ssm_agent import facts

IDLE = 125.0  # seconds: more than two of the plugin's 30 s smux ticks past the 75 s seen in the issue


def plugin_keeps_alive(agent_version: str) -> bool:
    """muxportforwarding.go: the plugin turns its smux keep-alive off for agents after 3.1.1511.0."""
    return not facts.newer(agent_version, facts.KEEPALIVE_CHECK_AFTER_AGENT)


@pytest.mark.slow
def test_connections_after_two_minutes_idle(aws_cli, fake_aws, echo_server):
    plugin_version = aws_cli.version.strip()
    runs = {}
    for name, version in (("keep-alives both ways", KEEPALIVE_AGENT), ("single connection", SINGLE_AGENT),
                          ("current agent", CURRENT_AGENT)):
        target = managed_instance(fake_aws, version, name=name)
        local_port = free_port()
        run = aws_cli.start_session(forward(fake_aws, echo_server, TO_REMOTE_HOST, target, local_port))
        assert run.local_port() == local_port
        runs[name] = (run, local_port, version)

    async def scenario():
        target = managed_instance(fake_aws, CURRENT_AGENT, name="built-in")
        started = fake_aws.client("ssm").start_session(**forward(fake_aws, echo_server, TO_REMOTE_HOST, target, 0))
        builtin = PortForwardingSession(started["StreamUrl"], started["TokenValue"], free_port(), handshake_timeout=10)
        await builtin.start()
        ports = {name: port for name, (_, port, _) in runs.items()} | {"built-in": builtin.local_port}
        for name, port in ports.items():
            assert await roundtrip_async(port, f"{name}: before".encode(), timeout=20) == f"{name}: before".encode()

        began = time.monotonic()
        await asyncio.sleep(IDLE)
        assert time.monotonic() - began >= IDLE

        for name, (run, port, version) in runs.items():
            agent_keeps_alive = facts.agent_smux_keepalive(version, plugin_version)
            multiplexed = facts.multiplexes(version, plugin_version, facts.LOCAL_PORT_FORWARDING)
            if multiplexed and agent_keeps_alive and not plugin_keeps_alive(version):
                # the agent waits for frames the plugin never sends (a plugin reporting 1.2.331.0 or older
                # against an agent after 3.1.1511.0): the agent's smux ends the idle session
                assert run.wait(5) == 0, name
                assert "smux keep-alive: nothing received from the client" in run.text, name
                continue
            payload = f"{name}: after {IDLE:.0f} s idle".encode()
            assert await roundtrip_async(port, payload, timeout=20) == payload, name
            assert run.process.poll() is None, name
            if multiplexed and agent_keeps_alive:
                assert fake_aws.agent.session(run.session_id).plugin.smux.nops_sent >= IDLE // 10 - 1, name
        payload = b"built-in: after the idle"
        assert await roundtrip_async(builtin.local_port, payload, timeout=20) == payload
        assert facts.newer(CLIENT_VERSION, facts.MUX_KEEPALIVE_DISABLED_AFTER_CLIENT)
        assert not fake_aws.agent.session(started["SessionId"]).plugin.keepalive  # none needed either way
        await builtin.close()

    asyncio.run(scenario())
