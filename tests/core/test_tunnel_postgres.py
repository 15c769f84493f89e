"""A real PostgreSQL behind the tunnels (issue 15): psql round trips a table through both backends, and a
pgbench run keeps getting new connections after the plugin is killed under it."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import os
import random
import signal
import subprocess
import time

import pytest

from tests.core.test_tunnels import Spec, bastion, make_manager, wait_state
from vouch_desktop.core.tunnels.manager import Backoff
from vouch_desktop.core.tunnels.state import TunnelState

RDS_HOST = "orders-db.c9akciq32.eu-west-1.rds.amazonaws.com"


@pytest.fixture
def rds_route(postgres, aws_env, fake_aws):
    """The demo RDS endpoint routed to the real cluster; a bastion to reach it through."""
    fake_aws.add_route(RDS_HOST, 5432, ("127.0.0.1", postgres.port))
    return fake_aws, bastion(fake_aws)


def table_rows(count: int) -> list[tuple[int, str]]:
    """Rows that exercise the bytes: quotes, commas, new lines, backslashes, non-ASCII, empty and long values."""
    rng = random.Random(15)
    alphabet = "abcdefghijklmnopqrstuvwxyz ,\"'\n\\é漢🙂"
    return [(n, "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))) for n in range(count)]


def as_csv(rows: list[tuple[int, str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC).writerows(rows)  # "" stays "", not NULL
    return out.getvalue()


CHECKSUM = "SELECT count(*) || ' ' || md5(string_agg(id || ':' || body, ',' ORDER BY id)) FROM roundtrip"
COPY_OUT = r"\copy (SELECT * FROM roundtrip ORDER BY id) TO STDOUT WITH (FORMAT csv)"


@pytest.mark.parametrize("backend", ["plugin", "builtin"])
def test_psql_round_trips_a_table_through_the_tunnel(postgres, rds_route, demo_plugin_path, backend, reliability):
    fake_aws, target = rds_route
    database = postgres.create_database()
    rows = table_rows(20_000)

    async def scenario():
        manager, _ = make_manager(demo_plugin_path, backend=lambda: backend)
        await manager.start(Spec("orders", target, remote_host=RDS_HOST))
        status = await wait_state(manager, "orders", TunnelState.UP)

        def through(*args, **kwargs):
            return postgres.psql(*args, port=status.local_port, database=database, **kwargs).stdout

        try:
            await asyncio.to_thread(through, "-c", "CREATE TABLE roundtrip (id int PRIMARY KEY, body text NOT NULL)")
            await asyncio.to_thread(through, "-c", r"\copy roundtrip FROM STDIN WITH (FORMAT csv)", input=as_csv(rows))
            return await asyncio.to_thread(through, "-c", COPY_OUT), await asyncio.to_thread(through, "-c", CHECKSUM)
        finally:
            await manager.stop_all()

    back, tunnelled = asyncio.run(scenario())
    sent = hashlib.md5(",".join(f"{n}:{body}" for n, body in rows).encode()).hexdigest()
    assert tunnelled == postgres.psql("-c", CHECKSUM, database=database).stdout == f"20000 {sent}\n"
    assert back == postgres.psql("-c", COPY_OUT, database=database).stdout  # every byte, as read directly
    reliability(backend=backend, rows=len(rows), bytes_each_way=len(back.encode()), checksums_equal=True)


def transactions_done(log_prefix: str) -> list[tuple[float, float]]:
    """When each pgbench transaction began and ended (epoch seconds), from its per-transaction logs (-l):
    with -C, a transaction begins with its connection."""
    folder, stem = os.path.split(log_prefix)
    spans = []
    for name in os.listdir(folder):
        if name.startswith(stem + "."):
            with open(os.path.join(folder, name)) as log:
                for line in log:  # client_id transaction_no latency_us script_no epoch_s epoch_us [lag]
                    fields = line.split()
                    if len(fields) >= 6 and fields[2] not in ("failed", "skipped"):
                        end = int(fields[4]) + int(fields[5]) / 1e6
                        spans.append((end - int(fields[2]) / 1e6, end))
    return sorted(spans)


def test_pgbench_gets_new_connections_after_the_plugin_is_killed_under_it(postgres, rds_route, demo_plugin_path,
                                                                         tmp_path, reliability):
    """A connection per transaction (-C), at a steady rate, for 12 s; the plugin is killed after 4 s. Clients
    whose transaction or connection falls into the gap abort (pgbench does not retry a connection);
    the others' new connections succeed again once the tunnel is back."""
    fake_aws, target = rds_route
    database = postgres.create_database()
    postgres.pgbench("-i", "-s", "1", "-q", database, database=database).check_returncode()
    log_prefix = str(tmp_path / "pgbench")
    clients, rate, seconds = 40, 10, 12  # each client connects every 4 s on average: most miss the gap

    async def scenario():
        manager, events = make_manager(demo_plugin_path, backend=lambda: "plugin", backoff=Backoff())
        await manager.start(Spec("orders", target, remote_host=RDS_HOST))
        status = await wait_state(manager, "orders", TunnelState.UP)
        bench = await asyncio.create_subprocess_exec(
            *postgres.tool("pgbench", "-C", "-S", "-c", str(clients), "-j", "2", "-R", str(rate), "-T", str(seconds),
                           "--no-vacuum", "-l", "--log-prefix", log_prefix, database, port=status.local_port),
            env=postgres.client_env(database), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            await asyncio.sleep(4)
            os.kill(manager.pids()[0], signal.SIGKILL)
            killed = time.time()
            out, err = await asyncio.wait_for(bench.communicate(), seconds + 60)
            after = await wait_state(manager, "orders", TunnelState.UP)
        finally:
            if bench.returncode is None:
                bench.kill()
                await bench.wait()
            await manager.stop_all()
        return killed, bench.returncode, out.decode(), err.decode(), after, [k for k, _ in events]

    killed, code, out, err, after, kinds = asyncio.run(scenario())
    done = transactions_done(log_prefix)
    before = [end for begin, end in done if end < killed]
    later = [end for begin, end in done if begin > killed]  # a new connection after the drop
    aborted = err.count("aborted")
    reliability(transactions_before_the_kill=len(before), transactions_begun_after_the_kill=len(later),
                clients=clients, clients_aborted=aborted,
                first_new_connection_done_after_the_kill_s=round(later[0] - killed, 2) if later else None)
    assert code in (0, 2), err  # 2: some clients aborted in the gap
    assert before and later, (out, err)
    assert aborted < clients, err  # the others ran on through the drop
    assert later[-1] > killed + seconds / 2  # they kept connecting to the end of the run, not only just after
    assert after.state is TunnelState.UP and "tunnel_failure" not in kinds
    assert kinds.index("tunnel_drop") < kinds.index("tunnel_recovered")
