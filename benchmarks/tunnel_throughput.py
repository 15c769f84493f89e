"""Throughput and connect latency through the app's tunnel path vs direct loopback, in one run.

    .venv/bin/python benchmarks/tunnel_throughput.py [--megabytes 64] [--connects 200]

The tunnel path is the real one: TunnelManager → StartSession (fake AWS) → session-manager-plugin
(the demo's, which forwards real bytes) → an echo server standing in for the database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vouch_desktop.core.aws import AwsSessions  # noqa: E402
from vouch_desktop.core.processes import ProcessRegistry  # noqa: E402
from vouch_desktop.core.tunnels import TunnelManager, TunnelState  # noqa: E402
from vouch_desktop.demo.echo_server import EchoServer  # noqa: E402
from vouch_desktop.demo.fake_aws import MANAGED_TAG, FakeAws  # noqa: E402
from vouch_desktop.demo.paths import fake_plugin_path  # noqa: E402

CHUNK = 256 * 1024


@dataclass
class Spec:
    name: str
    target: str
    remote_host: str = "db.bench.internal"
    remote_port: int = 5432
    local_port: int = 0
    region: str = "eu-west-1"
    aws_profile: str = "bench"
    document: str = "AWS-StartPortForwardingSessionToRemoteHost"


async def throughput(port: int, total: int) -> float:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    payload = os.urandom(CHUNK)
    start = time.perf_counter()

    async def send() -> None:
        for _ in range(total // CHUNK):
            writer.write(payload)
            await writer.drain()

    async def receive() -> None:
        left = (total // CHUNK) * CHUNK
        while left:
            data = await reader.read(min(left, 1 << 20))
            if not data:
                raise RuntimeError("closed early")
            left -= len(data)

    await asyncio.gather(send(), receive())
    elapsed = time.perf_counter() - start
    writer.close()
    await writer.wait_closed()
    return (total // CHUNK) * CHUNK / elapsed / 1e6


async def connect_latency(port: int, count: int) -> float:
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"x")
        await writer.drain()
        await reader.readexactly(1)
        samples.append(time.perf_counter() - start)
        writer.close()
        await writer.wait_closed()
    return statistics.median(samples) * 1000


async def main(megabytes: int, connects: int) -> None:
    home = Path(tempfile.mkdtemp(prefix="vouch-bench-"))
    (home / "config").write_text("[profile bench]\nregion = eu-west-1\n")
    (home / "credentials").write_text("[bench]\naws_access_key_id = x\naws_secret_access_key = x\n")
    os.environ.update(AWS_CONFIG_FILE=str(home / "config"), AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"))
    with FakeAws() as aws, EchoServer() as echo:
        os.environ["AWS_ENDPOINT_URL"] = aws.endpoint_url
        bastion = aws.client("ec2").run_instances(
            ImageId="ami-12345678", MinCount=1, MaxCount=1,
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": MANAGED_TAG, "Value": "online"}]}],
        )["Instances"][0]["InstanceId"]
        aws.add_route("db.bench.internal", 5432, echo.address)
        manager = TunnelManager(AwsSessions(), ProcessRegistry(), plugin_path=lambda: str(fake_plugin_path()))
        started = time.perf_counter()
        await manager.start(Spec("bench", bastion))
        while manager.status("bench").state is not TunnelState.UP:
            await asyncio.sleep(0.01)
        tunnel_start = time.perf_counter() - started
        port = manager.status("bench").local_port
        total = megabytes * 1024 * 1024
        direct_mbps, tunnel_mbps = await throughput(echo.port, total), await throughput(port, total)
        direct_ms, tunnel_ms = await connect_latency(echo.port, connects), await connect_latency(port, connects)
        await manager.stop_all()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {sys.platform}")
    print(f"tunnel start (StartSession → plugin → port accepting): {tunnel_start * 1000:.0f} ms")
    print(f"throughput, {megabytes} MiB echoed: direct {direct_mbps:.0f} MB/s, tunnel {tunnel_mbps:.0f} MB/s, "
          f"ratio tunnel/direct {tunnel_mbps / direct_mbps:.2f}")
    print(f"connect + 1-byte round trip, median of {connects}: direct {direct_ms:.2f} ms, tunnel {tunnel_ms:.2f} ms, "
          f"ratio tunnel/direct {tunnel_ms / direct_ms:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=64)
    parser.add_argument("--connects", type=int, default=200)
    options = parser.parse_args()
    asyncio.run(main(options.megabytes, options.connects))
