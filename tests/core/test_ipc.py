"""The control channel: typed requests and replies, bad input (bounded, answered, logged without a
traceback), a stale endpoint, a second server, permissions: over both transports (a Unix socket, and
the loopback port with a token that Windows uses; tests/core/test_ipc_loopback.py has what is the
loopback port's own)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import socket
import stat
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fixtures.sockets import say_all
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.storage.profiles import UnknownProfile
from vouch_desktop.core.system.ipc import AlreadyRunning, IpcServer
from vouch_desktop.core.system.ipc_client import NotRunning, is_running, send_request
from vouch_desktop.core.system.ipc_handlers import Handlers
from vouch_desktop.core.system.ipc_protocol import (
    MAX_DEPTH,
    REQUESTS,
    CommandFailed,
    Connect,
    Connected,
    ConnectOutcome,
    ErrorKind,
    Failure,
    GetStatus,
    ListTunnels,
    Quit,
    Reply,
    Status,
    TunnelRow,
    Tunnels,
    TunnelUp,
    decode_reply,
    decode_request,
    encode_reply,
    encode_request,
    too_deep,
)
from vouch_desktop.core.system.ipc_transport import Endpoint, LoopbackPort, UnixSocket

UNIX_ONLY = pytest.mark.skipif(not hasattr(socket, "AF_UNIX") or sys.platform == "win32",
                               reason="Unix sockets: not on Windows")
TRANSPORTS = [pytest.param("unix", marks=UNIX_ONLY), "tcp"]


@pytest.fixture
def run_dir():
    folder = tempfile.mkdtemp(prefix="vd-", dir=None if sys.platform == "win32" else "/tmp")  # short: a socket path
    yield Path(folder) / "run"
    shutil.rmtree(folder, ignore_errors=True)


def make_endpoint(run_dir: Path, transport: str) -> Endpoint:
    return UnixSocket(run_dir / "app.sock") if transport == "unix" else LoopbackPort(run_dir / "app.port")


@pytest.fixture(params=TRANSPORTS)
def endpoint(request, run_dir) -> Endpoint:
    return make_endpoint(run_dir, request.param)


@pytest.fixture
def sock_path(run_dir):
    return run_dir / "app.sock"


def mark_file(endpoint: Endpoint) -> Path:
    """The file that says an app is there: the socket itself, or the loopback port's file."""
    return endpoint.path if isinstance(endpoint, UnixSocket) else endpoint.file


def make_handlers() -> Handlers:
    handlers = Handlers()

    async def tunnel_up(request: TunnelUp) -> Tunnels:
        if request.name == "missing":
            raise UnknownProfile("There is no tunnel profile named 'missing'.", advice="Known: a, b.")
        if request.name == "broken":
            raise VouchDesktopError("it broke", advice="try again")
        if request.name == "bug":
            raise RuntimeError("a bug")
        return Tunnels([TunnelRow(request.name, "up", 15432)])

    async def status(_: GetStatus) -> Status:
        return Status("Logged in as a@b.c · 1 h left", "valid", True, "a@b.c", "YubiKey: connected",
                      [TunnelRow("db", "stopped")])

    async def wrong_answer(_: ListTunnels) -> Status:
        return await status(GetStatus())

    handlers.register(TunnelUp, tunnel_up)
    handlers.register(GetStatus, status)
    handlers.register(ListTunnels, wrong_answer)  # type: ignore[arg-type]
    return handlers


def raw(endpoint: Endpoint, data: bytes) -> bytes:
    """Send ``data`` as the request (after the transport's own admission) and read all of the answer."""
    return say_all(endpoint.connect(5), data)


def test_every_request_and_reply_survives_the_wire():
    for command, request_type in REQUESTS.items():
        args = {"name": "x"} if "name" in request_type.__dataclass_fields__ else {}
        request = request_type(**args)
        assert decode_request(encode_request(request)) == request
        assert request.command == command
    status = Status("h", "valid", True, "e", "k", [TunnelRow("a", "up", 1, "r")])
    assert decode_reply(encode_reply(status), Status) == status
    connected = Connected(ConnectOutcome.CHOOSING, message="choose")
    assert decode_reply(encode_reply(connected), Connected) == connected
    failure = Failure("no", "do this", ErrorKind.UNKNOWN_PROFILE)
    assert decode_reply(encode_reply(failure), Status) == failure


def test_requests_errors_and_robustness(endpoint):
    made = []

    def handlers_made_once() -> Handlers:
        made.append(1)
        return make_handlers()

    async def scenario():
        server = IpcServer(endpoint, handlers_made_once)  # as the app gives them: made at the first connection
        await server.start()
        assert made == []  # listening needs no handlers (nor the protocol they bring)

        def call(request, **kwargs):
            return asyncio.to_thread(send_request, endpoint, request, **kwargs)

        assert await call(TunnelUp("db")) == Tunnels([TunnelRow("db", "up", 15432)])
        status = await call(GetStatus())
        assert isinstance(status, Status) and status.logged_in and status.tunnels[0].name == "db"
        with pytest.raises(UnknownProfile) as unknown:
            await call(TunnelUp("missing"))
        assert unknown.value.advice == "Known: a, b."
        with pytest.raises(CommandFailed) as failed:
            await call(TunnelUp("broken"))
        assert (failed.value.message, failed.value.advice) == ("it broke", "try again")
        with pytest.raises(CommandFailed, match="^internal error"):
            await call(TunnelUp("bug"))
        with pytest.raises(CommandFailed, match="wrong kind of answer"):
            await call(ListTunnels())
        with pytest.raises(CommandFailed, match="is not served here"):
            await call(Quit())
        assert b"bad request" in await asyncio.to_thread(raw, endpoint, b"{not json\n")
        assert b"bad request" in await asyncio.to_thread(raw, endpoint, b"x" * 200_000 + b"\n")
        assert await call(TunnelUp("db")) == Tunnels([TunnelRow("db", "up", 15432)])  # still serving
        if sys.platform != "win32":  # (Windows: an access list, tests/core/test_ipc_loopback.py)
            assert stat.S_IMODE(mark_file(endpoint).stat().st_mode) == 0o600
            assert stat.S_IMODE(mark_file(endpoint).parent.stat().st_mode) == 0o700
        with pytest.raises(AlreadyRunning):
            await IpcServer(endpoint, make_handlers()).start()
        assert await call(TunnelUp("db")) == Tunnels([TunnelRow("db", "up", 15432)])  # the second start took nothing
        await server.close()
        assert not mark_file(endpoint).exists()
        assert made == [1]

    asyncio.run(scenario())


def request_line(command: object, args: object) -> bytes:
    return json.dumps({"protocol": 1, "command": command, "args": args}).encode() + b"\n"


MALFORMED = {
    "not JSON": b"{not json\n",
    "not UTF-8": b'{"command": "\xff\xfe"}\n',
    "a list": b"[1, 2]\n",
    "no command": b'{"args": {}}\n',
    "unknown command": request_line("format_disk", {}),
    "a number for a name": request_line("tunnel_up", {"name": 5}),
    "a missing field": request_line("tunnel_up", {}),
    "an unknown field": request_line("status", {"verbose": True}),
    "args not an object": request_line("status", [1]),
    "NaN": b'{"command": "tunnel_up", "args": {"name": NaN}}\n',
    "too deep": b'{"command": "status", "args": {"a": ' + b"[" * 30_000 + b"]" * 30_000 + b"}}\n",
    "too long": request_line("tunnel_up", {"name": "x" * 70_000}),
}


@pytest.mark.parametrize("line", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_request_gets_an_error_reply_and_one_log_line_without_traceback(line, caplog):
    caplog.set_level(logging.INFO, logger="vouch_desktop.core.system.ipc_handlers")
    reply = asyncio.run(make_handlers().answer(line))
    assert isinstance(reply, Failure) and reply.kind is ErrorKind.BAD_REQUEST and reply.error.startswith("bad request")
    records = [r for r in caplog.records if r.name == "vouch_desktop.core.system.ipc_handlers"]
    assert len(records) == 1 and records[0].levelno == logging.WARNING and records[0].exc_info is None
    assert len(records[0].getMessage()) < 200  # the peer's input is not echoed at length


def test_a_malformed_request_over_the_channel_is_answered_and_the_server_keeps_serving(endpoint, caplog):
    async def scenario():
        server = IpcServer(endpoint, make_handlers())
        await server.start()
        replies = [await asyncio.to_thread(raw, endpoint, line) for line in MALFORMED.values()]
        alive = await asyncio.to_thread(send_request, endpoint, TunnelUp("db"))
        await server.close()
        return replies, alive

    replies, alive = asyncio.run(scenario())
    for reply in replies:
        assert json.loads(reply)["ok"] is False and json.loads(reply)["kind"] == "bad_request"
    assert alive.tunnels[0].state == "up"
    assert not any(r.exc_info for r in caplog.records)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300),
                 st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                              lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                          max_size=4),
                              max_leaves=30).map(lambda value: json.dumps(value).encode()),
                 st.builds(request_line, st.sampled_from([*REQUESTS, "nope"]),
                           st.dictionaries(st.sampled_from(["name", "x"]),
                                           st.none() | st.integers() | st.text(max_size=10), max_size=2))))
def test_whatever_arrives_gets_a_reply(line):
    reply = asyncio.run(make_handlers().answer(line))
    assert isinstance(reply, (Failure, Reply))
    encode_reply(reply)  # and it can be sent


def test_depth_check_ignores_brackets_in_strings():
    assert not too_deep(json.dumps({"name": "[[[[[[[[[[[[[[[[[[[[[[[[["}))
    assert not too_deep(json.dumps({"a": "\\\"[[[[[[[[[[[[[[[["}))
    assert too_deep("[" * (MAX_DEPTH + 1))
    assert not too_deep("[" * MAX_DEPTH + "]" * MAX_DEPTH)


@UNIX_ONLY
def test_stale_socket_is_replaced_and_absent_app_is_reported(sock_path):
    sock_path.parent.mkdir(mode=0o700)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(sock_path))  # bound, never listening: what a crashed app leaves behind
    stale.close()
    assert not is_running(sock_path)
    with pytest.raises(NotRunning):
        send_request(sock_path, GetStatus())

    async def scenario():
        server = IpcServer(sock_path, Handlers())
        await server.start()
        assert await asyncio.to_thread(is_running, sock_path)
        await server.close()

    asyncio.run(scenario())
    assert not os.path.exists(sock_path)


@UNIX_ONLY
def test_a_socket_path_too_long_is_a_clear_error(tmp_path):
    path = tmp_path / ("x" * 120) / "app.sock"

    async def scenario():
        with pytest.raises(VouchDesktopError) as err:
            await IpcServer(path, Handlers()).start()
        return err.value.message

    assert "control channel" in asyncio.run(scenario())


def test_a_connect_reply_says_what_happened():
    assert decode_reply(encode_reply(Connected(ConnectOutcome.OPENED, "web (i-1) · SSM", "i-1")), Connected) \
        == Connected(ConnectOutcome.OPENED, "web (i-1) · SSM", "i-1")
    assert Connect("web").command == "connect"


RUNNING_APP = """
import asyncio, sys
from pathlib import Path
from vouch_desktop.core.system.ipc import IpcServer
from vouch_desktop.core.system.ipc_handlers import Handlers
from vouch_desktop.core.system.ipc_protocol import GetStatus, Status
from vouch_desktop.core.system.ipc_transport import LoopbackPort, UnixSocket

async def status(_):
    return Status("the first app", "valid", True, "", "", [])

async def main():
    handlers = Handlers()
    handlers.register(GetStatus, status)
    path = Path(sys.argv[2])
    server = IpcServer(UnixSocket(path) if sys.argv[1] == "unix" else LoopbackPort(path), handlers)
    await server.start()
    print("ready", flush=True)
    await asyncio.sleep(120)

asyncio.run(main())
"""


@pytest.mark.parametrize("slowness", [
    pytest.param("stopped (SIGSTOP, a debugger)",
                 marks=pytest.mark.skipif(sys.platform == "win32", reason="SIGSTOP: POSIX")),
    "busy (its loop blocked)"])
def test_a_running_app_that_is_slow_to_answer_is_never_replaced(endpoint, slowness):
    """A second start must not take the channel of a live app that does not answer in time: that app would
    be cut off from every command for good. Only an endpoint whose owner is gone is replaced."""
    import signal
    import subprocess

    code = RUNNING_APP if "SIGSTOP" in slowness else RUNNING_APP.replace(
        'print("ready", flush=True)', 'print("ready", flush=True); import time; time.sleep(30)')
    transport = "unix" if isinstance(endpoint, UnixSocket) else "tcp"
    first = subprocess.Popen([sys.executable, "-c", code, transport, str(mark_file(endpoint))],
                             stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=os.getcwd()))
    try:
        assert first.stdout.readline().strip() == "ready"
        if "SIGSTOP" in slowness:
            os.kill(first.pid, signal.SIGSTOP)
        assert not is_running(endpoint)  # it does not answer in time

        async def second_start():
            with pytest.raises(AlreadyRunning) as refused:
                await IpcServer(endpoint, make_handlers()).start()
            return refused.value

        refused = asyncio.run(second_start())
        assert refused.message == f"Vouch Desktop is already running (pid {first.pid}) but does not answer."
        assert "debugger" in refused.advice
        assert mark_file(endpoint).exists()
        if "SIGSTOP" in slowness:
            os.kill(first.pid, signal.SIGCONT)
            assert send_request(endpoint, GetStatus()).headline == "the first app"  # still its
        first.kill()  # now it is gone: its endpoint is a leftover and the next start takes it
        first.wait()

        async def third_start():
            server = IpcServer(endpoint, make_handlers())
            await server.start()
            answer = await asyncio.to_thread(send_request, endpoint, GetStatus())
            await server.close()
            return answer

        assert asyncio.run(third_start()).headline.startswith("Logged in as a@b.c")
    finally:
        if first.poll() is None:
            if hasattr(signal, "SIGCONT"):
                os.kill(first.pid, signal.SIGCONT)
            first.kill()
            first.wait()
        first.stdout.close()
