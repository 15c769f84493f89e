"""Is a tunnel that says "up" really carrying connections? Signs that its carrier is wedged.

A listening socket keeps completing TCP handshakes for its program even when the program no longer
calls accept() (it is blocked writing to a full pipe, stopped, or stuck): clients connect and then
wait for ever. On Linux the kernel shows those connections: established sockets on the listener's
port that no process holds yet (inode 0 in /proc/net/tcp). ``AcceptWatch`` reports one that has waited
longer than a limit. ``process_problem`` tells a stopped or dead carrier process. Both are cheap enough
to run every few seconds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

# /proc/net/tcp states: connections waiting in a listener's accept queue are ESTABLISHED, or CLOSE_WAIT
# once the client gave up and closed its end
_ESTABLISHED, _CLOSE_WAIT = "01", "08"
PROC_TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))


def waiting_connections(port: int, tables: tuple[Path, ...] = PROC_TABLES) -> set[str] | None:
    """The remote ends of the connections to local ``port`` that the kernel accepted and no program has
    taken yet; None where the system does not show them (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    needle = f":{port:04X} "
    waiting: set[str] = set()
    for table in tables:
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            if needle not in line:  # cheap first test: most lines are other ports
                continue
            fields = line.split()
            if len(fields) < 10 or not fields[1].endswith(needle.strip()):
                continue
            if fields[3] in (_ESTABLISHED, _CLOSE_WAIT) and fields[9] == "0":
                waiting.add(fields[2])
    return waiting


class AcceptWatch:
    """Remembers since when each connection to a port has waited to be accepted."""

    def __init__(self, port: int, limit: float = 5.0) -> None:
        self.port = port
        self.limit = limit
        self._since: dict[str, float] = {}

    def problem(self, now: float | None = None) -> str:
        """"" while the listener takes its connections; else what is wrong."""
        waiting = waiting_connections(self.port)
        if waiting is None:
            return ""
        now = time.monotonic() if now is None else now
        self._since = {remote: self._since.get(remote, now) for remote in waiting}
        longest = max((now - since for since in self._since.values()), default=0.0)
        if longest >= self.limit:
            return (f"local port {self.port} stopped accepting connections "
                    f"({len(waiting)} waiting, the oldest for {longest:.0f} s)")
        return ""


def process_problem(pid: int | None) -> str:
    """"" while the carrier process runs; else what is wrong with it (stopped, gone)."""
    if pid is None:
        return ""
    import psutil

    try:
        status = psutil.Process(pid).status()
    except psutil.NoSuchProcess:
        return "the plugin process is gone"
    except psutil.Error:
        return ""
    if status == psutil.STATUS_STOPPED:
        return "the plugin process is stopped"
    if status == psutil.STATUS_ZOMBIE:
        return "the plugin process exited"
    return ""
