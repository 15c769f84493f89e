"""Reading the session from the vouch agent's socket: the fake agent (the real protocol), where the socket
is looked for, and an agent that answers nonsense, too much, or nothing (the CLI is asked instead)."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.vouch.test_vouch_output import assert_sane
from tests.vouch.vouch_cli_facts import AGENT_SOCKET_NAME
from vouch_desktop.core.vouch.agent import VouchAgent, agent_socket_candidates
from vouch_desktop.core.vouch.client import VouchClient
from vouch_desktop.demo.fake_vouch_agent import FakeVouchAgent


@pytest.fixture
def short_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="vd-a-", dir="/tmp"))  # AF_UNIX paths stay short
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_socket_places_newest_first():
    home = Path("/home/ana")
    assert agent_socket_candidates({"XDG_RUNTIME_DIR": "/run/user/1000"}, home) == [
        Path("/run/user/1000/vouch") / AGENT_SOCKET_NAME, home / ".cache/vouch" / AGENT_SOCKET_NAME,
        home / ".vouch" / AGENT_SOCKET_NAME]
    assert agent_socket_candidates({"XDG_RUNTIME_DIR": "relative", "XDG_CACHE_HOME": "/c"}, home)[0] == \
        Path("/c/vouch") / AGENT_SOCKET_NAME  # a relative XDG value is ignored, as paths.rs does


def test_session_from_the_fake_agent_without_starting_vouch(fake_vouch, short_dir):
    socket_path = short_dir / "vouch" / AGENT_SOCKET_NAME
    agent = VouchAgent(lambda: [short_dir / "missing.sock", socket_path])
    assert asyncio.run(agent.get_session()) is None  # no agent: ask the CLI
    fake_vouch.log_in(3600, email="ana@example.com")
    with FakeVouchAgent(fake_vouch.state, socket_path) as fake:
        status = asyncio.run(agent.get_session())
        assert status.authenticated and status.agent_running and status.email == "ana@example.com"
        assert 3590 <= status.expires_in_seconds <= 3600
        fake_vouch.log_out()
        logged_out = asyncio.run(agent.get_session())
        assert not logged_out.authenticated and logged_out.agent_running and not logged_out.may_be_unreachable
        client = VouchClient(str(short_dir / "no-vouch-needed"), agent=agent)
        assert asyncio.run(client.status()).agent_running  # the CLI (missing here) was never run
        assert fake.requests == ["get_session"] * 3


def test_a_file_that_is_not_a_socket_is_no_agent(short_dir):
    plain = short_dir / AGENT_SOCKET_NAME
    plain.write_text("not a socket")
    assert asyncio.run(VouchAgent(lambda: [plain]).get_session()) is None


class HostileAgent:
    """Accepts connections and answers each request with exactly the bytes it is told to (or nothing)."""

    def __init__(self, path: Path, answer: bytes | None) -> None:
        self.path, self.answer = path, answer
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(str(path))
        self.sock.listen(4)

    async def serve_one(self) -> None:
        loop = asyncio.get_running_loop()
        self.sock.setblocking(False)
        conn, _ = await loop.sock_accept(self.sock)
        with conn:
            await loop.sock_recv(conn, 65536)
            if self.answer is None:
                await asyncio.sleep(10)  # a wedged agent
            else:
                await loop.sock_sendall(conn, self.answer)

    def close(self) -> None:
        self.sock.close()


def frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


async def ask(path: Path, answer: bytes | None):
    hostile = HostileAgent(path, answer)
    server = asyncio.ensure_future(hostile.serve_one())
    try:
        return await VouchAgent(lambda: [path], timeout=0.5).get_session()
    finally:
        server.cancel()
        await asyncio.gather(server, return_exceptions=True)
        hostile.close()
        path.unlink()


@pytest.mark.parametrize("answer", [
    None,  # says nothing
    b"",  # hangs up
    b"\x00\x00\x00\x00",  # an empty frame
    b"\xff\xff\xff\xff" + b"x" * 100,  # a 4 GiB frame announced
    frame(b"{not json"),
    frame(b'{"jsonrpc":"2.0","id":99,"result":{"user_email":"a","expires_in_seconds":5}}'),  # another request's
    frame(b'{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"internal"}}'),
    frame(b'{"jsonrpc":"2.0","id":1,"result":{"user_email":"a","expires_in_seconds":1e309}}'),
    frame(b'{"jsonrpc":"2.0","id":1,"result":' + b"[" * 30000 + b"]" * 30000 + b"}"),
    frame(b'{"jsonrpc":"2.0","id":1,"result":{"user_email":7,"expires_in_seconds":60}}'),
])
def test_an_agent_that_answers_nonsense_is_skipped(short_dir, answer):
    assert asyncio.run(ask(short_dir / "agent.sock", answer)) is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=300).map(frame), st.binary(max_size=64),
                 st.dictionaries(st.sampled_from(["user_email", "expires_in_seconds", "expires_at", "x"]),
                                 st.one_of(st.integers(-10**20, 10**20), st.text(max_size=20), st.none(),
                                           st.booleans(), st.floats(allow_nan=False)), max_size=4)
                 .map(lambda result: frame(json.dumps({"jsonrpc": "2.0", "id": 1, "result": result}).encode()))))
def test_any_agent_answer_is_a_sane_status_or_none(short_dir, answer):
    status = asyncio.run(ask(short_dir / "agent.sock", answer))
    if status is not None:
        assert_sane(status)
