"""A threaded TCP echo server on 127.0.0.1: the "database" behind demo and test tunnels.

With a ``greeting`` it speaks first, as SSH, MySQL or SMTP servers do: the greeting goes out as soon
as a connection is accepted, before the client has said anything.
"""

from __future__ import annotations

import socketserver
import threading


class _EchoHandler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        if self.server.greeting:
            try:
                self.request.sendall(self.server.greeting)
            except OSError:
                return
        while True:
            try:
                data = self.request.recv(65536)
            except OSError:
                return
            if not data:
                return
            self.request.sendall(data)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 128  # many clients connect at once through one tunnel
    greeting = b""


class EchoServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, greeting: bytes = b"") -> None:
        self._server = _Server((host, port), _EchoHandler)
        self._server.greeting = greeting
        self.host: str
        self.port: int
        self.host, self.port = self._server.socket.getsockname()[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, name="echo", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def start(self) -> EchoServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> EchoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
