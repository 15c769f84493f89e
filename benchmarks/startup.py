"""Start-up time, idle memory and idle wake-ups of the app against a bare PySide6 tray icon (the floor).

Needs a display with a system tray:   scripts/with-desktop .venv/bin/python benchmarks/startup.py
``--frozen dist/vouch-desktop/vouch-desktop`` also measures a PyInstaller build (scripts/build-linux does);
``--compare DIR`` also measures the app from another source checkout (an earlier version), in the same run.
Goals (issues 9, 23): the icon ≤ 1.5× the floor's time, ready ≤ 2×, idle memory ≤ 1.3×, in use ≤ 2×,
≤ 1 wake-up per second idle.

The app starts as a user's would: with a saved settings file and an AWS profile that uses Vouch. Idle
memory is taken before anyone touches the icon; "in use" after its menu has been opened once (a second
launch opens it), which prepares the first instance list. The machine may be shared: the bare icon and
the app run in turns (round after round), so that both meet the same load, and besides wall time each
start's CPU time (every thread's, from /proc/PID/task/*/schedstat) is given, which load changes less.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.goals import Goal, bytecode_as_installed, machine_load, print_goals  # noqa: E402

BARE = """
import sys
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon
app = QApplication(sys.argv)
pixmap = QPixmap(22, 22); pixmap.fill()
icon = QSystemTrayIcon(QIcon(pixmap)); menu = QMenu(); menu.addAction("Quit").triggered.connect(app.quit)
icon.setContextMenu(menu); icon.show()
print("vouch-desktop: icon shown", flush=True)
print("vouch-desktop: ready", flush=True)
app.exec()
"""
FIGURES = ("icon", "ready", "ready_cpu", "rss_mb", "in_use_mb", "helper_mb", "wakeups")


def status_field(pid: int, name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


def children_rss_kb(pid: int) -> int:
    """The resident memory of the app's helper processes (a discovery worker), whose memory is the app's too."""
    total = 0
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        for child_pid in child.read_text().split():
            with contextlib.suppress(OSError, ValueError):  # gone meanwhile
                total += status_field(int(child_pid), "VmRSS")
    return total


def cpu_seconds(pid: int) -> float:
    """CPU time of every thread of the process so far (nanoseconds in schedstat's first field)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, IndexError, ValueError):  # a thread that ended meanwhile
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def wakeups(pid: int) -> int:
    """Context switches of every thread: each timer or I/O wake-up is one."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "status").read_text()
        total += sum(int(line.split()[1]) for line in text.splitlines()
                     if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")))
    return total


def run_once(argv: list[str], env: dict, idle_seconds: float, app: bool) -> dict[str, float]:
    start = time.perf_counter()
    # from the source folder it is to run: `python -m` looks in the current folder first, before PYTHONPATH
    cwd = env.get("PYTHONPATH") or None
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    icon = ready = ready_cpu = 0.0
    assert proc.stdout is not None
    for line in proc.stdout:
        if "icon shown" in line:
            icon = time.perf_counter() - start
        if "ready" in line:
            ready = time.perf_counter() - start
            ready_cpu = cpu_seconds(proc.pid)
            break
    time.sleep(2)  # let start-up work settle
    rss = status_field(proc.pid, "VmRSS")
    before = wakeups(proc.pid)
    time.sleep(idle_seconds)
    rate = (wakeups(proc.pid) - before) / idle_seconds
    in_use = helper = 0
    if app:  # a second launch opens the running app's menu
        subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30,
                       check=True)
        time.sleep(3)
        in_use = status_field(proc.pid, "VmRSS")
        helper = children_rss_kb(proc.pid)
    proc.terminate()
    proc.wait(timeout=30)
    proc.stdout.close()
    return {"icon": icon, "ready": ready, "ready_cpu": ready_cpu, "rss_mb": rss / 1024, "in_use_mb": in_use / 1024,
            "helper_mb": helper / 1024, "wakeups": rate}


def a_native_speed_vouch(home: str, env: dict) -> None:
    """vouch as fast as the real CLI, a native program, answers ``status`` (a few ms): the demo's fake is a
    Python script that takes 50-80 ms here, and start-up reads the state while it loads, so the fake's own
    start would be measured instead of the app. As the discovery benchmark records the fake AWS, the fake's
    answer to ``vouch status --format json`` is recorded once, for this home, and replayed by a /bin/sh
    script; anything else is the fake itself. Its folder goes first on ``env``'s PATH."""
    fake = ROOT / "vouch_desktop" / "demo" / "bin" / "vouch"
    folder = Path(home) / "bin"
    folder.mkdir()
    status = ["status", "--format", "json"]
    recorded = subprocess.run([sys.executable, str(fake), *status], env=env, capture_output=True, check=True).stdout
    (folder / "status.json").write_bytes(recorded)
    launcher = folder / "vouch"
    answer, python = shlex.quote(str(folder / "status.json")), shlex.quote(sys.executable)
    launcher.write_text(f'#!/bin/sh\nif [ "$*" = {shlex.quote(" ".join(status))} ]; then exec cat {answer}; fi\n'
                        f'exec {python} {shlex.quote(str(fake))} "$@"\n')
    launcher.chmod(0o755)
    assert subprocess.run([str(launcher), *status], env=env, capture_output=True, check=True).stdout == recorded
    env["PATH"] = f"{folder}:{env['PATH']}"


def a_users_home(env: dict) -> None:
    """Saved settings (two regions, the profile) and the profile in ~/.aws/config, as after `vouch setup aws`."""
    config = Path(env["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True)
    config.write_text("[profile vouch]\nregion = eu-west-1\n"
                      "credential_process = vouch credential aws --role arn:aws:iam::123456789012:role/dev\n")
    code = ("from vouch_desktop.core.system.paths import AppPaths; from vouch_desktop.core.storage.settings import *; "
            "SettingsStore(AppPaths.default().ensure()).save(Settings(regions=['eu-west-1', 'us-east-1']))")
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def summary(name: str, runs: list[dict[str, float]]) -> dict[str, float]:
    figures = {key: statistics.median(r[key] for r in runs) for key in FIGURES}
    figures["wakeups"] = runs[0]["wakeups"]  # the first run idles for the full time
    in_use = (f"   in use {figures['in_use_mb']:6.1f} MB (+ helpers {figures['helper_mb']:.1f} MB)"
              if figures["in_use_mb"] else "")
    print(f"{name:<7} icon {figures['icon'] * 1000:5.0f} ms   ready {figures['ready'] * 1000:5.0f} ms "
          f"(CPU {figures['ready_cpu'] * 1000:4.0f} ms)   RSS idle {figures['rss_mb']:5.1f} MB{in_use}   "
          f"idle wake-ups {figures['wakeups']:.2f}/s", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--frozen", metavar="EXECUTABLE", help="also measure this frozen build of the app")
    parser.add_argument("--compare", metavar="DIR", type=Path,
                        help="also measure the app from this source checkout (e.g. the version before a change)")
    options = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        sys.exit("needs a display with a system tray: scripts/with-desktop .venv/bin/python benchmarks/startup.py")
    home = tempfile.mkdtemp(prefix="vouch-bench-home-")
    path = f"{ROOT / 'vouch_desktop/demo/bin'}:{os.environ['PATH']}"
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=f"{home}/.config", XDG_STATE_HOME=f"{home}/.local/state",
               XDG_CACHE_HOME=f"{home}/.cache", XDG_DATA_HOME=f"{home}/.local/share", XDG_RUNTIME_DIR=home,
               PYTHONPATH=str(ROOT), PATH=path,
               VOUCH_DEMO_STATE_DIR=f"{home}/vouch", AWS_CONFIG_FILE=f"{home}/.aws/config")
    a_users_home(env)
    a_native_speed_vouch(home, env)
    bytecode_as_installed(env, f"{home}/pycache")
    subjects: list[tuple[str, list[str], dict, bool]] = [("bare", [sys.executable, "-c", BARE], env, False),
                                                         ("app", [sys.executable, "-m", "vouch_desktop"], env, True)]
    if options.compare:
        subjects.append(("compare", [sys.executable, "-m", "vouch_desktop"],
                         dict(env, PYTHONPATH=str(options.compare.resolve())), True))
    if options.frozen:
        subjects.append(("frozen", [options.frozen], env, True))
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; median of {options.runs} runs in turns; "
          f"wake-ups over {options.idle_seconds:g} s idle; {machine_load()}", flush=True)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name, *_ in subjects}
    for _name, argv, subject_env, _app in subjects:  # not measured: bytecode written, files in the page cache
        run_once(argv, subject_env, 0.1, False)
    for round_number in range(options.runs):
        for name, argv, subject_env, app in subjects:
            runs[name].append(run_once(argv, subject_env, options.idle_seconds if round_number == 0 else 0.5, app))
    figures = {name: summary(name if name != "compare" else "before", runs[name]) for name in runs}
    floor, app = figures["bare"], figures["app"]
    for other in ("compare", "frozen"):
        if other in figures:
            print(f"ratios {other}/bare: icon {figures[other]['icon'] / floor['icon']:.2f}×, "
                  f"ready {figures[other]['ready'] / floor['ready']:.2f}× (CPU "
                  f"{figures[other]['ready_cpu'] / floor['ready_cpu']:.2f}×), "
                  f"memory idle {figures[other]['rss_mb'] / floor['rss_mb']:.2f}×, "
                  f"in use {figures[other]['in_use_mb'] / floor['rss_mb']:.2f}×")
    print(f"load after: {machine_load()}")
    print(f"ready, CPU time: app {app['ready_cpu'] * 1000:.0f} ms, bare {floor['ready_cpu'] * 1000:.0f} ms "
          f"= {app['ready_cpu'] / floor['ready_cpu']:.2f}×")
    bare = "bare tray icon"
    print_goals([
        Goal("launch → icon on screen", app["icon"] * 1000, "ms", 1.5, floor["icon"] * 1000, bare, digits=0),
        Goal("launch → ready", app["ready"] * 1000, "ms", 2.0, floor["ready"] * 1000, bare, digits=0),
        Goal("idle memory (RSS)", app["rss_mb"], "MB", 1.3, floor["rss_mb"], bare, digits=1),
        Goal("memory in use (RSS, app + helpers)", app["in_use_mb"] + app["helper_mb"], "MB", 2.0, floor["rss_mb"],
             bare, digits=1),
        Goal("idle wake-ups", app["wakeups"], "/s", 1.0, floor["wakeups"], bare, relative=False),
    ])


if __name__ == "__main__":
    main()
