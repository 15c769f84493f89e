"""Run a program with a real controlling terminal on stdin but stdout and stderr apart (pipes), the way
a user's shell runs vouch: so a test can see which stream a prompt went to and answer it on the tty.
POSIX only."""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class TtyRun:
    process: subprocess.Popen
    master: int
    stdout: bytes = b""
    stderr: bytes = b""
    _selector: selectors.BaseSelector = field(default_factory=selectors.DefaultSelector)

    def read_until(self, needle: str, stream: str, timeout: float = 15.0) -> None:
        """Read both streams until ``needle`` shows on ``stream`` ("stdout" or "stderr")."""
        deadline = time.monotonic() + timeout
        while needle.encode() not in getattr(self, stream):
            left = deadline - time.monotonic()
            if left <= 0 or not self._pump(left):
                raise AssertionError(f"{needle!r} not on {stream}: stdout={self.stdout!r} stderr={self.stderr!r}")

    def _pump(self, timeout: float) -> bool:
        events = self._selector.select(timeout)
        if not events and self.process.poll() is not None and not self._selector.get_map():
            return False
        for key, _ in events:
            chunk = os.read(key.fd, 65536)
            if not chunk:
                self._selector.unregister(key.fd)
                continue
            name = key.data
            setattr(self, name, getattr(self, name) + chunk)
        return bool(events) or self.process.poll() is None

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def finish(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while self._selector.get_map() and time.monotonic() < deadline:
            self._pump(deadline - time.monotonic())
        code = self.process.wait(max(0.1, deadline - time.monotonic()))
        self.close()
        return code

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, 9)
        self.process.wait(10)
        self.close()

    def close(self) -> None:
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        with contextlib.suppress(OSError):
            os.close(self.master)
        self._selector.close()

    @property
    def out(self) -> str:
        return self.stdout.decode(errors="replace")

    @property
    def err(self) -> str:
        return self.stderr.decode(errors="replace")


def start(argv: Sequence[str], env: dict[str, str] | None = None) -> TtyRun:
    import fcntl  # POSIX only: imported here so that collecting the tests works everywhere
    import pty
    import termios

    master, slave = pty.openpty()

    def make_controlling_tty() -> None:  # in the child: a session of its own, the pty as its terminal
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(list(argv), stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=make_controlling_tty, env=env, close_fds=True)
    os.close(slave)
    run = TtyRun(process, master)
    for name in ("stdout", "stderr"):
        stream = getattr(process, name)
        os.set_blocking(stream.fileno(), False)
        run._selector.register(stream.fileno(), selectors.EVENT_READ, name)
    return run
