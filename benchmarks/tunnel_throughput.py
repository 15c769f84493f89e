"""Tunnels side by side, in one run: direct, the demo relay, AWS's plugin and the built-in backend.

    .venv/bin/python benchmarks/tunnel_throughput.py [--seconds 5] [--pgbench-seconds 10] [--only builtin]

Three kinds of process, as in real use: the fake world (fake AWS, the fake SSM agent, an echo server
standing in for the database) in one, the app under test (a TunnelManager holding one tunnel: the
demo's relay plugin, AWS's session-manager-plugin, or the built-in data channel) in another, and the
client that measures in this one, talking TCP to the tunnel's local port as psql would.

AWS's plugin is found as the tests find it (``$SESSION_MANAGER_PLUGIN`` or
``../shared/tools/session-manager-plugin/``). A real agent pauses 1 ms after every 1 KB it reads
(port_mux.go), which caps what any client receives near 1 MB/s; the main figures take that pause away
so that the clients are what is measured, and a last row puts it back.
With PostgreSQL installed (scripts/apt-packages.txt), a real cluster too: pgbench's transactions
per second through each path ÷ direct, in the same run.
Goals (issue #17): the built-in backend ≥ 5× AWS's plugin on throughput, ≤ its round trip.
Goals (issue #23): the built-in backend ≥ 25 MB/s on one connection (bulk), and pgbench -S through it
≥ 0.3× direct; the last lines say whether they hold.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHUNK = 64 * 1024
PATTERN = os.urandom(256 * 1024)
DB_HOST, DB_PORT = "db.bench.internal", 5432
PG_HOST = "pg.bench.internal"
PATHS = ("direct", "demo relay", "AWS plugin", "built-in")
BACKENDS = {"demo relay": "plugin", "AWS plugin": "plugin", "built-in": "builtin"}


# ---- the database and the fake world (each its own process)
def serve_echo() -> None:
    from vouch_desktop.demo.echo_server import EchoServer

    with EchoServer() as echo:
        print(echo.port, flush=True)
        sys.stdin.read()


def serve_world(echo_port: int) -> None:
    from vouch_desktop.demo.fake_aws import MANAGED_TAG, FakeAws

    with FakeAws() as aws:
        aws.agent.read_pause = 0.0
        bastion = aws.client("ec2").run_instances(
            ImageId="ami-12345678", MinCount=1, MaxCount=1,
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": MANAGED_TAG, "Value": "online"}]}],
        )["Instances"][0]["InstanceId"]
        aws.add_route(DB_HOST, DB_PORT, ("127.0.0.1", echo_port))
        print(json.dumps({"endpoint": aws.endpoint_url, "bastion": bastion}), flush=True)
        for line in sys.stdin:  # "pause SECONDS": the agent's pause after each 1 KB read; EOF: the end
            command, _, value = line.strip().partition(" ")
            if command == "pause":
                aws.agent.read_pause = float(value)
            elif command == "route":  # "route HOST PORT": HOST:5432 goes to 127.0.0.1:PORT
                host, port = value.split()
                aws.add_route(host, DB_PORT, ("127.0.0.1", int(port)))
            print("ok", flush=True)


# ---- the app under test (its own process): one tunnel through a TunnelManager
@dataclass
class Spec:
    name: str
    target: str
    remote_host: str = DB_HOST
    remote_port: int = DB_PORT
    local_port: int = 0
    region: str = "eu-west-1"
    aws_profile: str = "bench"
    document: str = "AWS-StartPortForwardingSessionToRemoteHost"


async def serve_tunnel(backend: str, plugin: str, bastion: str, starts: int, host: str) -> None:
    from vouch_desktop.core.aws.sessions import AwsSessions
    from vouch_desktop.core.system.processes import ProcessRegistry
    from vouch_desktop.core.tunnels.manager import TunnelManager
    from vouch_desktop.core.tunnels.state import TunnelState

    manager = TunnelManager(AwsSessions(), ProcessRegistry(), plugin_path=lambda: plugin, backend=lambda: backend)
    spec = Spec("bench", bastion, remote_host=host)
    timings = []
    try:
        for attempt in range(starts):
            started = time.perf_counter()
            await manager.start(spec)
            while (status := manager.status("bench")).state is not TunnelState.UP:
                if status.state is TunnelState.FAILED:
                    raise SystemExit(f"the tunnel failed: {status.reason}")
                await asyncio.sleep(0.002)
            timings.append((time.perf_counter() - started) * 1000)
            if attempt < starts - 1:
                await manager.stop("bench")
        print(json.dumps({"port": manager.status("bench").local_port, "start_ms": timings}), flush=True)
        await asyncio.to_thread(sys.stdin.read)  # until the measuring process is done
    finally:
        await manager.stop_all()


# ---- the client that measures (this process)
def verify(received: bytes, offset: int) -> None:
    """The echoed bytes are the pattern sent, from ``offset`` on (a cheap check that nothing was lost)."""
    start = offset % len(PATTERN)
    expected = (PATTERN * (2 + len(received) // len(PATTERN)))[start:start + len(received)]
    if received != expected:
        raise SystemExit(f"corrupted bytes came back at offset {offset}")


async def stream(port: int, seconds: float) -> tuple[int, float]:
    """Write the pattern and read the echo for ``seconds``: the bytes echoed and the time taken."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    sent = received = 0

    async def send() -> None:
        nonlocal sent
        while time.perf_counter() < deadline:
            start = sent % len(PATTERN)
            chunk = (PATTERN + PATTERN)[start:start + CHUNK]
            writer.write(chunk)
            sent += len(chunk)
            await writer.drain()

    async def receive() -> None:
        nonlocal received
        while time.perf_counter() < deadline or received < sent:
            data = await asyncio.wait_for(reader.read(1 << 20), 60)
            if not data:
                raise SystemExit("the tunnel closed the connection")
            verify(data, received)
            received += len(data)

    await asyncio.gather(send(), receive())
    elapsed = time.perf_counter() - started
    writer.close()
    await writer.wait_closed()
    return received, elapsed


async def throughput(port: int, seconds: float, connections: int = 1) -> float:
    results = await asyncio.gather(*(stream(port, seconds) for _ in range(connections)))
    return sum(r[0] for r in results) / max(r[1] for r in results) / 1e6


async def round_trip(port: int, count: int) -> float:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        writer.write(b"x")
        await writer.drain()
        await reader.readexactly(1)
        samples.append(time.perf_counter() - started)
    writer.close()
    await writer.wait_closed()
    return statistics.median(samples) * 1000


async def connect_round_trip(port: int, count: int) -> float:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"x")
        await writer.drain()
        await reader.readexactly(1)
        samples.append(time.perf_counter() - started)
        writer.close()
        await writer.wait_closed()
    return statistics.median(samples) * 1000


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process and its children (the app and the plugin it started)."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        times = process.cpu_times()
        total += times.user + times.system
    return total


@dataclass
class Figures:
    mbps: float = 0.0
    cpu_ms_per_mb: float = 0.0
    agent_cpu_ms_per_mb: float = 0.0  # the fake world's process (the agent's loop is nearly all of it)
    parallel_mbps: float = 0.0
    round_trip_ms: float = 0.0
    connect_ms: float = 0.0
    start_ms: float = 0.0
    paced_mbps: float = 0.0


def find_aws_plugin() -> str | None:
    candidate = Path(os.environ.get("SESSION_MANAGER_PLUGIN") or
                     ROOT.parent / "shared" / "tools" / "session-manager-plugin" / "session-manager-plugin")
    return str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None


class World:
    """The database (an echo server) and the fake world, each in a process of its own: in one process
    their threads would take turns at the GIL, and the database would wait on the agent."""

    def __init__(self, env: dict[str, str]) -> None:
        self.echo = subprocess.Popen([sys.executable, __file__, "--echo"], env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.echo.stdout is not None
        self.echo_port = int(self.echo.stdout.readline())
        self.process = subprocess.Popen([sys.executable, __file__, "--world", str(self.echo_port)], env=env,
                                        text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.process.stdout is not None and self.process.stdin is not None
        self.info = json.loads(self.process.stdout.readline())

    def tell(self, command: str) -> None:
        assert self.process.stdout is not None and self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "ok"

    def pause(self, seconds: float) -> None:
        self.tell(f"pause {seconds}")

    def stop(self) -> None:
        for process in (self.process, self.echo):
            assert process.stdin is not None
            process.stdin.close()
            process.wait(30)


class TunnelApp:
    """The app under test holding one tunnel (a process of its own)."""

    def __init__(self, path: str, plugin: str, world: World, env: dict[str, str], starts: int,
                 host: str = DB_HOST) -> None:
        self.path = path
        self.process = subprocess.Popen([sys.executable, __file__, "--tunnel", BACKENDS[path], "--plugin", plugin,
                                         "--bastion", world.info["bastion"], "--starts", str(starts), "--host", host],
                                        env=env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    async def up(self) -> dict:
        assert self.process.stdout is not None
        line = await asyncio.to_thread(self.process.stdout.readline)
        if not line:
            raise SystemExit(f"{self.path}: the tunnel did not come up")
        return json.loads(line)

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(30)


async def measure_path(path: str, plugin: str, world: World, env: dict[str, str],
                       options: argparse.Namespace) -> Figures:
    tunnel = TunnelApp(path, plugin, world, env, options.starts)
    app = tunnel.process
    try:
        up = await tunnel.up()
        port = up["port"]
        figures = Figures(start_ms=statistics.median(up["start_ms"]))
        cpu_before, agent_before, started = cpu_seconds(app.pid), cpu_seconds(world.process.pid), time.perf_counter()
        figures.mbps = await throughput(port, options.seconds)
        echoed_mb = figures.mbps * (time.perf_counter() - started)
        figures.cpu_ms_per_mb = (cpu_seconds(app.pid) - cpu_before) * 1000 / echoed_mb
        if path != "demo relay":  # the relay does not use the agent
            figures.agent_cpu_ms_per_mb = (cpu_seconds(world.process.pid) - agent_before) * 1000 / echoed_mb
        figures.parallel_mbps = await throughput(port, options.seconds, 8)
        figures.round_trip_ms = await round_trip(port, options.round_trips)
        figures.connect_ms = await connect_round_trip(port, options.connects)
        if path != "demo relay":  # the relay does not use the agent
            world.pause(0.001)
            figures.paced_mbps = await throughput(port, options.seconds)
            world.pause(0.0)
        return figures
    finally:
        tunnel.stop()


# ---- PostgreSQL: pgbench through each path ÷ direct, in the same run (issue 15)
PGBENCH_RUNS = {"pgbench -S, 4 clients (tps)": ["-S", "-c", "4", "-j", "2"],
                "pgbench -S -C, a connection per transaction (tps)": ["-S", "-C", "-c", "4", "-j", "2"]}


def pgbench_tps(cluster: object, port: int, database: str, args: list[str], seconds: int) -> float:
    done = cluster.pgbench(*args, "-T", str(seconds), "--no-vacuum", database,  # type: ignore[attr-defined]
                           port=port, database=database)
    found = re.search(r"^tps = ([0-9.]+)", done.stdout, re.MULTILINE)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"pgbench failed: {done.stderr[-500:]}")
    return float(found.group(1))


async def measure_postgres(world: World, env: dict[str, str], plugins: dict[str, str],
                           seconds: int, paths: tuple[str, ...] = PATHS) -> dict[str, dict[str, float]] | None:
    """{run: {path: tps}}, or None without PostgreSQL."""
    from tests.fixtures.postgres import PostgresCluster, postgres_bin

    bin_dir = postgres_bin()
    if bin_dir is None:
        return None
    figures: dict[str, dict[str, float]] = {run: {} for run in PGBENCH_RUNS}
    with PostgresCluster(bin_dir) as cluster:
        database = cluster.create_database()
        cluster.pgbench("-i", "-s", "10", "-q", database, database=database).check_returncode()
        world.tell(f"route {PG_HOST} {cluster.port}")
        for run, args in PGBENCH_RUNS.items():
            figures[run]["direct"] = await asyncio.to_thread(
                pgbench_tps, cluster, cluster.port, database, args, seconds)
        for path in PATHS[1:]:
            if path not in paths or (not plugins[path] and path != "built-in"):
                continue
            tunnel = TunnelApp(path, plugins[path], world, env, 1, host=PG_HOST)
            try:
                port = (await tunnel.up())["port"]
                for run, args in PGBENCH_RUNS.items():
                    figures[run][path] = await asyncio.to_thread(pgbench_tps, cluster, port, database, args, seconds)
            finally:
                tunnel.stop()
    return figures


def print_postgres(figures: dict[str, dict[str, float]] | None, seconds: int) -> None:
    if figures is None:
        print("PostgreSQL: not installed (apt package postgresql): no pgbench figures")
        return
    print(f"\nPostgreSQL (a real cluster; pgbench for {seconds} s each, scale 10): tps, and ÷ direct")
    print(row("figure", list(PATHS)))
    for run, tps in figures.items():
        print(row(run, [f"{tps[p]:.0f}" if p in tps else "—" for p in PATHS]))
        print(row("  ÷ direct", [f"{tps[p] / tps['direct']:.2f}" if p in tps else "—" for p in PATHS]))


def row(label: str, values: list[str]) -> str:
    return f"{label:<52}" + "".join(f"{v:>12}" for v in values)


BULK_GOAL_MBPS = 25.0  # issue 23: the built-in data channel's bulk throughput, one connection
PGBENCH_GOAL = 0.3  # issue 23: pgbench -S tps through the built-in backend ÷ direct


def goal_lines(builtin_mbps: float | None, postgres: dict[str, dict[str, float]] | None) -> list[str]:
    """Issue 23's goals for the built-in backend: figure, floor, ratio against the goal, met or not."""
    lines = []
    if builtin_mbps is not None:
        ratio = builtin_mbps / BULK_GOAL_MBPS
        met = "met" if ratio >= 1 else "MISSED"
        lines.append(f"goal (issue 23) bulk throughput: built-in {builtin_mbps:.1f} MB/s, floor (the goal) "
                     f"{BULK_GOAL_MBPS:g} MB/s, ratio {ratio:.2f} of it (goal ≥ 1: {met})")
    tps = (postgres or {}).get("pgbench -S, 4 clients (tps)", {})
    if "built-in" in tps and tps.get("direct"):
        ratio = tps["built-in"] / tps["direct"]
        lines.append(f"goal (issue 23) pgbench -S: built-in {tps['built-in']:.0f} tps, floor (direct) "
                     f"{tps['direct']:.0f} tps, ratio {ratio:.2f}× (goal ≥ {PGBENCH_GOAL:g}×: "
                     f"{'met' if ratio >= PGBENCH_GOAL else 'MISSED'})")
    return lines


def verdict(name: str, unit: str, builtin: float, floor: float, goal: float, higher_is_better: bool) -> str:
    ratio = builtin / floor if floor else float("inf")
    met = ratio >= goal if higher_is_better else ratio <= goal
    sign = "≥" if higher_is_better else "≤"
    return (f"{name}: built-in {builtin:.2f} {unit}, floor (AWS plugin) {floor:.2f} {unit}, ratio {ratio:.2f}× "
            f"(goal {sign} {goal:g}×: {'met' if met else 'MISSED'})")


async def main(options: argparse.Namespace) -> None:
    home = Path(tempfile.mkdtemp(prefix="vouch-bench-"))
    (home / "config").write_text("[profile bench]\nregion = eu-west-1\n")
    (home / "credentials").write_text("[bench]\naws_access_key_id = x\naws_secret_access_key = x\n")
    env = dict(os.environ, AWS_CONFIG_FILE=str(home / "config"), AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
               PYTHONPATH=str(ROOT))
    from vouch_desktop.demo.fake_tools import fake_plugin_path

    aws_plugin = find_aws_plugin()
    plugins = {"demo relay": str(fake_plugin_path()), "AWS plugin": aws_plugin or "", "built-in": ""}
    world = World(env)
    env["AWS_ENDPOINT_URL"] = world.info["endpoint"]
    results: dict[str, Figures] = {}
    try:
        echo = world.echo_port
        results["direct"] = Figures(mbps=await throughput(echo, options.seconds),
                                    parallel_mbps=await throughput(echo, options.seconds, 8),
                                    round_trip_ms=await round_trip(echo, options.round_trips),
                                    connect_ms=await connect_round_trip(echo, options.connects))
        for path in PATHS[1:]:
            if path not in options.paths:
                continue
            if path == "AWS plugin" and not aws_plugin:
                print("AWS's session-manager-plugin not found: its column is empty")
                continue
            try:
                results[path] = await measure_path(path, plugins[path], world, env, options)
            except (OSError, asyncio.IncompleteReadError) as exc:
                raise SystemExit(f"{path}: the connection failed: {exc!r}") from exc
        postgres = await measure_postgres(world, env, plugins, options.pgbench_seconds, options.paths) \
            if options.pgbench_seconds else None
    finally:
        world.stop()

    def column(getter, fmt: str, skip: tuple[str, ...] = ()) -> list[str]:
        return ["—" if path in skip or path not in results else format(getter(results[path]), fmt) for path in PATHS]

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
          f"Python {sys.version.split()[0]}, {sys.platform}; {options.seconds:g} s a throughput figure; "
          f"the fake agent's 1 ms read pause off unless said")
    print(row("figure", list(PATHS)))
    print(row("throughput, 1 connection echoed (MB/s)", column(lambda f: f.mbps, ".1f")))
    print(row("CPU of the tunnel's processes per MB echoed (ms)",
              column(lambda f: f.cpu_ms_per_mb, ".0f", skip=("direct",))))
    print(row("CPU of the fake agent's process per MB echoed (ms)",
              column(lambda f: f.agent_cpu_ms_per_mb, ".0f", skip=("direct", "demo relay"))))
    print(row("throughput, 8 connections echoed (MB/s, all together)", column(lambda f: f.parallel_mbps, ".1f")))
    print(row(f"1-byte round trip, open connection (ms, median of {options.round_trips})",
              column(lambda f: f.round_trip_ms, ".3f")))
    print(row(f"connect + 1-byte round trip (ms, median of {options.connects})", column(lambda f: f.connect_ms, ".3f")))
    print(row(f"tunnel start: StartSession → port accepting (ms, median of {options.starts})",
              column(lambda f: f.start_ms, ".0f", skip=("direct",))))
    print(row("throughput with the agent's 1 ms pause per 1 KB (MB/s)",
              column(lambda f: f.paced_mbps, ".2f", skip=("direct", "demo relay"))))
    if "AWS plugin" in results:
        builtin, plugin = results["built-in"], results["AWS plugin"]
        print(verdict("throughput", "MB/s", builtin.mbps, plugin.mbps, 5, True))
        print(f"CPU per MB echoed: built-in {builtin.cpu_ms_per_mb:.0f} ms, AWS plugin {plugin.cpu_ms_per_mb:.0f} ms, "
              f"ratio {builtin.cpu_ms_per_mb / plugin.cpu_ms_per_mb:.2f}× (no goal: what the figures above cost)")
        print(verdict("8 connections", "MB/s", builtin.parallel_mbps, plugin.parallel_mbps, 5, True))
        print(verdict("1-byte round trip", "ms", builtin.round_trip_ms, plugin.round_trip_ms, 1, False))
        print(verdict("connect + round trip", "ms", builtin.connect_ms, plugin.connect_ms, 1, False))
        print(verdict("tunnel start", "ms", builtin.start_ms, plugin.start_ms, 1, False))
    if options.pgbench_seconds:
        print_postgres(postgres, options.pgbench_seconds)
    print()
    for line in goal_lines(results["built-in"].mbps if "built-in" in results else None,
                           postgres if options.pgbench_seconds else None):
        print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each throughput figure")
    parser.add_argument("--round-trips", type=int, default=500)
    parser.add_argument("--connects", type=int, default=200)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--pgbench-seconds", type=int, default=10, help="0: no PostgreSQL figures")
    parser.add_argument("--only", action="append", choices=["relay", "plugin", "builtin"],
                        help="measure only these paths beside direct (repeatable; default: all)")
    parser.add_argument("--host", default=DB_HOST, help=argparse.SUPPRESS)
    parser.add_argument("--world", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--echo", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tunnel", help=argparse.SUPPRESS)
    parser.add_argument("--plugin", default="", help=argparse.SUPPRESS)
    parser.add_argument("--bastion", help=argparse.SUPPRESS)
    options = parser.parse_args()
    only = {"relay": "demo relay", "plugin": "AWS plugin", "builtin": "built-in"}
    options.paths = tuple(only[o] for o in options.only) if options.only else PATHS
    if options.echo:
        serve_echo()
    elif options.world:
        serve_world(options.world)
    elif options.tunnel:
        asyncio.run(serve_tunnel(options.tunnel, options.plugin, options.bastion, options.starts, options.host))
    else:
        asyncio.run(main(options))
