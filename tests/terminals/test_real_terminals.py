"""Conformance: every real terminal emulator installed here (CI installs them from Debian: see
scripts/apt-packages.txt) is launched through the app's own launcher (TerminalLauncher + launch_detached,
the way Connect does it) with a hostile title and hostile arguments. The command is a small recorder that
writes the argv it received as JSON: it must be ours byte for byte, and nothing else may have run (no
file made by a `$(…)`, a backtick or a `;`, no variable or folder set through Konsole's profile
settings). With CI set, a terminal listed in apt-packages.txt that is missing fails instead of skipping.

foot needs Wayland: a headless sway (wlroots' headless backend, pixman renderer) is its compositor.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from tests.fixtures.processes import MARK_VARIABLE
from tests.fixtures.real_peers import peer_missing
from vouch_desktop.core.connect.terminals import TerminalLauncher, registry
from vouch_desktop.core.connect.terminals.carrier import HOLD_PROMPT
from vouch_desktop.core.connect.terminals.linux import konsole_title
from vouch_desktop.core.system.detached import launch_detached

pytestmark = pytest.mark.desktop
ROOT = Path(__file__).resolve().parents[2]
# registry id → the Debian package that brings it (those not in Debian 12 are tested where installed)
PACKAGES = {"gnome-terminal": "gnome-terminal", "kgx": "gnome-console", "konsole": "konsole",
            "xfce4-terminal": "xfce4-terminal", "mate-terminal": "mate-terminal", "lxterminal": "lxterminal",
            "qterminal": "qterminal", "tilix": "tilix", "terminator": "terminator", "alacritty": "alacritty",
            "kitty": "kitty", "foot": "foot", "xterm": "xterm"}
TERMINALS = [spec.id for spec in registry("linux")]

RECORDER = """import json, os, sys, time
out, release = sys.argv[1], sys.argv[1] + ".release"
with open(out + ".tmp", "w", encoding="utf-8") as f:
    json.dump({"argv": sys.argv[2:], "cwd": os.getcwd(), "pwned": os.environ.get("VOUCH_PWNED")}, f)
os.replace(out + ".tmp", out)
deadline = time.monotonic() + 60
while not os.path.exists(release) and time.monotonic() < deadline:  # the window stays for the watch
    time.sleep(0.05)
"""


def listed_packages() -> set[str]:
    lines = (ROOT / "scripts" / "apt-packages.txt").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")}


def require(spec_id: str) -> None:
    spec = next(s for s in registry("linux") if s.id == spec_id)
    if shutil.which(spec.executable):
        return
    package = PACKAGES.get(spec_id)
    where = f"apt package {package}" if package else "not packaged in Debian 12"
    peer_missing(f"{spec.executable} is not installed here ({where})", ci_has_it=package in listed_packages())


def hostile_title(folder: Path) -> str:
    return (f"-x it's \"q\" $(touch {folder}/PWNED-1) `touch {folder}/PWNED-2`; x;Environment=VOUCH_PWNED=1;"
            f"Directory={folder}/injected Key=Value %d \\ é")


def hostile_args(folder: Path) -> list[str]:
    return ["a b", "it's", '"dq"', "$HOME", "${HOME}", ";", f";touch {folder}/PWNED-3", "line1\nline2", "",
            "--", "-e", "*", "\\", "~", "-x", f"`touch {folder}/PWNED-4`", f"$(touch {folder}/PWNED-5)", "%d",
            "'", "-T", "--title", "Key=Value", "é ü", "$(", "|", "&&", "#", "!"]


@pytest.fixture(scope="module")
def wayland(tmp_path_factory):
    """A headless Wayland compositor (sway) for foot: the environment that reaches it."""
    if shutil.which("sway") is None:
        peer_missing("sway (a headless Wayland compositor for foot) is not installed here",
                     ci_has_it="sway" in listed_packages())
    # in /tmp itself: as root, sway runs as nobody, who must reach it (pytest's own folders are root's only)
    runtime = Path(tempfile.mkdtemp(prefix="vouch-wayland-"))
    config = runtime / "sway.conf"
    config.write_text("xwayland disable\n")
    config.chmod(0o644)
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), WLR_BACKENDS="headless", WLR_RENDERER="pixman",
               WLR_LIBINPUT_NO_DEVICES="1", HOME=str(runtime))
    for name in ("DISPLAY", "WAYLAND_DISPLAY", MARK_VARIABLE):  # not one test's leftover: it serves them all
        env.pop(name, None)
    argv = ["sway", "-c", str(config)]
    if os.geteuid() == 0:  # sway refuses to run as root: as nobody, in a runtime folder of its own (root still
        os.chown(runtime, 65534, 65534)  # reaches the socket)
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
    log = tmp_path_factory.mktemp("sway") / "sway.log"
    with open(log, "wb") as out:
        sway = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        sockets: list[Path] = []
        while not sockets and time.monotonic() < deadline and sway.poll() is None:
            time.sleep(0.1)
            sockets = [p for p in runtime.glob("wayland-*") if not p.name.endswith(".lock")]
        assert sockets, log.read_text(errors="replace")[-2000:]
        yield {"XDG_RUNTIME_DIR": str(runtime), "WAYLAND_DISPLAY": sockets[0].name}
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(sway.pid, signal.SIGTERM)
        try:
            sway.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(sway.pid, signal.SIGKILL)
            sway.wait()
        shutil.rmtree(runtime, ignore_errors=True)


def close_windows(process_watch, folder: Path) -> None:
    """Let the recorder finish, then wait for its terminal to go (and end what stays: some terminals keep
    running as a server or keep a window after the command)."""
    for release in folder.glob("*.json"):
        release.with_name(release.name + ".release").touch()
    deadline = time.monotonic() + 10
    while process_watch.leftovers() and time.monotonic() < deadline:
        time.sleep(0.1)
    for line in process_watch.leftovers():
        pid = int(line.split()[0])
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(pid, sig)
                psutil.Process(pid).wait(timeout=5)
                break
            except (ProcessLookupError, psutil.NoSuchProcess):
                break
            except psutil.TimeoutExpired:
                continue


# what a window shows for a title: Konsole, Xfce Terminal and GNOME Terminal get look-alikes for the
# characters they would take as settings or %-codes, or cut the title at; GNOME Console (GTK 4) names its
# window only in _NET_WM_NAME, and foot is on Wayland
SHOWN = {"konsole": konsole_title, "xfce4-terminal": lambda t: t.replace("%", "\uff05"),
         "gnome-terminal": lambda t: t.replace(";", "\uff1b")}
UNSEEN = ("kgx", "foot")


def window_names() -> str:
    tree = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, timeout=30).stdout
    return tree.decode("utf-8", "replace")


def wait_for_title(terminal_id: str, title: str, timeout: float = 10) -> None:
    visible = SHOWN.get(terminal_id, lambda t: t)(title.split(" \u00e9")[0])  # xterm names windows in Latin-1
    deadline = time.monotonic() + timeout
    while visible not in window_names():
        assert time.monotonic() < deadline, f"no window titled {visible!r}:\n{window_names()}"
        time.sleep(0.2)


def wait_for(path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.parametrize("terminal_id", TERMINALS)
def test_a_real_terminal_gets_the_exact_argv_and_runs_nothing_else(terminal_id, tmp_path, process_watch, request):
    if terminal_id == "x-terminal-emulator" and shutil.which("x-terminal-emulator") is None:
        pytest.skip("no x-terminal-emulator alternative here")
    if terminal_id != "x-terminal-emulator":
        require(terminal_id)
    env = dict(os.environ, **{MARK_VARIABLE: process_watch.mark})
    if terminal_id == "foot":
        env.update(request.getfixturevalue("wayland"))
    # a short folder: the hostile title names it, and some terminals cut long titles
    folder = Path(tempfile.mkdtemp(prefix="vt-", dir="/tmp"))
    request.addfinalizer(lambda: shutil.rmtree(folder, ignore_errors=True))
    (folder / "injected").mkdir()
    recorder = tmp_path / "record_argv.py"
    recorder.write_text(RECORDER)
    out = folder / "argv.json"
    args = hostile_args(folder)
    plan = TerminalLauncher(terminal_id, platform="linux", environ=env).plan(
        [sys.executable, str(recorder), str(out), *args], hostile_title(folder))
    try:
        launch_detached(plan.argv, env=env, name=plan.terminal)  # raises if the terminal dies at once
        wait_for(out)
        assert out.exists(), f"{plan.terminal} did not run the command: {plan.argv}"
        seen = json.loads(out.read_text(encoding="utf-8"))
        assert seen["argv"] == args  # byte for byte, every argument on its own
        assert seen["pwned"] is None and seen["cwd"] != str(folder / "injected")
        if terminal_id not in UNSEEN and plan.argv[0] not in UNSEEN:
            wait_for_title(terminal_id if terminal_id != "x-terminal-emulator" else plan.argv[0], hostile_title(folder))
        time.sleep(0.5)  # anything a title or argument might have started has had time to run
        assert sorted(p.name for p in folder.iterdir()) == ["argv.json", "injected"]
    finally:
        close_windows(process_watch, folder)


def test_a_terminal_that_cannot_start_is_reported_with_its_stderr(tmp_path):
    """GNOME Terminal's client with no terminal server to reach, and foot without Wayland: the words the
    user sees are the terminal's own."""
    from vouch_desktop.core.system.detached import ExitedAtOnce

    require("foot")
    env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
    env["XDG_RUNTIME_DIR"] = str(tmp_path)
    plan = TerminalLauncher("foot", platform="linux").plan(["true"], "t")
    with pytest.raises(ExitedAtOnce) as err:
        launch_detached(plan.argv, env=env, name=plan.terminal)
    assert err.value.message.startswith("foot closed at once (exit code ")
    assert "wayland" in err.value.stderr.lower()


def test_keep_open_holds_the_window_of_a_failed_session_until_enter(tmp_path, process_watch):
    require("xterm")
    env = dict(os.environ, **{MARK_VARIABLE: process_watch.mark})
    ran = tmp_path / "ran"
    command = ["sh", "-c", f"touch {ran}; echo 'TargetNotConnected' >&2; exit 3"]
    plan = TerminalLauncher("xterm", platform="linux", hold_on_error=True).plan(command, "held")
    try:
        pid = launch_detached(plan.argv, env=env, name=plan.terminal)  # still open after the 2 s watch
        wait_for(ran)
        time.sleep(1.0)
        window = psutil.Process(pid)
        assert window.is_running() and window.status() != psutil.STATUS_ZOMBIE
        [carrier] = [p for p in window.children(recursive=True) if "terminal-run" in " ".join(p.cmdline())]
        assert carrier.is_running()  # waiting at the "Press Enter" prompt
        assert "{code}" in HOLD_PROMPT
    finally:
        close_windows(process_watch, tmp_path)
    # without the option, the same failure closes the window at once
    ran.unlink()
    plan = TerminalLauncher("xterm", platform="linux").plan(command, "not held")
    try:
        launch_detached(plan.argv, env=env, name=plan.terminal, watch=0.1)
        wait_for(ran)
        deadline = time.monotonic() + 10
        while process_watch.leftovers() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert process_watch.leftovers() == []
    finally:
        close_windows(process_watch, tmp_path)
