"""Where the control channel listens and how the command line reaches it, per platform, behind one
interface (``Endpoint``). Both transports carry the same protocol (core/system/ipc_protocol.py: one
request line, one reply line per connection) and keep the same single-instance rule: an endpoint is
taken over only when its owner is gone, never while a live app is merely slow to answer.

- ``UnixSocket`` (Linux, macOS, the BSDs): a socket file in the user's runtime folder (0700), itself
  0600. The kernel checks who may connect; nothing else is needed.
- ``LoopbackPort`` (Windows): a TCP port on 127.0.0.1 chosen by the system, and a random token
  (256 bits) that a client must send as its first line before any request. Port, token, pid and start
  time are in a small JSON file only this user can read (0600; on Windows a protected access list
  granting the owner alone, core/system/win_acl.py), published with an exclusive link so that two apps
  starting at once cannot both think they own it. Any local user (or a web page, through a browser)
  can open a loopback port; without the token the connection is refused before its request is read.
  The token lives in that file and in memory only: never in an argv, a log line or a message.

Why not a named pipe on Windows: asyncio serves pipes only on the proactor loop through an internal
API (``loop.start_serving_pipe``) that qasync's Windows loop does not promise, and a pipe cannot run in
the tests here; the loopback port works with ``asyncio.start_server`` on every loop and the same tests
run it on Linux (``VOUCH_DESKTOP_CONTROL_TRANSPORT=tcp`` selects it anywhere).
"""

from __future__ import annotations

import abc
import contextlib
import json
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vouch_desktop.core.storage.files import read_bytes
from vouch_desktop.core.system.ipc_errors import MAX_MESSAGE_BYTES, ControlError

if TYPE_CHECKING:  # the client side (every sub-command, a second launch) stays light: no asyncio
    import asyncio

TRANSPORT_VARIABLE = "VOUCH_DESKTOP_CONTROL_TRANSPORT"  # "unix" or "tcp": the platform's choice otherwise
LOOPBACK = "127.0.0.1"
TOKEN_BYTES = 32
ENDPOINT_FILE_LIMIT = 4096
START_TIME_SLACK = 1.0  # seconds: how far a process's start time may differ from the one written down

Serve = Callable[["asyncio.StreamReader", "asyncio.StreamWriter"], Awaitable[None]]


class NotRunning(ControlError):
    pass


class IpcTimeout(ControlError):
    pass


class Endpoint(abc.ABC):
    """One place the app listens on, seen from the app (``listen``, ``admit``, ``close``) and from a
    client (``connect``); ``present``/``owner_gone``/``owner_pid``/``remove_leftover`` decide whether a
    new app may take it over."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where it is, for messages."""

    @abc.abstractmethod
    async def listen(self, serve: Serve) -> asyncio.AbstractServer:
        """Start listening; ``FileExistsError`` when another app published itself meanwhile."""

    async def admit(self, reader: asyncio.StreamReader) -> bool:
        """Whether a new connection may send a request (the transport's own check)."""
        return True

    @abc.abstractmethod
    def connect(self, timeout: float) -> socket.socket:
        """A connected socket, admitted, ready for the request (client side). ``NotRunning`` when no app
        listens, ``IpcTimeout`` when one is there but does not take the connection in time."""

    @abc.abstractmethod
    def present(self) -> bool:
        """Whether an app (running or gone) left its mark here."""

    @abc.abstractmethod
    def owner_gone(self) -> bool:
        """Whether the mark is a leftover whose owner is gone (only then may it be taken over)."""

    @abc.abstractmethod
    def owner_pid(self) -> int | None:
        """The pid of the app that owns it, where the system (or the endpoint) tells."""

    @abc.abstractmethod
    def remove_leftover(self) -> None:
        """Remove the mark of an owner that is gone."""

    @abc.abstractmethod
    def close(self) -> None:
        """Remove this app's own mark (after the server closed); another app's is left alone."""


# ---------------------------------------------------------------- Unix socket
@dataclass(frozen=True)
class UnixSocket(Endpoint):
    path: Path

    def describe(self) -> str:
        return f"socket {self.path}"

    async def listen(self, serve: Serve) -> asyncio.AbstractServer:
        import asyncio

        if sys.platform == "win32":
            raise OSError("Unix sockets are not served on Windows")
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        old_umask = os.umask(0o177)
        try:
            return await asyncio.start_unix_server(serve, path=str(self.path), limit=MAX_MESSAGE_BYTES)
        finally:
            os.umask(old_umask)

    def connect(self, timeout: float) -> socket.socket:
        if not hasattr(socket, "AF_UNIX"):
            raise NotRunning("Unix sockets are not available on this platform.")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(str(self.path))
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            raise NotRunning("Vouch Desktop is not running.", advice="Start it with: vouch-desktop &") from None
        except TimeoutError:  # its queue is full: it is there but does not take connections
            sock.close()
            raise IpcTimeout(f"Vouch Desktop did not take the connection within {timeout:g} s.") from None
        except OSError as exc:
            sock.close()
            raise NotRunning(f"Vouch Desktop cannot be reached ({exc.strerror or exc}).") from None
        return sock

    def present(self) -> bool:
        return self.path.exists() or self.path.is_symlink()

    def owner_gone(self) -> bool:
        return socket_owner_gone(self.path)

    def owner_pid(self) -> int | None:
        return socket_owner(self.path)

    def remove_leftover(self) -> None:
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        self.path.unlink(missing_ok=True)


def socket_owner_gone(path: Path) -> bool:
    """Whether the control socket at ``path`` is a leftover whose owner is gone: the kernel refuses a
    connection when no process listens on it any more. An app that is merely slow to answer (busy, or
    stopped with SIGSTOP or in a debugger) still listens, and the kernel queues the connection (or, its
    queue full, makes us wait): its socket must never be taken over."""
    if sys.platform == "win32":
        return True  # no Unix socket can be listening here
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):
            return True
        except OSError:  # a time-out (queue full), no permission …: someone is there
            return False
    return False


def socket_owner(path: Path) -> int | None:
    """The pid of the process listening on a Unix socket, where the system shows it (our own user's)."""
    try:
        import psutil

        try:
            connections: list[tuple[object, int | None]] = [
                (c.laddr, c.pid) for c in psutil.net_connections(kind="unix")]
        except psutil.AccessDenied:  # macOS shows every process's sockets to root only: look at our own
            connections = _own_unix_sockets()
        for address, pid in connections:
            if str(address) == str(path) and pid:  # a Unix socket's address is its path
                return pid
    except Exception:  # psutil cannot look on this platform, or may not
        return None
    return None


def _own_unix_sockets() -> list[tuple[object, int | None]]:
    import psutil

    me = psutil.Process().username()
    found: list[tuple[object, int | None]] = []
    for proc in psutil.process_iter(["username"]):
        if proc.info.get("username") != me:
            continue
        with contextlib.suppress(psutil.Error, OSError):
            found += [(c.laddr, proc.pid) for c in proc.net_connections(kind="unix")]
    return found


# ---------------------------------------------------------------- loopback TCP + token
@dataclass(frozen=True)
class Published:
    """What the endpoint file says: where the app listens, the token, and who the app is."""

    port: int
    token: str
    pid: int
    started: float  # the process's start time (psutil's create_time), so that a reused pid is not taken for it

    def to_json(self) -> str:
        return json.dumps({"schema_version": 1, "port": self.port, "token": self.token, "pid": self.pid,
                           "started": self.started})


def parse_published(data: bytes) -> Published | None:
    """The file's content, or None when it is not what an app writes (damaged, cut short, another version)."""
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(value, dict) or value.get("schema_version") != 1:
        return None
    port, token, pid, started = (value.get(k) for k in ("port", "token", "pid", "started"))
    if not (isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536):
        return None
    if not (isinstance(token, str) and len(token) == 2 * TOKEN_BYTES and all(c in "0123456789abcdef" for c in token)):
        return None
    if not (isinstance(pid, int) and not isinstance(pid, bool) and pid > 0):
        return None
    if not (isinstance(started, (int, float)) and not isinstance(started, bool)):
        return None
    return Published(port, token, pid, float(started))


def process_start_time(pid: int) -> float | None:
    """When process ``pid`` started, or None when there is no such process (or it cannot be seen)."""
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, OSError):
        return None


def process_alive(pid: int, started: float) -> bool:
    """Whether the process that wrote ``pid`` and ``started`` still runs (not another one given its pid)."""
    now = process_start_time(pid)
    return now is not None and abs(now - started) <= START_TIME_SLACK


class LoopbackPort(Endpoint):
    """A port on 127.0.0.1 guarded by a token; ``file`` says which port and holds the token."""

    def __init__(self, file: Path) -> None:
        self.file = Path(file)
        self._mine: Published | None = None  # what this app published (server side)

    def __repr__(self) -> str:  # never the token
        return f"LoopbackPort({str(self.file)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LoopbackPort) and other.file == self.file

    def __hash__(self) -> int:
        return hash(self.file)

    def describe(self) -> str:
        return f"loopback port (see {self.file})"

    def read(self) -> Published | None:
        """What the file says now; None when there is no file or it cannot be used."""
        try:
            return parse_published(read_bytes(self.file, ENDPOINT_FILE_LIMIT))
        except OSError:
            return None

    # ---- server side
    async def listen(self, serve: Serve) -> asyncio.AbstractServer:
        import asyncio
        import secrets

        server = await asyncio.start_server(serve, host=LOOPBACK, port=0, limit=MAX_MESSAGE_BYTES)
        try:
            port = int(server.sockets[0].getsockname()[1])
            started = process_start_time(os.getpid()) or 0.0
            mine = Published(port, secrets.token_hex(TOKEN_BYTES), os.getpid(), started)
            await asyncio.to_thread(self._publish, mine)
        except BaseException:
            server.close()
            await server.wait_closed()
            raise
        self._mine = mine
        return server

    def _publish(self, published: Published) -> None:
        """Write the file so that only this user can read it, complete before anyone can see it, and only
        where there is none: a hard link of a finished private file fails if the name exists."""
        import tempfile

        from vouch_desktop.core.system.win_acl import make_private

        folder = self.file.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{self.file.name}.", suffix=".tmp")  # 0600 already
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                make_private(Path(tmp))
                handle.write(published.to_json())
                handle.flush()
                os.fsync(handle.fileno())
            os.link(tmp, self.file)  # FileExistsError: another app published itself meanwhile
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    async def admit(self, reader: asyncio.StreamReader) -> bool:
        """The first line must be this app's token (compared in constant time)."""
        import hmac

        if self._mine is None:
            return False
        line = await reader.readline()
        return hmac.compare_digest(line.rstrip(b"\r\n"), self._mine.token.encode())

    def close(self) -> None:
        mine, self._mine = self._mine, None
        if mine is not None and self.read() == mine:  # only our own file: a newer app's stays
            self.file.unlink(missing_ok=True)

    # ---- client side
    def connect(self, timeout: float) -> socket.socket:
        published = self.read()
        if published is None or not process_alive(published.pid, published.started):  # a leftover: no port to try
            raise NotRunning("Vouch Desktop is not running.", advice="Start it with: vouch-desktop &")
        try:
            sock = socket.create_connection((LOOPBACK, published.port), timeout=timeout)
        except ConnectionRefusedError:
            raise NotRunning("Vouch Desktop is not running.", advice="Start it with: vouch-desktop &") from None
        except TimeoutError:
            raise IpcTimeout(f"Vouch Desktop did not take the connection within {timeout:g} s.") from None
        except OSError as exc:
            raise NotRunning(f"Vouch Desktop cannot be reached ({exc.strerror or exc}).") from None
        try:
            sock.sendall(published.token.encode() + b"\n")
        except OSError:
            sock.close()
            raise NotRunning("Vouch Desktop closed the connection.") from None
        return sock

    # ---- single instance
    def present(self) -> bool:
        return self.file.exists() or self.file.is_symlink()

    def owner_gone(self) -> bool:
        """Gone when the file cannot be used, its process no longer runs (pid and start time), or nothing
        listens on its port. A live app that does not answer keeps it. (The time-out is longer than
        Windows takes to refuse a connection to a closed port: it retries for about 2 s first.)"""
        published = self.read()
        if published is None or not process_alive(published.pid, published.started):
            return True
        try:
            with socket.create_connection((LOOPBACK, published.port), timeout=3.0):
                return False
        except ConnectionRefusedError:
            return True
        except OSError:  # a time-out: someone is there
            return False

    def owner_pid(self) -> int | None:
        published = self.read()
        return published.pid if published is not None else None

    def remove_leftover(self) -> None:
        self.file.unlink(missing_ok=True)


# ---------------------------------------------------------------- choice
def default_transport(platform: str = sys.platform) -> str:
    chosen = os.environ.get(TRANSPORT_VARIABLE, "")
    if chosen in ("unix", "tcp"):
        return chosen
    return "tcp" if platform == "win32" or not hasattr(socket, "AF_UNIX") else "unix"


def endpoint_in(runtime_dir: Path, name: str, transport: str | None = None) -> Endpoint:
    """The endpoint called ``name`` in the runtime folder, over the platform's transport."""
    if (transport or default_transport()) == "tcp":
        return LoopbackPort(runtime_dir / f"{name}.port")
    return UnixSocket(runtime_dir / f"{name}.sock")


def as_endpoint(where: Endpoint | Path | str) -> Endpoint:
    """An endpoint as given; a path is a Unix socket (what callers before ``Endpoint`` passed)."""
    return where if isinstance(where, Endpoint) else UnixSocket(Path(where))
