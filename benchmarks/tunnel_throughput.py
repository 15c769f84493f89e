"""Throughput and connect latency of both tunnel backends vs direct loopback, in one run.

    .venv/bin/python benchmarks/tunnel_throughput.py [--megabytes 64] [--connects 200] [--pgbench-seconds 10]

Both paths are the app's real ones: TunnelManager → StartSession (fake AWS) → either the demo's
session-manager-plugin (a process that relays real bytes over local TCP) or the built-in backend
(the SSM data channel over a websocket to the fake SSM agent, smux-multiplexed) → an echo server
standing in for the database. With PostgreSQL installed (scripts/apt-packages.txt), a real cluster
too: pgbench's transactions per second through each backend ÷ direct, in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures.postgres import PostgresCluster, postgres_bin  # noqa: E402
from vouch_desktop.core.aws.sessions import AwsSessions  # noqa: E402
from vouch_desktop.core.system.processes import ProcessRegistry  # noqa: E402
from vouch_desktop.core.tunnels.manager import TunnelManager, TunnelState  # noqa: E402
from vouch_desktop.demo.echo_server import EchoServer  # noqa: E402
from vouch_desktop.demo.fake_aws import MANAGED_TAG, FakeAws  # noqa: E402
from vouch_desktop.demo.fake_tools import fake_plugin_path  # noqa: E402

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


@dataclass
class Figures:
    start_ms: float
    mbps: float
    connect_ms: float


async def measure_tunnel(aws: FakeAws, bastion: str, backend: str, total: int, connects: int) -> Figures:
    manager = TunnelManager(AwsSessions(), ProcessRegistry(), plugin_path=lambda: str(fake_plugin_path()),
                            backend=lambda: backend)
    started = time.perf_counter()
    await manager.start(Spec(f"bench-{backend}", bastion))
    while manager.status(f"bench-{backend}").state is not TunnelState.UP:
        await asyncio.sleep(0.01)
    start_ms = (time.perf_counter() - started) * 1000
    port = manager.status(f"bench-{backend}").local_port
    try:
        return Figures(start_ms, await throughput(port, total), await connect_latency(port, connects))
    finally:
        await manager.stop_all()


# ---- PostgreSQL: pgbench through each backend ÷ direct, in the same run (issue 15)
PG_HOST = "pg.bench.internal"
PGBENCH_RUNS = {"pgbench -S, 4 clients (tps)": ["-S", "-c", "4", "-j", "2"],
                "pgbench -S -C, a connection per transaction (tps)": ["-S", "-C", "-c", "4", "-j", "2"]}


def pgbench_tps(cluster: PostgresCluster, port: int, database: str, args: list[str], seconds: int) -> float:
    done = cluster.pgbench(*args, "-T", str(seconds), "--no-vacuum", database, port=port, database=database)
    found = re.search(r"^tps = ([0-9.]+)", done.stdout, re.MULTILINE)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"pgbench failed: {done.stderr[-500:]}")
    return float(found.group(1))


async def measure_postgres(aws: FakeAws, bastion: str, seconds: int) -> dict[str, dict[str, float]] | None:
    """{run: {"direct"|"plugin"|"builtin": tps}}, or None without PostgreSQL."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        return None
    figures: dict[str, dict[str, float]] = {run: {} for run in PGBENCH_RUNS}
    with PostgresCluster(bin_dir) as cluster:
        database = cluster.create_database()
        cluster.pgbench("-i", "-s", "10", "-q", database, database=database).check_returncode()
        aws.add_route(PG_HOST, 5432, ("127.0.0.1", cluster.port))
        for run, args in PGBENCH_RUNS.items():
            figures[run]["direct"] = await asyncio.to_thread(
                pgbench_tps, cluster, cluster.port, database, args, seconds)
        for backend in ("plugin", "builtin"):
            manager = TunnelManager(AwsSessions(), ProcessRegistry(), plugin_path=lambda: str(fake_plugin_path()),
                                    backend=lambda backend=backend: backend)
            name = f"pgbench-{backend}"
            await manager.start(Spec(name, bastion, remote_host=PG_HOST))
            while manager.status(name).state is not TunnelState.UP:
                await asyncio.sleep(0.01)
            try:
                for run, args in PGBENCH_RUNS.items():
                    figures[run][backend] = await asyncio.to_thread(
                        pgbench_tps, cluster, manager.status(name).local_port, database, args, seconds)
            finally:
                await manager.stop_all()
    return figures


def print_postgres(figures: dict[str, dict[str, float]] | None, seconds: int) -> None:
    if figures is None:
        print("PostgreSQL: not installed (apt package postgresql): no pgbench figures")
        return
    print(f"\nPostgreSQL (a real cluster; pgbench for {seconds} s each, scale 10)")
    print(f"{'figure':<52}{'direct':>9}{'plugin':>9}{'built-in':>9}{'plugin/direct':>15}{'built-in/direct':>17}")
    for run, tps in figures.items():
        print(f"{run:<52}{tps['direct']:>9.0f}{tps['plugin']:>9.0f}{tps['builtin']:>9.0f}"
              f"{tps['plugin'] / tps['direct']:>15.2f}{tps['builtin'] / tps['direct']:>17.2f}")


async def main(megabytes: int, connects: int, pgbench_seconds: int = 10) -> None:
    home = Path(tempfile.mkdtemp(prefix="vouch-bench-"))
    (home / "config").write_text("[profile bench]\nregion = eu-west-1\n")
    (home / "credentials").write_text("[bench]\naws_access_key_id = x\naws_secret_access_key = x\n")
    os.environ.update(AWS_CONFIG_FILE=str(home / "config"), AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"))
    total = megabytes * 1024 * 1024
    with FakeAws() as aws, EchoServer() as echo:
        os.environ["AWS_ENDPOINT_URL"] = aws.endpoint_url
        bastion = aws.client("ec2").run_instances(
            ImageId="ami-12345678", MinCount=1, MaxCount=1,
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": MANAGED_TAG, "Value": "online"}]}],
        )["Instances"][0]["InstanceId"]
        aws.add_route("db.bench.internal", 5432, echo.address)
        direct = Figures(0.0, await throughput(echo.port, total), await connect_latency(echo.port, connects))
        plugin = await measure_tunnel(aws, bastion, "plugin", total, connects)
        builtin = await measure_tunnel(aws, bastion, "builtin", total, connects)
        postgres = await measure_postgres(aws, bastion, pgbench_seconds) if pgbench_seconds else None
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {sys.platform}")
    print(f"{'figure':<44}{'direct':>10}{'plugin':>10}{'built-in':>10}{'built-in/direct':>17}")
    print(f"{'throughput, ' + str(megabytes) + ' MiB echoed (MB/s)':<44}{direct.mbps:>10.0f}{plugin.mbps:>10.0f}"
          f"{builtin.mbps:>10.0f}{builtin.mbps / direct.mbps:>17.2f}")
    print(f"{'connect + 1-byte round trip, median (ms)':<44}{direct.connect_ms:>10.2f}{plugin.connect_ms:>10.2f}"
          f"{builtin.connect_ms:>10.2f}{builtin.connect_ms / direct.connect_ms:>17.1f}")
    print(f"{'tunnel start: StartSession → port accepting (ms)':<44}{'—':>10}{plugin.start_ms:>10.0f}"
          f"{builtin.start_ms:>10.0f}")
    if pgbench_seconds:
        print_postgres(postgres, pgbench_seconds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=64)
    parser.add_argument("--connects", type=int, default=200)
    parser.add_argument("--pgbench-seconds", type=int, default=10, help="0: no PostgreSQL figures")
    options = parser.parse_args()
    asyncio.run(main(options.megabytes, options.connects, options.pgbench_seconds))
