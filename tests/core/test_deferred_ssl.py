"""asyncio imported without OpenSSL (core/system/deferred_ssl.py): nothing of TLS is lost once ssl is
imported, whoever imports it and in whichever thread. Each case runs in a fresh interpreter, as the app
starts; the TLS peers are real (a websocket over TLS, as the built-in tunnels open to AWS, and STARTTLS)."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PROBE = r"""
import json, sys, threading
from vouch_desktop.core.system.deferred_ssl import asyncio_has_ssl, import_asyncio_without_ssl

import_asyncio_without_ssl()
report = {"ssl_after_asyncio": "ssl" in sys.modules, "tls_before": asyncio_has_ssl()}
CERT, KEY = sys.argv[1], sys.argv[2]

def import_in_a_worker():  # as botocore does when the first client is made, in a worker thread
    import ssl  # noqa: F401
threading.Thread(target=import_in_a_worker).start() if sys.argv[3] == "thread" else None
if sys.argv[3] == "main":
    import ssl  # noqa: F401
if sys.argv[3] == "websockets":
    import websockets.asyncio.client, websockets.asyncio.server  # they import ssl themselves
while "ssl" not in sys.modules or not asyncio_has_ssl():
    pass
import asyncio, ssl
import asyncio.base_events, asyncio.selector_events, asyncio.sslproto
report["tls_after"] = asyncio_has_ssl()
report["same_module"] = all(m.ssl is ssl for m in (asyncio.base_events, asyncio.selector_events, asyncio.sslproto))
report["again_errors"] = asyncio.sslproto.SSLAgainErrors == (ssl.SSLWantReadError, ssl.SSLSyscallError)

server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
server_ctx.load_cert_chain(CERT, KEY)
client_ctx = ssl.create_default_context(cafile=CERT)

async def websocket_over_tls():
    from websockets.asyncio.client import connect
    from websockets.asyncio.server import serve

    async def echo(ws):
        async for message in ws:
            await ws.send(message)
    async with serve(echo, "127.0.0.1", 0, ssl=server_ctx) as server:
        port = server.sockets[0].getsockname()[1]
        async with connect(f"wss://localhost:{port}/v1/data-channel/s-1", ssl=client_ctx) as ws:
            await ws.send(b"\x00" * 5000)
            return len(await ws.recv())

async def starttls():
    async def handle(reader, writer):
        await writer.start_tls(server_ctx)
        writer.write((await reader.readline()).upper())
        await writer.drain()
        writer.close()
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await writer.start_tls(client_ctx, server_hostname="localhost")
    writer.write(b"hello\n")
    line = await reader.readline()
    writer.close()
    server.close()
    return line.decode().strip()

report["websocket"] = asyncio.run(websocket_over_tls())
report["starttls"] = asyncio.run(starttls())
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return str(folder / "cert.pem"), str(folder / "key.pem")


@pytest.mark.parametrize("who", ["main", "thread", "websockets"])
def test_asyncio_gets_all_of_tls_back_when_ssl_is_first_imported(certificate, who):
    result = subprocess.run([sys.executable, "-c", PROBE, *certificate, who], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report == {"ssl_after_asyncio": False, "tls_before": False, "tls_after": True, "same_module": True,
                      "again_errors": True, "websocket": 5000, "starttls": "HELLO"}


def test_nothing_changes_when_asyncio_or_ssl_is_there_already():
    code = ("import ssl, sys\nfrom vouch_desktop.core.system.deferred_ssl import asyncio_has_ssl, "
            "import_asyncio_without_ssl\nimport_asyncio_without_ssl()\n"
            "print(asyncio_has_ssl(), sum(type(f).__name__.startswith('_Complete') for f in sys.meta_path))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.split() == ["True", "0"]


def test_a_python_not_checked_for_it_gets_a_plain_import():
    code = ("import ssl, sys\nfrom vouch_desktop.core.system import deferred_ssl\ndeferred_ssl.CHECKED_PYTHONS = ()\n"
            "print(deferred_ssl.import_asyncio_without_ssl(), 'ssl' in sys.modules, deferred_ssl.asyncio_has_ssl())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.split() == ["False", "True", "True"]


def test_an_asyncio_that_needs_ssl_is_imported_the_normal_way():
    """A future asyncio that imports ssl unconditionally (played by a finder refusing asyncio.sslproto while
    ssl cannot be imported): no error, asyncio complete with TLS, nothing left waiting on the import system."""
    code = ("import sys\nclass NeedsSsl:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'asyncio.sslproto' and 'ssl' in sys.modules and sys.modules['ssl'] is None:\n"
            "            raise ImportError('asyncio needs ssl')\n"
            "sys.meta_path.insert(0, NeedsSsl())\n"
            "from vouch_desktop.core.system.deferred_ssl import asyncio_has_ssl, import_asyncio_without_ssl\n"
            "deferred = import_asyncio_without_ssl()\nimport asyncio\n"
            "print(deferred, asyncio_has_ssl(), sum(type(f).__name__.startswith('_Complete') for f in sys.meta_path),"
            " asyncio.run(asyncio.sleep(0, 'ok')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.split() == ["False", "True", "0", "ok"]
