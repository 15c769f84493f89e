"""How soon a tunnel carries new connections again after a drop, with client connections held open
across it (issue 15: goal ≤ 2 s, both backends).

    .venv/bin/python benchmarks/tunnel_reconnect.py [--rounds 5]

The app's real path: TunnelManager → StartSession (fake AWS) → the demo's session-manager-plugin (a
process) or the built-in backend (the data channel to the fake SSM agent) → an echo server. Each round:
the tunnel is up and in use for a while, three clients hold connections open and three more close
theirs right after the drop (FIN-WAIT / TIME-WAIT on the tunnel's port); then the carrier is killed (the
plugin with SIGKILL, the built-in's websocket cut) or the service ends the session; measured: from the
drop to the first new connection that carries a round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.goals import Goal, machine_load, print_goals  # noqa: E402
from benchmarks.tunnel_throughput import Spec  # noqa: E402
from vouch_desktop.core.aws.sessions import AwsSessions  # noqa: E402
from vouch_desktop.core.system.processes import ProcessRegistry  # noqa: E402
from vouch_desktop.core.tunnels.manager import TunnelManager  # noqa: E402
from vouch_desktop.core.tunnels.state import TunnelState  # noqa: E402
from vouch_desktop.demo.echo_server import EchoServer  # noqa: E402
from vouch_desktop.demo.fake_aws import MANAGED_TAG, FakeAws  # noqa: E402
from vouch_desktop.demo.fake_tools import fake_plugin_path  # noqa: E402

GOAL = 2.0


async def round_trip(port: int, payload: bytes) -> bool:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)
    except (OSError, TimeoutError):
        return False
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.readexactly(len(payload)), 2) == payload
    except (OSError, TimeoutError, asyncio.IncompleteReadError):
        return False
    finally:
        writer.close()


async def hold(port: int, count: int) -> list[asyncio.StreamWriter]:
    writers = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"held")
        await writer.drain()
        await reader.readexactly(4)
        writers.append(writer)
    return writers


async def one_round(aws: FakeAws, manager: TunnelManager, name: str, fault: str) -> float:
    while manager.status(name).state is not TunnelState.UP:
        await asyncio.sleep(0.01)
    port = manager.status(name).local_port
    kept, closed = await hold(port, 3), await hold(port, 3)
    await asyncio.sleep(manager.backoff.stable + 0.1)  # in use for a while, as a tunnel is when it drops
    dropped = time.perf_counter()
    restarts = True
    if fault == "session dropped":
        aws.drop_session(aws.active_sessions()[0].session_id)
    elif manager.pids():
        os.kill(manager.pids()[0], signal.SIGKILL)
    else:  # the built-in backend's websocket cut: resumed (same session), the tunnel stays up
        aws.agent.drop_connections()
        restarts = False
    for writer in closed:
        writer.close()
    while restarts and manager.status(name).state is TunnelState.UP:  # the drop noticed (the demo plugin polls)
        await asyncio.sleep(0.005)
    while not await round_trip(port, b"new connection"):
        await asyncio.sleep(0.02)
    took = time.perf_counter() - dropped
    for writer in kept:
        writer.close()
    return took


async def main(rounds: int) -> None:
    home = Path(tempfile.mkdtemp(prefix="vouch-bench-"))
    (home / "config").write_text("[profile bench]\nregion = eu-west-1\n")
    (home / "credentials").write_text("[bench]\naws_access_key_id = x\naws_secret_access_key = x\n")
    os.environ.update(AWS_CONFIG_FILE=str(home / "config"), AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"))
    results: dict[tuple[str, str], list[float]] = {}
    with FakeAws() as aws, EchoServer() as echo:
        os.environ["AWS_ENDPOINT_URL"] = aws.endpoint_url
        bastion = aws.client("ec2").run_instances(
            ImageId="ami-12345678", MinCount=1, MaxCount=1,
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": MANAGED_TAG, "Value": "online"}]}],
        )["Instances"][0]["InstanceId"]
        aws.add_route("db.bench.internal", 5432, echo.address)
        for backend in ("plugin", "builtin"):
            for fault in ("carrier killed", "session dropped"):
                manager = TunnelManager(AwsSessions(), ProcessRegistry(), plugin_path=lambda: str(fake_plugin_path()),
                                        backend=lambda backend=backend: backend)
                name = f"reconnect-{backend}"
                await manager.start(Spec(name, bastion))
                try:
                    results[(backend, fault)] = [await one_round(aws, manager, name, fault) for _ in range(rounds)]
                finally:
                    await manager.stop_all()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {sys.platform}; {rounds} rounds each")
    print(f"{'backend':<10}{'fault':<18}{'median (s)':>12}{'worst (s)':>11}   goal ≤ {GOAL:g} s")
    for (backend, fault), times in results.items():
        worst = max(times)
        print(f"{backend:<10}{fault:<18}{statistics.median(times):>12.2f}{worst:>11.2f}   "
              f"{'met' if worst <= GOAL else 'MISSED'}")
    print(f"load after: {machine_load()}")
    # the goal lines (benchmarks/goals.py): the worst round of each; no floor (nothing without the app recovers)
    print_goals([Goal(f"back after a drop, {backend}, {fault} (worst of {rounds})", max(times), "s", GOAL,
                      relative=False) for (backend, fault), times in results.items()])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main(parser.parse_args().rounds))
