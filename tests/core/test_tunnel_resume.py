"""The built-in backend under real use (issue #15, points 4 and 5), on the real TunnelManager with real
sockets: a network blip is resumed with the connections that are open, a session that cannot be
resumed is replaced, and a server that speaks first is heard through an agent that carries one
connection at a time."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random

import pytest

from tests.core.test_tunnels import DB_HOST, Spec, bastion, make_manager, wait_state
from vouch_desktop.core.tunnels.state import TunnelState
from vouch_desktop.demo.echo_server import EchoServer

GREETING = b"220 db.example.internal ESMTP ready\r\n"


@pytest.fixture
def builtin_world(aws_env, fake_aws, echo_server):
    fake_aws.add_route(DB_HOST, 5432, echo_server.address)
    return fake_aws, bastion(fake_aws)


async def echo_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes) -> bytes:
    writer.write(payload)
    await writer.drain()
    return await asyncio.wait_for(reader.readexactly(len(payload)), 20)


def watch_states(manager) -> list[TunnelState]:
    seen: list[TunnelState] = []
    manager.changed.connect(lambda status: seen.append(status.state))
    return seen


@pytest.mark.parametrize("outage", [0.0, 1.5])
def test_a_websocket_cut_is_resumed_and_three_open_connections_survive(builtin_world, outage):
    """Three clients hold connections; one is uploading when the websocket is cut and the network
    stays down ``outage`` seconds. The session is resumed (same session, same stream position):
    every connection carries on with its bytes intact and the tunnel never leaves "up"."""
    fake_aws, target = builtin_world

    async def scenario():
        manager, events = make_manager(None, backend=lambda: "builtin")
        await manager.start(Spec("orders", target))
        status = await wait_state(manager, "orders", TunnelState.UP)
        seen = watch_states(manager)
        session_id = fake_aws.active_sessions()[0].session_id
        connections = [await asyncio.open_connection("127.0.0.1", status.local_port) for _ in range(3)]
        for reader, writer in connections:
            assert await echo_once(reader, writer, b"before the cut") == b"before the cut"

        bulk = os.urandom(1024 * 1024)
        reader, writer = connections[0]

        async def upload() -> None:
            for start in range(0, len(bulk), 64 * 1024):
                writer.write(bulk[start:start + 64 * 1024])
                await writer.drain()

        uploading = asyncio.ensure_future(upload())
        downloading = asyncio.ensure_future(reader.readexactly(len(bulk)))
        await asyncio.sleep(random.uniform(0.05, 0.3))  # somewhere in the middle of the transfer
        fake_aws.agent.drop_connections(refuse_for=outage)
        for _, other_writer in connections[1:]:  # bytes written during the outage wait for it
            other_writer.write(b"during the outage")
        for other_reader, _ in connections[1:]:
            assert await asyncio.wait_for(other_reader.readexactly(17), 30) == b"during the outage"
        await asyncio.wait_for(uploading, 60)
        echoed = await asyncio.wait_for(downloading, 60)
        assert hashlib.sha256(echoed).digest() == hashlib.sha256(bulk).digest()

        assert fake_aws.calls.count("ResumeSession") >= 1
        assert [s.session_id for s in fake_aws.active_sessions()] == [session_id]  # the same session
        assert fake_aws.agent.session(session_id).attachments >= 2
        if outage:
            assert fake_aws.agent.refused >= 1  # it really had to retry while the network was down
        assert TunnelState.RECONNECTING not in seen and manager.status("orders").state is TunnelState.UP
        assert ("tunnel_recovered", "session resumed after a network drop (connections kept)") in [
            (kind, data["message"]) for kind, data in events]
        for reader, writer in connections:
            assert await echo_once(reader, writer, b"after") == b"after"
            writer.close()
        await manager.stop_all()
        assert fake_aws.active_sessions() == []

    asyncio.run(scenario())


def test_a_session_that_cannot_be_resumed_is_replaced_by_a_new_one(builtin_world):
    fake_aws, target = builtin_world

    async def scenario():
        manager, events = make_manager(None, backend=lambda: "builtin")
        await manager.start(Spec("orders", target))
        first = await wait_state(manager, "orders", TunnelState.UP)
        old = fake_aws.active_sessions()[0].session_id
        fake_aws.agent.drop_connections(refuse_for=0.5)
        fake_aws.drop_session(old)  # meanwhile the service ended it: ResumeSession is refused
        await wait_state(manager, "orders", TunnelState.RECONNECTING, timeout=10)
        again = await wait_state(manager, "orders", TunnelState.UP, timeout=15)
        assert again.local_port == first.local_port
        assert [s.session_id for s in fake_aws.active_sessions()] != [old]
        assert "ResumeSession" in fake_aws.calls
        reader, writer = await asyncio.open_connection("127.0.0.1", again.local_port)
        assert await echo_once(reader, writer, b"on the new session") == b"on the new session"
        writer.close()
        assert any("would not resume" in data["message"] for kind, data in events if kind == "tunnel_drop"), events
        await manager.stop_all()

    asyncio.run(scenario())


def test_a_server_that_speaks_first_is_heard_through_a_single_connection_agent(aws_env, fake_aws):
    """Agents up to 3.0.196.0 carry one connection and dial the destination right after the handshake:
    the greeting arrives before anyone connects locally, and must reach the first connection."""
    with EchoServer(greeting=GREETING) as server:
        fake_aws.add_route(DB_HOST, 5432, server.address)
        fake_aws.agent.version = "3.0.161.0"
        target = bastion(fake_aws)

        async def scenario():
            manager, _ = make_manager(None, backend=lambda: "builtin")
            await manager.start(Spec("mail", target))
            status = await wait_state(manager, "mail", TunnelState.UP)
            await asyncio.sleep(0.5)  # the greeting is in flight or waiting before the client connects
            reader, writer = await asyncio.open_connection("127.0.0.1", status.local_port)
            assert await asyncio.wait_for(reader.readexactly(len(GREETING)), 10) == GREETING
            assert await echo_once(reader, writer, b"EHLO vouch\r\n") == b"EHLO vouch\r\n"
            writer.close()
            # the next connection: the agent dials again once the client speaks, and the server greets
            reader, writer = await asyncio.open_connection("127.0.0.1", status.local_port)
            writer.write(b"QUIT\r\n")
            assert await asyncio.wait_for(reader.readexactly(len(GREETING) + 6), 10) == GREETING + b"QUIT\r\n"
            writer.close()
            session = fake_aws.agent.session(fake_aws.active_sessions()[0].session_id)
            assert not session.multiplexed
            await manager.stop_all()

        asyncio.run(scenario())
