"""A fast AWS for benchmarks: the fake AWS's answers recorded once, then served from memory.

The fake (moto) takes ~5 ms to render each EC2 instance, so against it a listing of 5,000 instances
measures moto. ``FastAws`` sits in front of it as a recording proxy: the first time a request is made it
is forwarded and its answer kept (status, headers, body: the same XML and JSON, the same pages and
NextTokens); every later identical request is answered from memory, without the fake. ``stats()`` counts
the forwarded ones, so a benchmark can check that what it measured was all served from memory.

Requests are told apart as AWS tells them apart: the region (from the SigV4 credential scope), the
operation (``X-Amz-Target`` for JSON services, ``Action`` in the form body for query services such as
EC2) and the request's parameters (the body, which holds the NextToken), never the signature or dates.

It runs in a process of its own (``FastAws.start()``), as AWS runs elsewhere: serving from memory costs
a fraction of a millisecond a page, and that is not the app's time.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_REGION = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
_DROP = {"authorization", "x-amz-date", "x-amz-security-token", "amz-sdk-invocation-id", "amz-sdk-request",
         "user-agent", "host", "content-length"}


def request_key(headers: dict[str, str], body: bytes) -> tuple[str, str, bytes]:
    region = _REGION.search(headers.get("authorization", ""))
    target = headers.get("x-amz-target", "")
    if not target:  # query protocol: the form body names the action; keep its parameters in order
        fields = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        target = dict(fields).get("Action", "")
    return (region.group(1) if region else "", target, body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (no access log)
        pass

    def setup(self) -> None:
        super().setup()
        # each answer leaves in one write, at once (no Nagle delay waiting for the client's delayed ACK)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.path.startswith("/_fast_aws/"):
            self._send(200, [], json.dumps(self.server.report(self.path)).encode())
            return
        key = (self.command, self.path, *request_key(headers, body))
        answer = self.server.answers.get(key)
        if answer is None:
            answer = self.server.forward(self.command, self.path, headers, body)
            with self.server.lock:
                self.server.answers[key] = answer
                self.server.requests.append((key[2], self.command, self.path, headers, body.decode("latin-1")))
        status, answer_headers, answer_body = answer
        self._send(status, answer_headers, answer_body)

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        head = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}", *(f"{k}: {v}" for k, v in headers),
                f"Content-Length: {len(body)}", "", ""]
        self.wfile.write("\r\n".join(head).encode("latin-1") + body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = urllib.parse.urlsplit(upstream)
        self.answers: dict[tuple, tuple[int, list[tuple[str, str]], bytes]] = {}
        self.requests: list[tuple[str, str, str, dict[str, str], str]] = []  # (region, method, path, headers, body)
        self.lock = threading.Lock()

    def report(self, path: str) -> object:
        with self.lock:
            if path == "/_fast_aws/recorded":
                return self.requests
            return {"forwarded": len(self.requests), "bytes": sum(len(a[2]) for a in self.answers.values())}

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list, bytes]:
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=600)
        try:
            connection.request(method, path, body, {k: v for k, v in headers.items() if k != "host"})
            response = connection.getresponse()
            answer_body = response.read()
            kept = [(k, v) for k, v in response.getheaders()
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server")]
            return response.status, kept, answer_body
        finally:
            connection.close()


def serve(upstream: str) -> None:
    """The server process: says its port on stdout, then serves until killed."""
    server = _Server(upstream)
    print(server.server_address[1], flush=True)
    server.serve_forever()


class FastAws:
    """``FastAws(fake.endpoint_url).start()``; point the app at ``endpoint_url``; run what is to be measured
    once (recorded from the fake), then again (from memory: ``stats()["forwarded"]`` does not change)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.port = 0
        self._process: subprocess.Popen[str] | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FastAws:
        here = str(Path(__file__).parent)
        code = f"import sys; sys.path.insert(0, {here!r}); import fast_aws; fast_aws.serve(sys.argv[1])"
        self._process = subprocess.Popen([sys.executable, "-c", code, self.upstream], stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        self.port = int(self._process.stdout.readline())
        return self

    def _ask(self, what: str) -> Any:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", f"/_fast_aws/{what}")
            return json.loads(connection.getresponse().read())
        finally:
            connection.close()

    def stats(self) -> dict[str, int]:
        """How many requests were forwarded to the fake (and recorded), and the bytes of their answers."""
        return dict(self._ask("stats"))

    def recorded(self) -> list[tuple[str, str, str, dict[str, str], bytes]]:
        """Every recorded request, in the order first made: (region, method, path, headers, body)."""
        return [(region, method, path, headers, body.encode("latin-1"))
                for region, method, path, headers, body in self._ask("recorded")]

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None
