"""Starting a program the user owns (a terminal window) so that it outlives the app, and watching its
first seconds.

Terminal windows are the user's: quitting the tray app must not close their shells, so they run in a
session of their own. On Linux and macOS the app starts an intermediate process, this app's own hidden
sub-command ``vouch-desktop detach`` (through ``own_command``, so it works from a source tree and from the
frozen app alike, which has no Python to run ``-c`` with). That process starts the program in a new
session, watches it for ``WATCH_SECONDS``, tells the app what it saw as one JSON line, and exits: the app
reaps it, and the program, orphaned, is adopted by init, so it never becomes the app's zombie.

A program that exits at once with a non-zero code (a terminal that cannot reach its display or its
server, or rejects its arguments) is reported with what it wrote to stderr: ``ExitedAtOnce``.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from typing import IO, Any

from vouch_desktop.core.errors import ExternalToolError
from vouch_desktop.core.system.own_command import own_command

SUBCOMMAND = "detach"
WATCH_SECONDS = 2.0
STDERR_LIMIT = 4000  # characters of a failed program's stderr kept for the report (its end)
WINDOWS = sys.platform == "win32"


class ExitedAtOnce(ExternalToolError):
    """The program exited within the watch with a non-zero code."""

    def __init__(self, program: str, code: int, stderr: str) -> None:
        last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "")
        super().__init__(f"{program} closed at once (exit code {code})" + (f": {last}" if last else "."),
                         advice="Try it with Settings → Test terminal, or choose another terminal. If the session "
                                "itself failed, \"Keep the window open when the session ends with an error\" "
                                "(Settings) keeps its message on screen.",
                         detail=stderr)
        self.program, self.code, self.stderr = program, code, stderr


def launch_detached(argv: Sequence[str], env: Mapping[str, str] | None = None, *,
                    watch: float = WATCH_SECONDS, name: str = "") -> int:
    """Start ``argv`` detached from the app; returns its pid. Blocks for up to ``watch`` seconds (run it
    off the UI thread). Raises ``ExitedAtOnce`` when it exits non-zero within that time, and
    ``ExternalToolError`` when it cannot be started at all; ``name`` is the program's name in messages."""
    argv = [str(a) for a in argv]
    request = {"argv": argv, "env": dict(env) if env is not None else None, "watch": watch}
    reply = _start_on_windows(request) if WINDOWS else _start_through_helper(request)
    name = name or os.path.basename(argv[0])
    if "error" in reply:
        raise ExternalToolError(f"{name} could not be started: {reply['error']}",
                                advice="Check the terminal chosen in Settings (Test terminal).")
    code = reply.get("exit")
    if code:  # 0: it handed the work over (to a terminal server, say) and left, as some do
        raise ExitedAtOnce(name, int(code), str(reply.get("stderr", "")))
    return int(reply["pid"])


def _start_through_helper(request: dict[str, Any]) -> dict[str, Any]:
    helper = subprocess.Popen([*own_command(), SUBCOMMAND], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = helper.communicate(json.dumps(request).encode(), timeout=float(request["watch"]) + 60)
    except subprocess.TimeoutExpired:
        helper.kill()
        helper.communicate()
        return {"error": "the launcher did not answer"}
    lines = [line for line in out.decode(errors="replace").splitlines() if line.startswith("{")]
    try:
        return dict(json.loads(lines[-1]))
    except (IndexError, ValueError):
        tail = err.decode(errors="replace").strip()[-STDERR_LIMIT:]
        return {"error": f"the launcher failed (exit code {helper.returncode}){': ' + tail if tail else ''}"}


def _start_on_windows(request: dict[str, Any]) -> dict[str, Any]:
    # no zombies on Windows: the program is started directly, in a process group of its own and in no job
    # object, so that quitting the app leaves the user's window open (core/system/win_processes.py)
    from vouch_desktop.core.system.win_processes import detached_creation_flags

    return _start_and_watch(request, creationflags=detached_creation_flags())


def outside_environment(env: Mapping[str, str], bundle: str | None = None) -> dict[str, str]:
    """The environment for a program outside the frozen app: PyInstaller's bootloader points
    LD_LIBRARY_PATH (keeping the user's as LD_LIBRARY_PATH_ORIG) and Qt's plugin path at the bundle,
    which would make a terminal load the app's own copies of its libraries and plugins, and leaves
    notes for itself (_PYI_*) that another start of the app must not take for its own."""
    bundle = bundle if bundle is not None else getattr(sys, "_MEIPASS", None)
    if not bundle:
        return dict(env)
    cleaned = {}
    for name, value in env.items():
        if name.endswith("_ORIG") or name.startswith(("_PYI_", "_MEI")):  # the bootloader's own notes
            continue
        original = env.get(f"{name}_ORIG")
        if original is not None:
            cleaned[name] = original
        elif bundle not in value:
            cleaned[name] = value
    return cleaned


def _start_and_watch(request: dict[str, Any], **popen_kwargs: Any) -> dict[str, Any]:
    """Start the program with its stderr in an unlinked temporary file, wait up to ``watch`` s, report."""
    env = outside_environment(request.get("env") or os.environ)
    with tempfile.TemporaryFile() as stderr:
        try:
            program = subprocess.Popen(list(request["argv"]), env=env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=stderr, close_fds=True, **popen_kwargs)
        except OSError as exc:
            return {"error": exc.strerror or str(exc)}
        try:
            code = program.wait(timeout=float(request["watch"]))
        except subprocess.TimeoutExpired:
            program.returncode = 0  # still running, and no longer ours to wait for
            return {"pid": program.pid}
        return {"pid": program.pid, "exit": code, "stderr": _tail(stderr)}


def _tail(handle: IO[bytes]) -> str:
    handle.seek(0, os.SEEK_END)
    handle.seek(max(0, handle.tell() - STDERR_LIMIT * 4))
    return handle.read().decode(errors="replace")[-STDERR_LIMIT:]


def run(stdin: IO[bytes] | None = None, stdout: IO[str] | None = None) -> int:
    """``vouch-desktop detach``: the intermediate process. Reads the request (JSON) on stdin, answers one
    JSON line on stdout and exits, whatever the program does."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout
    try:
        request = json.loads(stdin.read())
        reply = _start_and_watch(request)
    except (ValueError, KeyError, TypeError) as exc:
        reply = {"error": f"bad request ({exc})"}
    with contextlib.suppress(OSError):
        stdout.write(json.dumps(reply) + "\n")
        stdout.flush()
    return 0
