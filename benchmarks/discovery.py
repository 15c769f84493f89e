"""Discovery against a fast AWS: 5,000 instances over 3 regions to a complete list in the instance window,
the longest stall of the UI thread meanwhile, and a common account's (200 instances) first list.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/discovery.py [--instances 5000] [--compare DIR]
Goals (issue 23): 5,000 instances listed ≤ 2 s, longest UI-thread stall ≤ 50 ms, and a 20–200-instance
account's first list no slower than before.

The fake AWS (moto, in a process of its own) is seeded once and its answers recorded by ``FastAws``
(benchmarks/fast_aws.py): every measured run is served from memory (same XML, same pages), so what is
measured is the app, not moto. Each run is a fresh process, as the app does it: the submenu with
"Browse instances…" opens (which starts the discovery worker), the click comes 0.3 s later, and from the
window opening to the complete list in it is measured, each region shown as soon as it is done; also with
nothing warmed first. An earlier version without the worker loaded AWS's models when the menu opened
(not measured).
``--compare DIR`` runs an earlier checkout's code against the same recorded answers, in turns with this one.
The floor: fetching the same pages without doing anything with them (plain HTTP, three regions at once).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGIONS = ["eu-west-1", "us-east-1", "eu-central-1"]
PREWARM = 0.3  # from the submenu opening (which starts the discovery worker) to the click on "Browse instances…"
SERVER = """
import os, sys, threading
from concurrent.futures import ThreadPoolExecutor
os.nice(19)  # AWS runs elsewhere: its stand-in yields the CPU
from vouch_desktop.demo.fake_aws import MANAGED_TAG, FakeAws
aws = FakeAws().start()
REGIONS, total = sys.argv[1].split(","), int(sys.argv[2])

def launch(region, count):  # one instance per reservation, as an Auto Scaling group launches them, so that
    ec2 = aws.client("ec2", region)  # moto (which pages DescribeInstances by reservation) pages as AWS does
    for _ in range(count):
        ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": f"node-{region}"},
                                                  {"Key": MANAGED_TAG, "Value": "online"}]}])
counts = [total // len(REGIONS) + (1 if n < total % len(REGIONS) else 0) for n in range(len(REGIONS))]
with ThreadPoolExecutor(len(REGIONS)) as pool:
    list(pool.map(launch, REGIONS, counts))
print(aws.port, flush=True)
threading.Event().wait()
"""


# ---------------------------------------------------------------- one measured run (a process of its own)
def patient(discovery: object, sessions: type) -> None:
    """For the recording run only: moto may take longer than the app's time-outs to render a page."""
    across = getattr(discovery, "across_regions", None)
    if across is not None and across.__defaults__:
        across.__defaults__ = (*across.__defaults__[:-1], 3600.0)  # the silence limit

    def create_client(session: object, service: str, region: str, config: object) -> object:
        from botocore.config import Config

        return session.create_client(service, region_name=region,  # type: ignore[attr-defined]
                                     config=Config(read_timeout=3600, retries={"max_attempts": 1}))

    sessions._create_client = staticmethod(create_client)  # type: ignore[attr-defined]


def child(endpoint: str, total: int) -> None:
    source = os.environ["VOUCH_BENCH_SOURCE"]
    sys.path.insert(0, source)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    import asyncio

    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from vouch_desktop.core.aws import discovery
    from vouch_desktop.core.aws.discovery import InstanceDiscovery
    from vouch_desktop.core.aws.sessions import AwsSessions
    from vouch_desktop.ui.controller import freeze_long_lived
    from vouch_desktop.ui.windows.instance_browser import InstanceBrowser

    if os.environ.get("VOUCH_BENCH_RECORDING"):
        patient(discovery, AwsSessions)

    async def run() -> dict:
        browser = InstanceBrowser(refresh=lambda: None, connect=print, save_profile=print, open_ssh=print,
                                  ssh_user=lambda i: "")
        browser.show()
        gaps, last = [], [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(tick)
        timer.start()
        sessions = AwsSessions()
        # this version lists in a worker process (but records in its own process, where ``patient`` applies:
        # the requests are the same)
        worker = hasattr(InstanceDiscovery, "hold") and not os.environ.get("VOUCH_BENCH_RECORDING")
        if worker:
            from vouch_desktop.core.aws.discovery_worker import DiscoveryWorker
            from vouch_desktop.core.system.processes import ProcessRegistry

            discovery = InstanceDiscovery(sessions, DiscoveryWorker(ProcessRegistry()))
        else:  # as the earlier version did when its menu first opened: load the models (not measured)
            await asyncio.to_thread(sessions.warm_up, ("ssm", "ec2"))
            discovery = InstanceDiscovery(sessions)
        freeze_long_lived()
        await asyncio.sleep(0.3)
        prewarm = float(os.environ.get("VOUCH_BENCH_PREWARM", "0"))
        if worker and prewarm:  # the submenu with "Browse instances…" opens; the click follows a moment later
            discovery.warm()
            await asyncio.sleep(prewarm)
        idle_stall = max(gaps) - 0.005  # the timer's own jitter with nothing to do: the stall floor
        gaps.clear()
        shown: list[asyncio.Future] = []
        started, cpu = time.perf_counter(), time.process_time()
        browser.set_loading(True)  # as InstanceWindows.load_instances does
        if worker:
            discovery.hold()  # the instance window opens (and holds the worker, started now if not yet)
        result = await discovery.discover(
            "bench", REGIONS, on_region=lambda region, instances, failure: shown.append(
                asyncio.ensure_future(browser.show_region(region, instances, failure))))
        listed, listed_cpu = time.perf_counter() - started, time.process_time() - cpu
        list_stall = max(gaps) - 0.005
        await asyncio.gather(*shown)
        browser.set_loading(False)
        browser.finish_regions(result)
        complete = time.perf_counter() - started
        await asyncio.sleep(0.1)
        timer.stop()
        helper = 0.0
        if worker and discovery.worker.process is not None:
            status = Path(f"/proc/{discovery.worker.process.pid}/status").read_text()
            helper = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")) / 1024
            await discovery.worker.stop()
        return {"worker_mb": helper, "listed": listed, "listed_cpu": listed_cpu, "complete": complete,
                "stall": max(gaps) - 0.005, "list_stall": list_stall, "idle_stall": idle_stall,
                "count": len(result.instances), "rows": browser.model.rowCount(),
                "failures": [f.message for f in result.failures]}

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("vouch-desktop discovery benchmark")
    figures = qasync.run(run())
    print("RESULT " + json.dumps(figures), flush=True)
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: PySide6 objects torn down out of order can crash it


def measure(source: Path, endpoint: str, total: int, env: dict, recording: bool = False,
            prewarm: float = PREWARM) -> dict:
    env = dict(env, VOUCH_BENCH_SOURCE=str(source), VOUCH_BENCH_RECORDING="1" if recording else "",
               VOUCH_BENCH_PREWARM=str(prewarm))
    output = subprocess.run([sys.executable, __file__, "--child", endpoint, str(total)], capture_output=True,
                            text=True, timeout=3600, env=dict(env, PYTHONPATH=str(source)), cwd=source)
    lines = [line for line in output.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        raise RuntimeError(f"the measured run failed:\n{output.stdout}\n{output.stderr}")
    figures = json.loads(lines[-1][len("RESULT "):])
    if figures["failures"] or figures["count"] != total or figures["rows"] != total:
        raise RuntimeError(f"incomplete list: {figures}")
    return figures


# ---------------------------------------------------------------- the fake AWS and its recording
class World:
    """A fake AWS seeded with ``total`` instances, behind a recording FastAws."""

    def __init__(self, total: int, env: dict) -> None:
        from benchmarks.fast_aws import FastAws

        self.total = total
        self.server = subprocess.Popen([sys.executable, "-c", SERVER, ",".join(REGIONS), str(total)],
                                       stdout=subprocess.PIPE, text=True, env=env)
        assert self.server.stdout is not None
        self.fast = FastAws(f"http://127.0.0.1:{int(self.server.stdout.readline())}").start()

    def forwarded(self) -> int:
        return self.fast.stats()["forwarded"]

    def stop(self) -> None:
        self.fast.stop()
        self.server.kill()
        self.server.wait()
        if self.server.stdout is not None:
            self.server.stdout.close()


def fetch_floor(world: World) -> float:
    """The recorded pages fetched as the app fetches them (three regions at once, one page after the other),
    their bytes read and nothing more."""
    requests = world.fast.recorded()

    def region(name: str) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", world.fast.port, timeout=60)
        for method, path, headers, body in (r[1:] for r in requests if r[0] == name):
            connection.request(method, path, body, headers)
            connection.getresponse().read()
        connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(len(REGIONS)) as pool:
        list(pool.map(region, REGIONS))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--instances", type=int, default=5000)
    parser.add_argument("--small", type=int, default=200, help="the common account's size (its first list)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", type=Path, metavar="DIR", help="also run an earlier checkout's code")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child[0], int(options.child[1]))
        return 0
    sys.path.insert(0, str(ROOT))
    from benchmarks.goals import Goal, bytecode_as_installed, machine_load, print_goals

    home = Path(tempfile.mkdtemp(prefix="vouch-bench-"))
    (home / "config").write_text("[profile bench]\nregion = eu-west-1\n")
    (home / "credentials").write_text("[bench]\naws_access_key_id = x\naws_secret_access_key = x\n")
    env = dict(os.environ, AWS_CONFIG_FILE=str(home / "config"), AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
               PYTHONPATH=str(ROOT), QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    bytecode_as_installed(env, str(home / "pycache"))  # also the discovery worker's
    sources = {"app": ROOT} | ({"before": options.compare.resolve()} if options.compare else {})
    started = time.perf_counter()
    big, small = World(options.instances, env), World(options.small, env)
    try:
        print(f"seeded {options.instances} and {options.small} instances in {time.perf_counter() - started:.0f} s "
              "(not measured)", flush=True)
        for source in sources.values():  # each version's requests recorded once (from moto: slow, not measured)
            measure(source, big.fast.endpoint_url, big.total, env, recording=True)
            measure(source, small.fast.endpoint_url, small.total, env, recording=True)
        recorded = (big.forwarded(), small.forwarded())
        print(f"recorded {recorded[0]} + {recorded[1]} answers ({big.fast.stats()['bytes'] / 1e6:.1f} MB for "
              f"{options.instances} instances); from now on served from memory", flush=True)
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; {machine_load()}", flush=True)
        runs: dict[str, dict[str, list[dict]]] = {name: {"big": [], "small": [], "cold": []} for name in sources}
        floors = []
        for _ in range(options.rounds):
            floors.append(fetch_floor(big))
            for name, source in sources.items():
                runs[name]["big"].append(measure(source, big.fast.endpoint_url, big.total, env))
                runs[name]["small"].append(measure(source, small.fast.endpoint_url, small.total, env))
            # the window opened without its submenu first (nothing warmed the worker)
            runs["app"]["cold"].append(measure(ROOT, small.fast.endpoint_url, small.total, env, prewarm=0))
        if (big.forwarded(), small.forwarded()) != recorded:
            raise RuntimeError("a measured run asked the fake itself: its requests differ from the recorded ones")
    finally:
        big.stop()
        small.stop()

    def median(name: str, world: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[name][world])

    print(f"{'':8}{'instances':>10}{'listed':>9}{'in window':>11}{'CPU':>8}{'stall':>8}{'stall listing':>15}"
          f"{'worker RSS':>12}   (medians of {options.rounds}; s, s, s of the app's process, ms, ms, MB)")
    for name in sources:
        for world, count in (("big", options.instances), ("small", options.small)):
            print(f"{name:8}{count:>10}{median(name, world, 'listed'):>9.2f}{median(name, world, 'complete'):>11.2f}"
                  f"{median(name, world, 'listed_cpu'):>8.2f}{median(name, world, 'stall') * 1000:>8.0f}"
                  f"{median(name, world, 'list_stall') * 1000:>15.0f}{median(name, world, 'worker_mb'):>12.1f}")
    print(f"app, {options.small} instances with nothing warmed first (the window opened without its submenu): "
          f"{median('app', 'cold', 'complete'):.2f} s in the window")
    floor = statistics.median(floors)
    idle_stall = median("app", "big", "idle_stall") * 1000
    print(f"floor: the same pages fetched in {floor:.2f} s; the timer's stall with nothing to do {idle_stall:.0f} ms")
    print(f"load after: {machine_load()}")
    many = f"{options.instances:,} instances"
    goals = [Goal(f"{many} over 3 regions, complete in the window", median("app", "big", "complete"), "s", 2.0,
                  floor, "the same pages fetched, not parsed", relative=False),
             Goal(f"longest UI-thread stall, {many}", median("app", "big", "stall") * 1000, "ms", 50, idle_stall,
                  "the timer's stall, idle", relative=False, digits=0)]
    if "before" in sources:
        goals.append(Goal(f"first list of a {options.small}-instance account, complete in the window, against before",
                          median("app", "small", "complete"), "s", 1.0, median("before", "small", "complete"),
                          "before", digits=2))
    print_goals(goals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
