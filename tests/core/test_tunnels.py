"""Tunnels with real parts: fake AWS, the fake plugin as a real process, an echo server as the database."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from dataclasses import dataclass

import psutil
import pytest

from tests.fixtures.sockets import roundtrip_async
from vouch_desktop.core.aws.sessions import AwsSessions
from vouch_desktop.core.system.processes import ProcessRegistry
from vouch_desktop.core.tunnels.backends import TunnelBackend
from vouch_desktop.core.tunnels.manager import Backoff, TunnelManager
from vouch_desktop.core.tunnels.state import TunnelState
from vouch_desktop.demo.fake_aws import MANAGED_TAG

DB_HOST = "orders.cluster-abc.eu-west-1.rds.amazonaws.com"


@dataclass
class Spec:
    name: str
    target: str
    remote_host: str = DB_HOST
    remote_port: int = 5432
    local_port: int = 0
    region: str = "eu-west-1"
    aws_profile: str = "test"
    document: str = "AWS-StartPortForwardingSessionToRemoteHost"


def bastion(fake_aws, name="bastion", region="eu-west-1"):
    tags = [{"Key": MANAGED_TAG, "Value": "online"}, {"Key": "Name", "Value": name}]
    return fake_aws.client("ec2", region).run_instances(
        ImageId="ami-12345678", MinCount=1, MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])["Instances"][0]["InstanceId"]


async def wait_state(manager, name, state, timeout=10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while manager.status(name).state is not state:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{name}: wanted {state}, is {manager.status(name)}")
        await asyncio.sleep(0.02)
    return manager.status(name)


def make_manager(plugin, **kwargs):
    events = []
    manager = TunnelManager(AwsSessions(), ProcessRegistry(), plugin_path=lambda: plugin,
                            record=lambda kind, data: events.append((kind, data)),
                            backoff=kwargs.pop("backoff", Backoff(first=0.1, cap=0.5, max_failures=4)), **kwargs)
    return manager, events


@pytest.fixture
def tunnel_world(aws_env, fake_aws, echo_server, demo_plugin_path):
    fake_aws.add_route(DB_HOST, 5432, echo_server.address)
    return fake_aws, bastion(fake_aws), demo_plugin_path


def test_tunnel_carries_real_bytes_and_stops_cleanly(tunnel_world):
    fake_aws, target, plugin = tunnel_world

    async def scenario():
        manager, events = make_manager(plugin)
        seen = []
        manager.changed.connect(lambda s: seen.append(s.state))
        await manager.start(Spec("orders", target))
        status = await wait_state(manager, "orders", TunnelState.UP)
        assert status.local_port > 0 and status.address == f"localhost:{status.local_port}"
        payload = os.urandom(200_000)
        assert await roundtrip_async(status.local_port, payload) == payload
        pid = manager.pids()[0]
        assert [s.status for s in fake_aws.active_sessions()] == ["Connected"]
        await manager.stop("orders")
        assert manager.status("orders").state is TunnelState.STOPPED
        assert not psutil.pid_exists(pid)  # stopped and reaped
        assert fake_aws.active_sessions() == []  # terminated on the service side too
        assert seen[0] is TunnelState.STARTING and seen[-1] is TunnelState.STOPPED and TunnelState.UP in seen
        assert [k for k, _ in events] == ["tunnel_start", "tunnel_stop"]

    asyncio.run(scenario())


def test_the_token_never_reaches_the_process_list(tunnel_world):
    fake_aws, target, plugin = tunnel_world

    async def scenario():
        manager, _ = make_manager(plugin)
        await manager.start(Spec("orders", target))
        await wait_state(manager, "orders", TunnelState.UP)
        token = fake_aws.sessions()[0].token
        cmdline = " ".join(psutil.Process(manager.pids()[0]).cmdline())
        assert token not in cmdline and "StartSession" in cmdline
        await manager.stop_all()

    asyncio.run(scenario())


def test_killed_plugin_reconnects_and_carries_data_again(tunnel_world):
    fake_aws, target, plugin = tunnel_world

    async def scenario():
        manager, events = make_manager(plugin)
        await manager.start(Spec("orders", target, local_port=0))
        first = await wait_state(manager, "orders", TunnelState.UP)
        os.kill(manager.pids()[0], signal.SIGKILL)
        await wait_state(manager, "orders", TunnelState.RECONNECTING, timeout=5)
        again = await wait_state(manager, "orders", TunnelState.UP, timeout=5)
        assert again.local_port == first.local_port  # same address for the user's clients
        assert await roundtrip_async(again.local_port, b"after reconnect") == b"after reconnect"
        kinds = [k for k, _ in events]
        assert kinds.index("tunnel_start") < kinds.index("tunnel_drop") < kinds.index("tunnel_recovered")
        await manager.stop_all()

    asyncio.run(scenario())


@pytest.mark.parametrize("backend", ["plugin", "builtin"])
def test_dropped_session_reconnects(tunnel_world, backend):
    fake_aws, target, plugin = tunnel_world

    async def scenario():
        manager, _ = make_manager(plugin, backend=lambda: backend)
        await manager.start(Spec("orders", target))
        await wait_state(manager, "orders", TunnelState.UP)
        first_session = fake_aws.active_sessions()[0].session_id
        fake_aws.drop_session(first_session)  # idle timeout on the service side
        await wait_state(manager, "orders", TunnelState.RECONNECTING, timeout=5)
        status = await wait_state(manager, "orders", TunnelState.UP, timeout=5)
        assert [s.session_id for s in fake_aws.active_sessions()] != [first_session]
        assert await roundtrip_async(status.local_port, b"x") == b"x"
        await manager.stop_all()

    asyncio.run(scenario())


def test_port_in_use_fails_at_once_naming_the_holder(tunnel_world):
    fake_aws, target, plugin = tunnel_world
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]

    async def scenario():
        manager, _ = make_manager(plugin)
        failed = []
        manager.failed.connect(failed.append)
        await manager.start(Spec("orders", target, local_port=port))
        status = await wait_state(manager, "orders", TunnelState.FAILED)
        assert f"Local port {port} is already in use" in status.reason
        assert "python" in status.reason.lower()  # the holder is this test process
        assert failed and failed[0].name == "orders"
        assert fake_aws.active_sessions() == []

    try:
        asyncio.run(scenario())
    finally:
        holder.close()


def test_plugin_missing_fails_with_the_guides_message_when_the_plugin_is_required(tunnel_world):
    fake_aws, target, _ = tunnel_world

    async def scenario():
        manager, _ = make_manager(None, backend=lambda: "plugin")
        await manager.start(Spec("orders", target))
        status = await wait_state(manager, "orders", TunnelState.FAILED)
        assert status.reason == "SessionManagerPlugin is not found."
        assert "Session Manager plugin" in status.advice and "built-in" in status.advice
        assert fake_aws.active_sessions() == []

    asyncio.run(scenario())


def test_without_the_plugin_tunnels_use_the_built_in_backend(tunnel_world):
    fake_aws, target, plugin = tunnel_world

    async def scenario():
        manager, events = make_manager(None)  # "auto" and no plugin installed
        await manager.start(Spec("orders", target))
        status = await wait_state(manager, "orders", TunnelState.UP)
        assert status.backend is TunnelBackend.BUILTIN and status.summary.endswith("· built-in")
        payload = os.urandom(200_000)
        assert await roundtrip_async(status.local_port, payload) == payload
        assert manager.pids() == [] and manager.engine.running  # no child process: the shared thread
        assert fake_aws.agent.streams_forwarded >= 1
        await manager.stop("orders")
        assert fake_aws.active_sessions() == []
        assert [k for k, _ in events] == ["tunnel_start", "tunnel_stop"]
        await manager.stop_all()
        assert not manager.engine.running

    asyncio.run(scenario())


def test_auto_prefers_an_installed_plugin_and_builtin_can_be_forced(tunnel_world):
    fake_aws, target, plugin = tunnel_world

    async def scenario():
        choice = {"backend": "auto"}
        manager, _ = make_manager(plugin, backend=lambda: choice["backend"])
        await manager.start(Spec("orders", target))
        assert (await wait_state(manager, "orders", TunnelState.UP)).backend is TunnelBackend.PLUGIN
        await manager.stop("orders")
        choice["backend"] = "builtin"
        await manager.start(Spec("orders", target))
        status = await wait_state(manager, "orders", TunnelState.UP)
        assert status.backend is TunnelBackend.BUILTIN and manager.pids() == []
        assert await roundtrip_async(status.local_port, b"forced") == b"forced"
        await manager.stop_all()

    asyncio.run(scenario())


def test_built_in_tunnel_reconnects_when_the_service_ends_the_session(tunnel_world):
    """(A dropped websocket is resumed instead: tests/core/test_tunnel_resume.py.)"""
    fake_aws, target, _ = tunnel_world

    async def scenario():
        manager, events = make_manager(None)
        await manager.start(Spec("orders", target))
        first = await wait_state(manager, "orders", TunnelState.UP)
        fake_aws.drop_session(fake_aws.active_sessions()[0].session_id)
        await wait_state(manager, "orders", TunnelState.RECONNECTING, timeout=5)
        again = await wait_state(manager, "orders", TunnelState.UP, timeout=10)
        assert again.local_port == first.local_port
        assert await roundtrip_async(again.local_port, b"after the drop") == b"after the drop"
        kinds = [k for k, _ in events]
        assert kinds.index("tunnel_drop") < kinds.index("tunnel_recovered")
        await manager.stop_all()

    asyncio.run(scenario())


def test_access_denied_fails_for_good_and_target_not_connected_gives_up(tunnel_world):
    fake_aws, target, plugin = tunnel_world
    fake_aws.deny_start_session(target)
    launched = fake_aws.client("ec2").run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)
    offline = launched["Instances"][0]["InstanceId"]

    async def scenario():
        manager, events = make_manager(plugin)
        await manager.start(Spec("denied", target))
        await manager.start(Spec("offline", offline))
        denied = await wait_state(manager, "denied", TunnelState.FAILED)
        assert "AWS denied access" in denied.reason and "ssm:StartSession" in denied.advice
        gone = await wait_state(manager, "offline", TunnelState.FAILED, timeout=15)
        assert "gave up after 4 attempts" in gone.reason and "not connected" in gone.reason
        assert ("tunnel_failure" in [k for k, _ in events])

    asyncio.run(scenario())


def test_three_tunnels_and_stop_all_leave_no_process(aws_env, fake_aws, demo_plugin_path):
    servers = []

    async def scenario():
        from vouch_desktop.demo.echo_server import EchoServer

        manager, _ = make_manager(demo_plugin_path)
        target = bastion(fake_aws)
        for n in range(3):
            server = EchoServer().start()
            servers.append(server)
            fake_aws.add_route(f"db{n}.internal", 5432, server.address)
            await manager.start(Spec(f"db{n}", target, remote_host=f"db{n}.internal"))
        for n in range(3):
            status = await wait_state(manager, f"db{n}", TunnelState.UP)
            assert await roundtrip_async(status.local_port, f"db{n}".encode()) == f"db{n}".encode()
        pids = manager.pids()
        assert len(set(pids)) == 3
        await manager.stop_all()
        for pid in pids:
            assert not psutil.pid_exists(pid)
        assert manager.processes.pids() == []

    try:
        asyncio.run(scenario())
    finally:
        for server in servers:
            server.stop()


def test_expired_credentials_pause_and_a_login_resumes(tunnel_world):
    fake_aws, target, plugin = tunnel_world

    async def scenario():
        manager, _ = make_manager(plugin)
        await manager.start(Spec("orders", target))
        await wait_state(manager, "orders", TunnelState.UP)
        manager.credentials_valid = False  # the Vouch session expired
        fake_aws.drop_session(fake_aws.active_sessions()[0].session_id)
        await wait_state(manager, "orders", TunnelState.PAUSED, timeout=5)
        await asyncio.sleep(0.5)
        assert fake_aws.active_sessions() == []  # no reconnect attempts while logged out
        manager.credentials_valid = True  # logged in again
        status = await wait_state(manager, "orders", TunnelState.UP, timeout=5)
        assert await roundtrip_async(status.local_port, b"resumed") == b"resumed"
        await manager.stop_all()

    asyncio.run(scenario())


CRASHING_APP = """
import asyncio, sys
from vouch_desktop.core.system.processes import ProcessRegistry

async def main():
    child = await ProcessRegistry().spawn([sys.executable, "-c", "import time; time.sleep(60)"])
    print(child.pid, flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


def test_children_die_even_when_the_app_is_killed(tmp_path):
    """A crash (SIGKILL: no atexit, no cleanup) still leaves no plugin behind on Linux."""
    import subprocess
    import sys
    import time

    app = subprocess.Popen([sys.executable, "-c", CRASHING_APP], stdout=subprocess.PIPE, text=True,
                           env=dict(os.environ, PYTHONPATH=os.getcwd()))
    child_pid = int(app.stdout.readline())
    assert psutil.pid_exists(child_pid)
    app.kill()
    app.wait()
    app.stdout.close()
    deadline = time.monotonic() + 10
    while psutil.pid_exists(child_pid) and psutil.Process(child_pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "child outlived the killed app"
        time.sleep(0.05)
