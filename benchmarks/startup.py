"""Start-up time, idle memory and idle wake-ups of the app against a bare PySide6 tray icon (the floor).

Needs a display with a system tray:   scripts/with-desktop .venv/bin/python benchmarks/startup.py
``--frozen dist/vouch-desktop/vouch-desktop`` also measures a PyInstaller build (scripts/build-linux does).
Goals (issue 9): ≤ 1.5× the floor's time to the icon, ≤ 1.3× its memory, ≤ 1 wake-up per second idle.

The app starts as a user's would: with a saved settings file and an AWS profile that uses Vouch. Idle
memory is taken before anyone touches the icon; "in use" after its menu has been opened once (a second
launch opens it), which loads AWS's service models for the first instance list.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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


def status_field(pid: int, name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


def wakeups(pid: int) -> int:
    """Context switches of every thread: each timer or I/O wake-up is one."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "status").read_text()
        total += sum(int(line.split()[1]) for line in text.splitlines()
                     if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")))
    return total


def run_once(argv: list[str], env: dict, idle_seconds: float, app: bool) -> tuple[float, float, int, float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    icon = ready = 0.0
    for line in proc.stdout:
        if "icon shown" in line:
            icon = time.perf_counter() - start
        if "ready" in line:
            ready = time.perf_counter() - start
            break
    time.sleep(2)  # let start-up work settle
    rss = status_field(proc.pid, "VmRSS")
    before = wakeups(proc.pid)
    time.sleep(idle_seconds)
    rate = (wakeups(proc.pid) - before) / idle_seconds
    in_use = 0
    if app:  # a second launch opens the running app's menu
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30, check=True)
        time.sleep(3)
        in_use = status_field(proc.pid, "VmRSS")
    proc.terminate()
    proc.wait(timeout=30)
    proc.stdout.close()
    return icon, ready, rss, rate, in_use


def a_users_home(env: dict) -> None:
    """Saved settings (two regions, the profile) and the profile in ~/.aws/config, as after `vouch setup aws`."""
    config = Path(env["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True)
    config.write_text("[profile vouch]\nregion = eu-west-1\n"
                      "credential_process = vouch credential aws --role arn:aws:iam::123456789012:role/dev\n")
    code = ("from vouch_desktop.core.system.paths import AppPaths; from vouch_desktop.core.storage.settings import *; "
            "SettingsStore(AppPaths.default().ensure()).save(Settings(regions=['eu-west-1', 'us-east-1']))")
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def measure(name: str, argv: list[str], env: dict, runs: int, idle_seconds: float, app: bool = True) -> dict:
    results = [run_once(argv, env, idle_seconds if i == 0 else 0.5, app) for i in range(runs)]
    figures = {"icon": statistics.median(r[0] for r in results), "ready": statistics.median(r[1] for r in results),
               "rss_mb": statistics.median(r[2] for r in results) / 1024, "wakeups": results[0][3],
               "in_use_mb": statistics.median(r[4] for r in results) / 1024}
    in_use = f"   in use {figures['in_use_mb']:6.1f} MB" if figures["in_use_mb"] else ""
    print(f"{name:<6} icon {figures['icon'] * 1000:6.0f} ms   ready {figures['ready'] * 1000:6.0f} ms   "
          f"RSS idle {figures['rss_mb']:6.1f} MB{in_use}   idle wake-ups {figures['wakeups']:.2f}/s")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--frozen", metavar="EXECUTABLE", help="also measure this frozen build of the app")
    options = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        sys.exit("needs a display with a system tray: scripts/with-desktop .venv/bin/python benchmarks/startup.py")
    home = tempfile.mkdtemp(prefix="vouch-bench-home-")
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=f"{home}/.config", XDG_STATE_HOME=f"{home}/.local/state",
               XDG_CACHE_HOME=f"{home}/.cache", XDG_DATA_HOME=f"{home}/.local/share", XDG_RUNTIME_DIR=home,
               PYTHONPATH=str(ROOT), PATH=f"{ROOT / 'vouch_desktop/demo/bin'}:{os.environ['PATH']}",
               VOUCH_DEMO_STATE_DIR=f"{home}/vouch", AWS_CONFIG_FILE=f"{home}/.aws/config")
    a_users_home(env)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; median of {options.runs} runs; "
          f"wake-ups over {options.idle_seconds:g} s idle")
    floor = measure("bare", [sys.executable, "-c", BARE], env, options.runs, options.idle_seconds, app=False)
    app = measure("app", [sys.executable, "-m", "vouch_desktop"], env, options.runs, options.idle_seconds)
    print(f"ratios app/bare: icon {app['icon'] / floor['icon']:.2f}× (goal ≤ 1.5), "
          f"memory {app['rss_mb'] / floor['rss_mb']:.2f}× (goal ≤ 1.3), "
          f"ready {app['ready'] / floor['ready']:.2f}×; idle wake-ups {app['wakeups']:.2f}/s (goal ≤ 1)")
    if options.frozen:
        frozen = measure("frozen", [options.frozen], env, options.runs, options.idle_seconds)
        print(f"ratios frozen/bare: icon {frozen['icon'] / floor['icon']:.2f}×, "
              f"memory {frozen['rss_mb'] / floor['rss_mb']:.2f}×, ready {frozen['ready'] / floor['ready']:.2f}×")


if __name__ == "__main__":
    main()
