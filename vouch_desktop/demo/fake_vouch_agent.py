"""A stand-in for ``vouch-agent`` (crates/vouch-agent), for the demo and the tests: the session the fake
vouch keeps, served over the agent's socket protocol.

As the real agent (``wire.rs``, ``protocol.rs``, ``server.rs``): a Unix socket (mode 0600), each frame a
4-byte big-endian length (1..1 MiB) and a JSON-RPC 2.0 message; ``get_session`` answers
``{user_email, expires_at, authenticated_at, expires_in_seconds, server_url}`` or the error -32000
"not authenticated" (an expired session is not returned); ``ping`` answers "pong"; an unknown method
-32601; JSON that does not parse -32700 with id 0. One connection may carry several requests.
It runs in a thread of the process that starts it (no process to leave behind).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import socket
import socketserver
import struct
import sys
import threading
import time
from pathlib import Path

from vouch_desktop.demo.fake_vouch_config import FakeVouchState

MAX_FRAME = 1024 * 1024
PARSE_ERROR, METHOD_NOT_FOUND, NOT_AUTHENTICATED = -32700, -32601, -32000
METHODS = {"ping", "get_session", "store_session", "clear_session", "get_token", "store_ssh_credentials",
           "clear_ssh_credentials", "has_ssh_credentials", "cache_credential", "get_cached_credential",
           "clear_credential_cache"}
SERVER_URL = "https://us.vouch.sh"


def _iso(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeVouchAgent:
    def __init__(self, state: FakeVouchState, socket_path: Path) -> None:
        self.state = state
        self.socket_path = Path(socket_path)
        self.requests: list[str] = []  # methods asked, in order (tests check who asked what)
        self._server: socketserver.BaseServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakeVouchAgent:
        if sys.platform == "win32":
            raise OSError("the demo's vouch agent needs Unix sockets (the real agent's on Windows is not modelled)")
        self.socket_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()  # socket.rs bind_socket: a stale socket is removed
        agent = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                agent._serve(self.request)

        server = socketserver.ThreadingUnixStreamServer(str(self.socket_path), Handler)
        server.daemon_threads = True
        os.chmod(self.socket_path, 0o600)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="fake-vouch-agent", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> FakeVouchAgent:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ protocol
    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(30)  # wire.rs IDLE_READ_TIMEOUT: an idle client does not hold the task for ever
        with contextlib.suppress(OSError):
            while True:
                header = _recv_exact(conn, 4)
                if header is None:
                    return  # clean disconnect
                (length,) = struct.unpack(">I", header)
                if not 0 < length <= MAX_FRAME:
                    return  # read_message: "empty message" / "message too large" end the connection
                body = _recv_exact(conn, length)
                if body is None:
                    return
                response = self._answer(body)
                data = json.dumps(response).encode()
                conn.sendall(struct.pack(">I", len(data)) + data)

    def _answer(self, body: bytes) -> dict:
        try:
            request = json.loads(body)
            request_id, method = request["id"], request["method"]
            if not isinstance(request_id, int) or not isinstance(method, str):
                raise TypeError("id and method")
        except (ValueError, KeyError, TypeError):
            return _error(0, PARSE_ERROR, "parse error")
        self.requests.append(method)
        if method not in METHODS:
            return _error(request_id, METHOD_NOT_FOUND, "method not found")
        if method == "ping":
            return {"jsonrpc": "2.0", "id": request_id, "result": "pong"}
        if method == "get_session":
            session = self.state.session()
            expires_at = session.get("expires_at")
            if not isinstance(expires_at, (int, float)) or expires_at <= time.time():
                return _error(request_id, NOT_AUTHENTICATED, "not authenticated")
            return {"jsonrpc": "2.0", "id": request_id, "result": {
                "user_email": session.get("email", ""), "expires_at": _iso(expires_at),
                "authenticated_at": _iso(session.get("authenticated_at", time.time())),
                "expires_in_seconds": int(expires_at - time.time()), "server_url": SERVER_URL}}
        return _error(request_id, NOT_AUTHENTICATED, "not authenticated")  # what the app never asks


def _error(request_id: int, code: int, message: str) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def _recv_exact(conn: socket.socket, count: int) -> bytes | None:
    data = b""
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data
