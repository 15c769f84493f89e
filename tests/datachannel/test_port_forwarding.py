"""The built-in client against the fake SSM agent over real websockets, to a real echo server."""

from __future__ import annotations

import asyncio
import os
import socket

import pytest

from tests.fixtures.sockets import roundtrip_async
from vouch_desktop.core.tunnels.datachannel.port_forwarding import ForwardingError, PortForwardingSession, ResumeRefused
from vouch_desktop.demo.echo_server import EchoServer
from vouch_desktop.demo.fake_ssm_agent import AgentTarget, FakeSsmAgent

TOKEN = "token-for-s-1"


@pytest.fixture
def agent():
    with EchoServer() as echo:
        routes = {"s-1": echo.address, "s-nowhere": None}
        terminated: list[str] = []
        agent = FakeSsmAgent(lambda sid: AgentTarget(TOKEN, {"portNumber": "5432", "type": "LocalPortForwarding"},
                                                     routes[sid]) if sid in routes else None,
                             terminated.append).start()
        agent.terminated = terminated
        yield agent
        agent.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def started(agent, session_id="s-1", token=TOKEN) -> PortForwardingSession:
    session = PortForwardingSession(agent.url_for(session_id), token, free_port(), handshake_timeout=5)
    await session.start()
    return session


def test_handshake_then_real_bytes_both_ways(agent):
    async def scenario():
        session = await started(agent)
        assert session.agent_version == agent.version and session.multiplexed
        payload = os.urandom(300_000)
        assert await roundtrip_async(session.local_port, payload, timeout=20) == payload
        await session.close()
        for _ in range(100):  # the agent handles the flag on its own thread
            if agent.terminated:
                break
            await asyncio.sleep(0.02)
        assert agent.terminated == ["s-1"]  # the TerminateSession flag reached the agent
        assert "closed" in await session.wait_closed()

    asyncio.run(scenario())


def test_fifty_parallel_connections_through_one_session(agent):
    async def scenario():
        session = await started(agent)
        payloads = [os.urandom(20_000 + i * 997) for i in range(50)]
        results = await asyncio.gather(*(roundtrip_async(session.local_port, p, timeout=20) for p in payloads))
        assert results == payloads  # every connection got its own bytes back, byte for byte
        assert agent.streams_forwarded == 50
        await session.close()

    asyncio.run(scenario())


def test_lost_and_reordered_frames_are_recovered(agent):
    agent.faults.drop_output.update({3, 9})
    agent.faults.swap_output.update({5, 12})
    agent.faults.ignore_input.update({2, 6})

    async def scenario():
        session = await started(agent)
        for i in range(5):
            payload = os.urandom(5_000)
            assert await roundtrip_async(session.local_port, payload, timeout=20) == payload, f"round {i}"
        assert session.channel.stats.resent >= 2  # for the inputs the agent ignored
        assert session.channel.stats.out_of_order >= 2
        assert not (agent.faults.drop_output or agent.faults.swap_output or agent.faults.ignore_input)
        await session.close()

    asyncio.run(scenario())


def test_an_old_agent_carries_one_connection_at_a_time(agent):
    agent.version = "3.0.161.0"

    async def scenario():
        session = await started(agent)
        assert not session.multiplexed
        for payload in (b"first connection", b"second connection"):
            assert await roundtrip_async(session.local_port, payload, timeout=20) == payload
        await session.close()

    asyncio.run(scenario())


def test_the_kms_preference_leaves_port_sessions_alone(agent):
    """Agents encrypt shells, never port sessions (sessionplugin.go isEncryptionEnabled)."""
    agent.kms_key_id = "alias/session-manager"

    async def scenario():
        session = await started(agent)
        assert await roundtrip_async(session.local_port, b"not encrypted", timeout=20) == b"not encrypted"
        await session.close()

    asyncio.run(scenario())


def test_an_agent_asking_kms_for_a_port_session_is_refused_with_advice(agent):
    agent.faults.require_kms = True  # a fault: no real agent does this

    async def scenario():
        with pytest.raises(ForwardingError, match="KMS") as caught:
            await started(agent)
        assert caught.value.permanent and "AWS plugin" in caught.value.advice
        assert "Session Manager preferences" not in caught.value.advice  # no user setting causes it

    asyncio.run(scenario())


def test_a_wrong_token_is_refused(agent):
    async def scenario():
        with pytest.raises(ForwardingError, match="closed during the handshake"):
            await started(agent, token="stolen")
        with pytest.raises(ForwardingError, match="Cannot open"):
            await PortForwardingSession("ws://127.0.0.1:1/v1/data-channel/x", TOKEN, free_port()).start()

    asyncio.run(scenario())


def test_without_resume_the_agent_dropping_the_socket_ends_the_session(agent):
    async def scenario():
        session = await started(agent)
        agent.drop_connections()
        reason = await asyncio.wait_for(session.wait_closed(), 5)
        assert "closed" in reason or "dropped" in reason
        with pytest.raises(OSError):
            await roundtrip_async(session.local_port, b"gone", timeout=20)  # the local port closed with it
        await session.close()

    asyncio.run(scenario())


def test_a_dropped_socket_is_resumed_at_the_same_stream_position(agent):
    calls: list[str] = []

    async def resume() -> dict:
        calls.append("ResumeSession")
        return {"TokenValue": TOKEN, "StreamUrl": agent.url_for("s-1")}

    async def scenario():
        resumed: list[bool] = []
        session = PortForwardingSession(agent.url_for("s-1"), TOKEN, free_port(), handshake_timeout=5,
                                        resume=resume, on_resumed=lambda: resumed.append(True))
        await session.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", session.local_port)
        writer.write(b"one")
        assert await asyncio.wait_for(reader.readexactly(3), 10) == b"one"
        sent_before = session.channel.stats.sent
        agent.drop_connections(refuse_for=0.7)
        writer.write(b"two")  # written while the network is down
        assert await asyncio.wait_for(reader.readexactly(3), 20) == b"two"
        assert calls and resumed == [True] and session.channel.stats.resumed == 1
        assert agent.refused >= 1
        side = agent.session("s-1")
        assert side.attachments == 2
        assert side.channel.expected == session.channel.stats.sent > sent_before  # nothing restarted at 0
        writer.close()
        await session.close()

    asyncio.run(scenario())


def test_a_resume_that_is_refused_ends_the_session(agent):
    async def refuse() -> dict:
        raise ResumeRefused("Session s-1 does not exist or has ended.")

    async def scenario():
        session = PortForwardingSession(agent.url_for("s-1"), TOKEN, free_port(), handshake_timeout=5, resume=refuse)
        await session.start()
        agent.drop_connections()
        reason = await asyncio.wait_for(session.wait_closed(), 10)
        assert "would not resume it" in reason and "does not exist" in reason
        await session.close()

    asyncio.run(scenario())


def test_a_greeting_sent_before_the_first_connection_reaches_it(agent):
    """One connection at a time (agents up to 3.0.196.0): the agent dials at the handshake."""
    agent.version = "3.0.161.0"

    async def scenario():
        with EchoServer(greeting=b"SSH-2.0-OpenSSH_9.2\r\n") as server:
            routes_before = agent.lookup
            agent.lookup = lambda sid: AgentTarget(TOKEN, {"portNumber": "22", "type": "LocalPortForwarding"},
                                                   server.address)
            try:
                session = await started(agent)
                await asyncio.sleep(0.3)  # the greeting arrives with nobody connected yet
                reader, writer = await asyncio.open_connection("127.0.0.1", session.local_port)
                assert await asyncio.wait_for(reader.readline(), 10) == b"SSH-2.0-OpenSSH_9.2\r\n"
                writer.close()
                await session.close()
            finally:
                agent.lookup = routes_before

    asyncio.run(scenario())


def test_an_unreachable_destination_closes_that_connection_only(agent):
    async def scenario():
        session = await started(agent, "s-nowhere")
        reader, writer = await asyncio.open_connection("127.0.0.1", session.local_port)
        writer.write(b"hello?")
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
        assert session.destination_errors == 1
        await session.close()

    asyncio.run(scenario())


def test_both_directions_busy_at_once_do_not_deadlock(agent):
    """Megabytes up while megabytes come back: acknowledgements must keep flowing past the data."""
    async def scenario():
        session = await started(agent)
        reader, writer = await asyncio.open_connection("127.0.0.1", session.local_port)
        payload = os.urandom(6 * 1024 * 1024)

        async def send() -> None:
            writer.write(payload)
            await writer.drain()

        sending = asyncio.ensure_future(send())
        received = await asyncio.wait_for(reader.readexactly(len(payload)), 60)
        await sending
        assert received == payload
        writer.close()
        await session.close()

    asyncio.run(scenario())
