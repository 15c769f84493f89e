"""The loopback port (Windows' control channel, run here too): a connection without this app's token is
refused before its request is read, the token is in no log line, message or argv, the file that holds
it is private and published by one app only, and a leftover file (its app gone, its port closed, the
file damaged) is taken over while a live app's is not (tests/core/test_ipc.py runs the shared protocol
tests over this transport as well)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.sockets import say_all
from vouch_desktop.core.system import win_acl
from vouch_desktop.core.system.ipc import AlreadyRunning, IpcServer
from vouch_desktop.core.system.ipc_client import NotRunning, is_running, send_request
from vouch_desktop.core.system.ipc_handlers import Handlers
from vouch_desktop.core.system.ipc_protocol import GetStatus, Ping, Refused, Status
from vouch_desktop.core.system.ipc_transport import (
    TOKEN_BYTES,
    LoopbackPort,
    Published,
    default_transport,
    endpoint_in,
    parse_published,
    process_start_time,
)


@pytest.fixture
def port_file():
    folder = tempfile.mkdtemp(prefix="vd-")
    yield Path(folder) / "run" / "app.port"
    shutil.rmtree(folder, ignore_errors=True)


class Served:
    """Handlers that count the requests that reached them."""

    def __init__(self) -> None:
        self.calls = 0
        self.handlers = Handlers()
        self.handlers.register(GetStatus, self.status)

    async def status(self, _: GetStatus) -> Status:
        self.calls += 1
        return Status("served", "valid", True, "", "", [])


def exchange(port: int, data: bytes) -> bytes:
    return say_all(socket.create_connection(("127.0.0.1", port), timeout=5), data)


STATUS_LINE = b'{"protocol": 1, "command": "status", "args": {}}\n'


def test_a_connection_without_the_token_is_refused_before_its_request_is_read(port_file, caplog):
    caplog.set_level(logging.DEBUG)
    served = Served()

    async def scenario():
        server = IpcServer(LoopbackPort(port_file), served.handlers)
        await server.start()
        published = LoopbackPort(port_file).read()
        try:
            wrong = b"0" * (2 * TOKEN_BYTES)
            replies = {
                "no token (the request first)": await asyncio.to_thread(exchange, published.port, STATUS_LINE),
                "a wrong token": await asyncio.to_thread(exchange, published.port, wrong + b"\n" + STATUS_LINE),
                "the token cut short": await asyncio.to_thread(exchange, published.port,
                                                               published.token[:-1].encode() + b"\n" + STATUS_LINE),
                "an HTTP request (a web page)": await asyncio.to_thread(
                    exchange, published.port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
                "nothing": await asyncio.to_thread(exchange, published.port, b""),
            }
            good = await asyncio.to_thread(exchange, published.port, published.token.encode() + b"\n" + STATUS_LINE)
        finally:
            await server.close()
        return published, replies, good

    published, replies, good = asyncio.run(scenario())
    for what, reply in replies.items():
        answer = json.loads(reply)
        assert (answer["ok"], answer["kind"]) == (False, "refused"), what
    assert served.calls == 1 and json.loads(good)["headline"] == "served"  # only the one with the token
    refusals = [r for r in caplog.records if "without this app's token" in r.getMessage()]
    assert len(refusals) == len(replies)
    assert all(published.token not in r.getMessage() for r in caplog.records)


def test_a_client_with_a_stale_token_gets_a_clear_refusal(port_file):
    async def scenario():
        server = IpcServer(LoopbackPort(port_file), Served().handlers)
        await server.start()
        try:
            published = LoopbackPort(port_file).read()
            forged = Published(published.port, "a" * (2 * TOKEN_BYTES), published.pid, published.started)
            other = port_file.with_name("stale.port")
            other.write_text(forged.to_json())
            with pytest.raises(Refused) as refused:
                await asyncio.to_thread(send_request, LoopbackPort(other), GetStatus())
            assert not await asyncio.to_thread(is_running, LoopbackPort(other))
            return refused.value
        finally:
            await server.close()

    refused = asyncio.run(scenario())
    assert refused.message == "Vouch Desktop refused the connection: it did not come with this app's token."
    assert "restart Vouch Desktop" in refused.advice


def test_the_token_is_in_no_log_line_message_or_representation(port_file, caplog):
    caplog.set_level(logging.DEBUG)
    endpoint = LoopbackPort(port_file)
    texts: list[str] = []

    async def scenario():
        server = IpcServer(endpoint, Served().handlers)
        await server.start()
        try:
            assert (await asyncio.to_thread(send_request, endpoint, GetStatus())).headline == "served"
            await asyncio.to_thread(exchange, endpoint.read().port, b"x" * 100_000 + b"\n")  # refused, logged
            with pytest.raises(AlreadyRunning) as second:
                await IpcServer(LoopbackPort(port_file), Served().handlers).start()
            texts.extend([second.value.user_text(), repr(endpoint), endpoint.describe(), repr(server.endpoint)])
            return endpoint.read().token
        finally:
            await server.close()

    token = asyncio.run(scenario())
    assert len(token) == 2 * TOKEN_BYTES
    logged = [r.getMessage() + repr(r.args) for r in caplog.records]
    assert logged and not any(token in text for text in logged + texts)


def test_the_file_is_private_complete_and_removed_at_close(port_file):
    endpoint = LoopbackPort(port_file)

    async def scenario():
        server = IpcServer(endpoint, Served().handlers)
        await server.start()
        try:
            if sys.platform != "win32":
                assert stat.S_IMODE(port_file.stat().st_mode) == 0o600
                assert stat.S_IMODE(port_file.parent.stat().st_mode) == 0o700
            data = json.loads(port_file.read_text())
            assert set(data) == {"schema_version", "port", "token", "pid", "started"}
            assert data["pid"] == os.getpid() and data["started"] == process_start_time(os.getpid())
            assert [p.name for p in port_file.parent.iterdir()] == ["app.port"]  # no temporary file left
        finally:
            await server.close()

    asyncio.run(scenario())
    assert not port_file.exists()


def test_two_apps_starting_at_once_one_owns_the_channel(port_file):
    async def scenario():
        servers = [IpcServer(LoopbackPort(port_file), Served().handlers) for _ in range(4)]
        results = await asyncio.gather(*(s.start() for s in servers), return_exceptions=True)
        try:
            answer = await asyncio.to_thread(send_request, LoopbackPort(port_file), GetStatus())
        finally:
            for server in servers:
                await server.close()
        return results, answer

    results, answer = asyncio.run(scenario())
    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, AlreadyRunning) for r in results if r is not None)
    assert answer.headline == "served"
    assert not port_file.exists()


def test_an_app_that_closes_leaves_a_newer_apps_file_alone(port_file):
    async def scenario():
        first = IpcServer(LoopbackPort(port_file), Served().handlers)
        await first.start()
        port_file.unlink()  # as if a newer app had taken over a file it judged a leftover
        second = IpcServer(LoopbackPort(port_file), Served().handlers)
        await second.start()
        await first.close()
        assert await asyncio.to_thread(is_running, LoopbackPort(port_file))  # the newer one's file stays
        await second.close()

    asyncio.run(scenario())
    assert not port_file.exists()


def finished_process() -> tuple[int, float]:
    """A pid and start time of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    started = process_start_time(child.pid)
    child.wait()
    return child.pid, started or 1.0


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens on it once closed


LEFTOVERS = {
    "its app is gone": lambda: Published(closed_port(), "b" * 64, *finished_process()).to_json(),
    "its pid now belongs to another process": lambda: Published(closed_port(), "b" * 64, os.getpid(), 12.0).to_json(),
    "its app is alive but no longer listens": lambda: Published(closed_port(), "b" * 64, os.getpid(),
                                                                process_start_time(os.getpid())).to_json(),
    "cut short": lambda: Published(closed_port(), "b" * 64, os.getpid(), 1.0).to_json()[:30],
    "not JSON": lambda: "\x00\xff garbage",
    "empty": lambda: "",
    "another version": lambda: json.dumps({"schema_version": 2, "port": 1}),
}


@pytest.mark.parametrize("content", LEFTOVERS.values(), ids=LEFTOVERS.keys())
def test_a_leftover_file_is_taken_over_and_a_client_hears_not_running(port_file, content):
    port_file.parent.mkdir(mode=0o700)
    port_file.write_text(content())
    endpoint = LoopbackPort(port_file)
    with pytest.raises(NotRunning):
        send_request(endpoint, Ping(), timeout=2)
    assert endpoint.owner_gone()

    async def scenario():
        server = IpcServer(endpoint, Served().handlers)
        await server.start()
        try:
            return await asyncio.to_thread(send_request, endpoint, GetStatus())
        finally:
            await server.close()

    assert asyncio.run(scenario()).headline == "served"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=200),
                 st.dictionaries(st.sampled_from(["schema_version", "port", "token", "pid", "started", "x"]),
                                 st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=70),
                                 max_size=6).map(lambda d: json.dumps(d).encode())))
def test_whatever_the_file_holds_a_client_gets_a_typed_answer(port_file, data):
    published = parse_published(data)
    assert published is None or (0 < published.port < 65536 and len(published.token) == 64 and published.pid > 0)
    port_file.parent.mkdir(mode=0o700, exist_ok=True)
    port_file.write_bytes(data)
    with pytest.raises((NotRunning, Refused)):  # never a traceback
        send_request(LoopbackPort(port_file), Ping(), timeout=1)


def test_the_transport_is_the_platforms_unless_chosen(monkeypatch, tmp_path):
    monkeypatch.delenv("VOUCH_DESKTOP_CONTROL_TRANSPORT", raising=False)
    assert default_transport("win32") == "tcp"
    assert default_transport("linux") == ("unix" if hasattr(socket, "AF_UNIX") else "tcp")
    assert endpoint_in(tmp_path, "vouch-desktop", "tcp") == LoopbackPort(tmp_path / "vouch-desktop.port")
    monkeypatch.setenv("VOUCH_DESKTOP_CONTROL_TRANSPORT", "tcp")
    assert default_transport("linux") == "tcp"
    assert isinstance(endpoint_in(tmp_path, "vouch-desktop"), LoopbackPort)


# ---------------------------------------------------------------- the owner-only access list (Windows)
class FakeAdvapi32:
    """Records what is asked of Windows; hands out a fake descriptor and DACL."""

    def __init__(self, fail: str = "") -> None:
        self.fail = fail
        self.calls: list[tuple] = []

    def ConvertStringSecurityDescriptorToSecurityDescriptorW(self, sddl, revision, descriptor, size):  # noqa: N802
        self.calls.append(("convert", sddl, revision, size))
        if self.fail == "convert":
            return 0
        descriptor._obj.value = 0x1000
        return 1

    def GetSecurityDescriptorDacl(self, descriptor, present, dacl, defaulted):  # noqa: N802
        self.calls.append(("get dacl", descriptor.value))
        present._obj.value = 1
        dacl._obj.value = 0x2000
        return 1

    def SetNamedSecurityInfoW(self, name, object_type, what, owner, group, dacl, sacl):  # noqa: N802
        self.calls.append(("set", name, object_type, what, owner, group, dacl.value, sacl))
        return 5 if self.fail == "set" else 0  # ERROR_ACCESS_DENIED

    def LocalFree(self, memory):  # noqa: N802
        self.calls.append(("free", memory.value))


def test_the_file_gets_an_access_list_for_its_owner_alone(tmp_path):
    api = FakeAdvapi32()
    win_acl.restrict_to_owner(tmp_path / "app.port", api)
    assert api.calls == [
        ("convert", "D:P(A;;FA;;;OW)", 1, None),  # protected (nothing inherited), full access, OWNER RIGHTS only
        ("get dacl", 0x1000),
        ("set", str(tmp_path / "app.port"), 1, 0x4 | 0x80000000, None, None, 0x2000, None),  # SE_FILE_OBJECT
        ("free", 0x1000),
    ]


@pytest.mark.parametrize("fail", ["convert", "set"])
def test_a_refused_access_list_is_an_error_and_nothing_leaks(tmp_path, fail):
    api = FakeAdvapi32(fail)
    with pytest.raises(OSError):
        win_acl.restrict_to_owner(tmp_path / "app.port", api)
    assert (("free", 0x1000) in api.calls) == (fail == "set")  # a descriptor made is always freed

