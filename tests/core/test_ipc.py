"""The control socket: answers, bad input, a stale socket, a second server, permissions."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import stat
import tempfile
from pathlib import Path

import pytest

from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.system.ipc import AlreadyRunning, IpcServer, NotRunning, is_running, send_request


@pytest.fixture
def sock_path():
    folder = tempfile.mkdtemp(prefix="vd-", dir="/tmp")
    yield Path(folder) / "run" / "app.sock"
    shutil.rmtree(folder, ignore_errors=True)


async def handler(command, args):
    if command == "echo":
        return {"echo": args}
    if command == "boom":
        raise VouchDesktopError("it broke", advice="try again")
    raise RuntimeError("a bug")


def raw(path, data: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect(str(path))
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
        return reply


def test_requests_errors_and_robustness(sock_path):
    async def scenario():
        server = IpcServer(sock_path, handler)
        await server.start()
        call = lambda *a, **k: asyncio.to_thread(send_request, sock_path, *a, **k)  # noqa: E731
        assert await call("echo", {"x": [1, "y"]}) == {"ok": True, "echo": {"x": [1, "y"]}}
        assert await call("boom") == {"ok": False, "error": "it broke", "advice": "try again",
                                      "kind": "VouchDesktopError"}
        assert (await call("bug"))["error"].startswith("internal error")
        assert b"bad request" in await asyncio.to_thread(raw, sock_path, b"{not json\n")
        assert b"bad request" in await asyncio.to_thread(raw, sock_path, b"x" * 200_000 + b"\n")
        assert await call("echo") == {"ok": True, "echo": {}}  # still serving
        assert stat.S_IMODE(sock_path.stat().st_mode) == 0o600
        assert stat.S_IMODE(sock_path.parent.stat().st_mode) == 0o700
        with pytest.raises(AlreadyRunning):
            await IpcServer(sock_path, handler).start()
        await server.close()
        assert not sock_path.exists()

    asyncio.run(scenario())


def test_stale_socket_is_replaced_and_absent_app_is_reported(sock_path):
    sock_path.parent.mkdir(mode=0o700)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(sock_path))  # bound, never listening: what a crashed app leaves behind
    stale.close()
    assert not is_running(sock_path)
    with pytest.raises(NotRunning):
        send_request(sock_path, "echo")

    async def scenario():
        server = IpcServer(sock_path, handler)
        await server.start()
        assert await asyncio.to_thread(is_running, sock_path)
        await server.close()

    asyncio.run(scenario())
    assert not os.path.exists(sock_path)


def test_a_socket_path_too_long_is_a_clear_error(tmp_path):
    path = tmp_path / ("x" * 120) / "app.sock"

    async def scenario():
        with pytest.raises(VouchDesktopError) as err:
            await IpcServer(path, handler).start()
        return err.value.message

    assert "control socket" in asyncio.run(scenario())


RUNNING_APP = """
import asyncio, sys
from pathlib import Path
from vouch_desktop.core.system.ipc import IpcServer

async def answer(command, args):
    return {"answered_by": "the first app"}

async def main():
    server = IpcServer(Path(sys.argv[1]), answer)
    await server.start()
    print("ready", flush=True)
    await asyncio.sleep(120)

asyncio.run(main())
"""


@pytest.mark.parametrize("slowness", ["stopped (SIGSTOP, a debugger)", "busy (its loop blocked)"])
def test_a_running_app_that_is_slow_to_answer_is_never_replaced(sock_path, slowness):
    """A second start must not take the socket of a live app that does not answer in time: that app would
    be cut off from every command for good. Only a socket whose owner is gone is replaced."""
    import signal
    import subprocess
    import sys

    code = RUNNING_APP if "SIGSTOP" in slowness else RUNNING_APP.replace(
        'print("ready", flush=True)', 'print("ready", flush=True); import time; time.sleep(30)')
    first = subprocess.Popen([sys.executable, "-c", code, str(sock_path)], stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, PYTHONPATH=os.getcwd()))
    try:
        assert first.stdout.readline().strip() == "ready"
        if "SIGSTOP" in slowness:
            os.kill(first.pid, signal.SIGSTOP)
        assert not is_running(sock_path)  # it does not answer in time

        async def second_start():
            with pytest.raises(AlreadyRunning) as refused:
                await IpcServer(sock_path, handler).start()
            return refused.value

        refused = asyncio.run(second_start())
        assert refused.message == f"Vouch Desktop is already running (pid {first.pid}) but does not answer."
        assert "debugger" in refused.advice
        assert sock_path.exists()
        if "SIGSTOP" in slowness:
            os.kill(first.pid, signal.SIGCONT)
            assert send_request(sock_path, "echo") == {"ok": True, "answered_by": "the first app"}  # still its
        first.kill()  # now it is gone: its socket is a leftover and the next start takes it
        first.wait()

        async def third_start():
            server = IpcServer(sock_path, handler)
            await server.start()
            answer = await asyncio.to_thread(send_request, sock_path, "echo", {"n": 3})
            await server.close()
            return answer

        assert asyncio.run(third_start()) == {"ok": True, "echo": {"n": 3}}
    finally:
        if first.poll() is None:
            os.kill(first.pid, signal.SIGCONT)
            first.kill()
            first.wait()
        first.stdout.close()
