"""The agent's Standard_Stream plugin (agent/session/plugins/standardstream + session/shell): a shell
in a pseudo-terminal, as ``ssm-user`` gets on an instance.

No handshake (unless KMS encryption is set in the preferences): the agent starts the shell at once
and its first output is what tells the client this is a shell session. Input ``Output`` payloads go
to the terminal, ``Size`` payloads resize it; the terminal's output goes back 1 KB a message. When the
shell exits, the session ends. The shell here is a real local one (bash started as ``sh``, the way
the agent starts it on Amazon Linux), with a clean environment and a temporary home, never the
user's: the demo's "instances" are this machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import pty
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable

from vouch_desktop.core.tunnels.datachannel.messages import ClientMessage, PayloadType
from vouch_desktop.demo.ssm_agent import facts
from vouch_desktop.demo.ssm_agent.datachannel import AgentDataChannel, HandlerNotReady

log = logging.getLogger(__name__)


# A pseudo-terminal is POSIX: the agent (server.py) offers no shell on Windows; the checks below say
# so to mypy when it checks the code for Windows.
_POSIX_ONLY = "the demo agent's shell sessions need a POSIX pseudo-terminal"


def _take_terminal() -> None:  # in the child, after setsid: the pty becomes its controlling terminal
    if sys.platform == "win32":
        raise NotImplementedError(_POSIX_ONLY)
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def set_size(fd: int, cols: int, rows: int) -> None:
    if sys.platform == "win32":
        raise NotImplementedError(_POSIX_ONLY)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class ShellSession:
    def __init__(self, channel: AgentDataChannel, *, read_pause: Callable[[], float]) -> None:
        self.channel = channel
        self.read_pause = read_pause
        self.process: subprocess.Popen[bytes] | None = None
        self.home = ""
        self._master = -1
        self._reader: asyncio.StreamReader | None = None
        self._transport: asyncio.BaseTransport | None = None
        self.cancelled: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def start(self) -> None:
        if sys.platform == "win32":
            raise NotImplementedError(_POSIX_ONLY)
        self.home = tempfile.mkdtemp(prefix="vouch-demo-ssm-user-")
        bash = shutil.which("bash")
        argv = ["sh", "-i"]
        environment = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": self.home, "USER": "ssm-user",
                       "LOGNAME": "ssm-user", "TERM": "xterm-256color", "LANG": "C.UTF-8", "SHELL": "/bin/sh"}
        master, slave = pty.openpty()
        set_size(slave, 80, 24)
        try:
            self.process = subprocess.Popen(argv, executable=bash or "/bin/sh", stdin=slave, stdout=slave,
                                            stderr=slave, cwd=self.home, env=environment, start_new_session=True,
                                            preexec_fn=_take_terminal, close_fds=True)
        finally:
            os.close(slave)
        self._master = master
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader),
                                                          os.fdopen(os.dup(master), "rb", 0))
        self._reader = reader

    async def handle(self, message: ClientMessage) -> None:
        if self._reader is None:
            raise HandlerNotReady  # "Pty unavailable. Reject incoming message packet"
        if message.payload_type == PayloadType.OUTPUT:
            await self._write(message.payload)
        elif message.payload_type == PayloadType.SIZE:
            size = json.loads(message.payload)
            set_size(self._master, int(size.get("cols") or 80), int(size.get("rows") or 24))

    async def _write(self, data: bytes) -> None:
        while data:
            try:
                written = os.write(self._master, data)
            except BlockingIOError:
                await asyncio.sleep(0.005)
                continue
            data = data[written:]

    def cancel(self) -> None:
        if not self.cancelled.done():
            self.cancelled.set_result(None)

    async def run(self) -> str:
        pump = asyncio.ensure_future(self._pump())
        try:
            await asyncio.wait([pump, self.cancelled], return_when=asyncio.FIRST_COMPLETED)
        finally:
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)
        return ""

    async def _pump(self) -> None:
        assert self._reader is not None
        with contextlib.suppress(OSError):
            while True:
                await self.channel.wait_active()
                data = await self._reader.read(facts.PAYLOAD_SIZE)
                if not data:
                    break
                await self.channel.send_stream(PayloadType.OUTPUT, data)
                if pause := self.read_pause():
                    await asyncio.sleep(pause)
        await self.channel.drain()  # PrepareToCloseChannel: what the shell said last reaches the client

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            if sys.platform == "win32":
                raise NotImplementedError(_POSIX_ONLY)
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGHUP)
                deadline = time.monotonic() + 2
                while process.poll() is None and time.monotonic() < deadline:
                    await asyncio.sleep(0.02)
                if process.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
            await asyncio.to_thread(process.wait)
        if self._transport is not None:
            self._transport.close()
        if self._master >= 0:
            os.close(self._master)
            self._master = -1
        if self.home:
            shutil.rmtree(self.home, ignore_errors=True)
