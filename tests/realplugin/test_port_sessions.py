"""Port sessions through AWS's plugin and the fake agent: the plugin, unchanged, is the judge of the fake."""

from __future__ import annotations

import hashlib
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.fixtures.sockets import roundtrip
from tests.realplugin.conftest import CURRENT_AGENT, OLD_AGENT, SINGLE_AGENT, free_port, managed_instance
from vouch_desktop.demo.echo_server import EchoServer

DB_HOST = "orders.cluster-abc.eu-west-1.rds.amazonaws.com"
ON_INSTANCE, TO_REMOTE_HOST = "AWS-StartPortForwardingSession", "AWS-StartPortForwardingSessionToRemoteHost"
AGENTS = pytest.mark.parametrize("agent_version", [CURRENT_AGENT, SINGLE_AGENT], ids=["multiplexed", "single"])
GREETING = b"* OK [CAPABILITY IMAP4rev1] imap.example.internal ready\r\n"


def forward(fake_aws, server, document: str, target: str, local_port: int) -> dict:
    """`aws ssm start-session`'s arguments for a port document, with the route to ``server`` set up."""
    if document == TO_REMOTE_HOST:
        fake_aws.add_route(DB_HOST, 5432, server.address)
        parameters = {"host": [DB_HOST], "portNumber": ["5432"], "localPortNumber": [str(local_port)]}
    else:
        fake_aws.add_route(target, 5432, server.address)
        parameters = {"portNumber": ["5432"], "localPortNumber": [str(local_port)]}
    return {"Target": target, "DocumentName": document, "Parameters": parameters}


def start(aws_cli, fake_aws, server, agent_version=CURRENT_AGENT, document=TO_REMOTE_HOST):
    target = managed_instance(fake_aws, agent_version)
    local_port = free_port()
    run = aws_cli.start_session(forward(fake_aws, server, document, target, local_port))
    assert run.local_port() == local_port  # the handshake carried localPortNumber
    if agent_version == CURRENT_AGENT:
        run.wait_for("Waiting for connections")
    return run, local_port


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@AGENTS
@pytest.mark.parametrize("document", [ON_INSTANCE, TO_REMOTE_HOST])
def test_both_port_documents_through_both_kinds_of_agent(aws_cli, fake_aws, echo_server, document, agent_version):
    run, port = start(aws_cli, fake_aws, echo_server, agent_version, document)
    payload = os.urandom(200_000)
    assert roundtrip(port, payload, timeout=30) == payload
    agent_side = fake_aws.agent.session(run.session_id)
    assert agent_side.multiplexed == (agent_version == CURRENT_AGENT)
    assert agent_side.channel.client_version == aws_cli.version.strip()  # the plugin answered the handshake
    assert agent_side.channel.resends == 0  # the plugin acknowledged everything the first time


@AGENTS
def test_eight_concurrent_connections_keep_their_own_bytes(aws_cli, fake_aws, echo_server, agent_version):
    run, port = start(aws_cli, fake_aws, echo_server, agent_version)
    payloads = [os.urandom(96 * 1024 + i * 997) for i in range(8)]
    with ThreadPoolExecutor(8) as pool:  # a single-connection agent takes them one after another
        echoed = list(pool.map(lambda p: roundtrip(port, p, timeout=60), payloads))
    assert [hashlib.sha256(e).hexdigest() for e in echoed] == [hashlib.sha256(p).hexdigest() for p in payloads]
    assert fake_aws.agent.streams_forwarded == 8


@AGENTS
def test_a_destination_that_speaks_first_is_heard(aws_cli, fake_aws, agent_version):
    """A single-connection agent dials at the handshake: the plugin does not acknowledge the greeting
    while nobody is connected, and the agent resends it until somebody is."""
    with EchoServer(greeting=GREETING) as server:
        run, port = start(aws_cli, fake_aws, server, agent_version)
        time.sleep(0.5)
        with socket.create_connection(("127.0.0.1", port), timeout=15) as conn:
            got = b""
            while len(got) < len(GREETING):
                got += conn.recv(4096)
            assert got == GREETING
            conn.sendall(b"a1 LOGOUT\r\n")
            assert conn.recv(4096) == b"a1 LOGOUT\r\n"
        if agent_version == SINGLE_AGENT:
            assert fake_aws.agent.session(run.session_id).channel.resends >= 1


@AGENTS
def test_a_websocket_drop_is_resumed_with_the_connection_open(aws_cli, fake_aws, echo_server, agent_version):
    """The network is down for a second while a connection is open and quiet: the plugin calls
    ResumeSession until a websocket gets through, and the agent carries on at the same stream position."""
    run, port = start(aws_cli, fake_aws, echo_server, agent_version)
    agent_side = fake_aws.agent.session(run.session_id)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(b"before")
        assert conn.recv(100) == b"before"
        received_before = agent_side.channel.expected
        fake_aws.agent.drop_connections(refuse_for=1.0)
        wait_until(lambda: agent_side.attachments == 2 and agent_side.channel.active, timeout=20)
        conn.sendall(b"after the outage")
        assert conn.recv(100) == b"after the outage"
    assert fake_aws.calls.count("ResumeSession") >= 2 and fake_aws.agent.refused >= 1  # it retried
    assert agent_side.channel.expected > received_before  # the same stream, not a new one from 0
    assert [s.session_id for s in fake_aws.active_sessions()] == [run.session_id]
    assert roundtrip(port, b"a new connection after the resume", timeout=30) == b"a new connection after the resume"
    assert run.process.poll() is None


@AGENTS
def test_aws_plugin_gives_up_when_a_client_writes_during_the_outage(aws_cli, fake_aws, echo_server, agent_version):
    """What AWS's plugin does (src/sessionmanagerplugin/session/portsession): a local read that it cannot
    send while the websocket is down ends its reading loop for good, and with it the session — the
    multiplexed kind at the next connection. (The built-in backend keeps such bytes for the resume:
    tests/core/test_tunnel_resume.py.)"""
    run, port = start(aws_cli, fake_aws, echo_server, agent_version)
    with socket.create_connection(("127.0.0.1", port), timeout=3) as conn:
        conn.sendall(b"before")
        assert conn.recv(100) == b"before"
        fake_aws.agent.drop_connections(refuse_for=1.0)
        time.sleep(0.2)
        conn.sendall(b"during the outage")
        with pytest.raises((TimeoutError, ConnectionError)):
            if not conn.recv(100):
                raise ConnectionResetError("closed")
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=3) as late:
        late.sendall(b"anyone?")
        if not late.recv(100):
            raise ConnectionResetError("closed")
    assert run.wait() == 0
    assert "Cannot perform start session: Can't send message: Connection is closed." in run.text


@pytest.mark.parametrize(("agent_version", "how"), [(CURRENT_AGENT, "flag"), (SINGLE_AGENT, "flag"),
                                                   (OLD_AGENT, "api")], ids=["multiplexed", "single", "old"])
def test_ctrl_c_ends_the_session(aws_cli, fake_aws, echo_server, agent_version, how):
    run, port = start(aws_cli, fake_aws, echo_server, agent_version)
    assert roundtrip(port, b"ping", timeout=30) == b"ping"
    # Ctrl-C once the connection is closed, as a user would. AWS's plugin numbers its messages without a lock:
    # a TerminateSession flag sent while the closing connection's last frame is sent can carry the same
    # sequence number, and the agent ignores the second (4 runs in 25 here). The app does not rely on the
    # flag: tests/realplugin/test_app_tunnel.py
    agent_side = fake_aws.agent.session(run.session_id).plugin
    wait_until(lambda: agent_side.connections_open == 0)
    run.interrupt()
    assert run.wait() == 0
    assert "Terminate signal received, exiting." in run.text
    wait_until(lambda: not fake_aws.active_sessions())
    assert fake_aws.sessions()[0].status == "Terminated"
    # newer agents get the plugin's TerminateSession flag; before 2.3.722.0 it calls the API instead
    assert ("TerminateSession" in fake_aws.calls) == (how == "api")


def test_the_ssh_document_carries_standard_input_and_output(aws_cli, fake_aws):
    """AWS-StartSSHSession (ssh's ProxyCommand): the plugin's stdin and stdout are the connection."""
    with EchoServer(greeting=b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n") as sshd:
        target = managed_instance(fake_aws)
        fake_aws.add_route(target, 22, sshd.address)
        process, session_id = aws_cli.start_session_piped(
            {"Target": target, "DocumentName": "AWS-StartSSHSession", "Parameters": {"portNumber": ["22"]}})
        assert process.stdin is not None and process.stdout is not None
        seen = b""
        while b"SSH-2.0-" not in seen:  # ssh skips the lines before the server's version, as here
            seen += process.stdout.read1(4096)
        assert seen.endswith(b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n")
        process.stdin.write(b"SSH-2.0-OpenSSH_9.6\r\n")
        process.stdin.flush()
        assert process.stdout.read1(4096) == b"SSH-2.0-OpenSSH_9.6\r\n"
        assert not fake_aws.agent.session(session_id).multiplexed  # not local port forwarding: one connection
        process.stdin.close()
        assert process.wait(15) == 0
