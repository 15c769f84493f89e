"""The app's own PluginCarrier with AWS's plugin: a saved tunnel, end to end."""

from __future__ import annotations

import asyncio
import hashlib
import os

import psutil
import pytest

from tests.core.test_tunnels import wait_state
from tests.fixtures.sockets import roundtrip_async
from tests.fixtures.waiting import until
from tests.realplugin.conftest import free_port, managed_instance
from vouch_desktop.core.aws.sessions import AwsSessions
from vouch_desktop.core.storage.profiles import ProfileBook, TunnelProfile
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.core.system.processes import ProcessRegistry
from vouch_desktop.core.tunnels.backends import TunnelBackend
from vouch_desktop.core.tunnels.manager import TunnelManager
from vouch_desktop.core.tunnels.state import TunnelState

DB_HOST = "orders.cluster-abc.eu-west-1.rds.amazonaws.com"


@pytest.mark.parametrize("flag_lost", [False, True], ids=["flag delivered", "flag lost"])
def test_a_saved_tunnel_runs_through_aws_plugin(real_plugin, aws_env, fake_aws, echo_server, process_watch,
                                                flag_lost):
    """Stopped, the session ends on the service even when the plugin's TerminateSession flag is lost: AWS's
    plugin can number it the same as a message sent at that moment, and the agent then ignores it."""
    target = managed_instance(fake_aws)
    fake_aws.add_route(DB_HOST, 5432, echo_server.address)
    paths = AppPaths.default().ensure()
    ProfileBook(paths).add(TunnelProfile("orders", target, 5432, "eu-west-1", DB_HOST, local_port=free_port(),
                                         aws_profile=aws_env))
    book = ProfileBook(paths)
    assert book.load() == []
    saved = book.require("orders", TunnelProfile)

    async def scenario():
        manager = TunnelManager(AwsSessions(), ProcessRegistry(), plugin_path=lambda: real_plugin,
                                backend=lambda: "plugin")
        await manager.start(saved)
        status = await wait_state(manager, "orders", TunnelState.UP, timeout=30)
        assert status.backend is TunnelBackend.PLUGIN and status.local_port == saved.local_port
        (pid,) = manager.pids()
        plugin = psutil.Process(pid)
        assert plugin.exe() == os.path.realpath(real_plugin)
        assert plugin.cmdline()[1] == "AWS_SSM_START_SESSION_RESPONSE"  # the token is not in the process list
        assert all(s.token not in " ".join(plugin.cmdline()) for s in fake_aws.sessions())

        payloads = [os.urandom(512 * 1024) for _ in range(4)]
        echoed = await asyncio.gather(*(roundtrip_async(status.local_port, p, timeout=60) for p in payloads))
        assert [hashlib.sha256(e).digest() for e in echoed] == [hashlib.sha256(p).digest() for p in payloads]
        session_id = fake_aws.active_sessions()[0].session_id
        agent_session = fake_aws.agent.session(session_id)
        assert agent_session.multiplexed

        await until(lambda: agent_session.plugin.connections_open == 0, timeout=10, what="connections closed")
        if flag_lost:  # the next message from the plugin (its flag) is not processed
            fake_aws.agent.faults.ignore_input.add(agent_session.channel.expected)
        await manager.stop("orders")
        assert manager.status("orders").state is TunnelState.STOPPED
        # the plugin told the agent (its TerminateSession flag), unless the flag was lost
        assert agent_session.plugin.cancelled.done() != flag_lost
        assert fake_aws.active_sessions() == []  # either way the manager terminated the session on the service
        await manager.stop_all()

    asyncio.run(scenario())
    assert process_watch.leftovers() == []  # the plugin was stopped and reaped
