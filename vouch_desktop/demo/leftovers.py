"""The demo's temporary homes left behind by a demo that could not clean up (killed with SIGKILL, a
power cut): found and removed at the next start.

Only ours, and only dead ones: a folder is removed when all of these hold — it is directly in the
temporary folder, named ``vouch-desktop-demo-…``, a real folder (not a link), owned by this user,
holds our marker file (a regular file, not a link) naming the process that made it, and that process
is gone (a process id used again by another program does not count: its start time must match).
Anything else is left alone, whatever its name.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from vouch_desktop.core.storage.atomic import atomic_write_text

log = logging.getLogger(__name__)
PREFIX = "vouch-desktop-demo-"
MARKER = ".vouch-desktop-demo.json"
MARKER_KIND = "vouch-desktop demo home"
MAX_MARKER_BYTES = 4096


@dataclass(frozen=True)
class Owner:
    pid: int
    started: float  # the process's start time (psutil's create_time), against a reused pid


def _own(info: os.stat_result) -> bool:
    """Whether this user owns the file. Windows reports no owner (st_uid is 0) and gives each user a
    temporary folder of their own: there, whatever is in it is the user's."""
    if sys.platform == "win32":
        return True
    return info.st_uid == os.getuid()


def current_owner() -> Owner:
    import psutil  # here, not at the top: every start looks for leftovers, and psutil costs an idle app ~4 MB

    return Owner(os.getpid(), psutil.Process().create_time())


def mark(root: Path, owner: Owner | None = None) -> None:
    """Say that ``root`` is a demo home made by this process (written before anything else goes in)."""
    owner = owner or current_owner()
    atomic_write_text(root / MARKER, json.dumps({"kind": MARKER_KIND, "pid": owner.pid, "started": owner.started}))


def read_marker(root: Path) -> Owner | None:
    """The process that made ``root``, or None when ``root`` is not one of ours as described above."""
    try:
        info = os.lstat(root)
        if not stat.S_ISDIR(info.st_mode) or not _own(info):
            return None
        marker = root / MARKER
        info = os.lstat(marker)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_MARKER_BYTES or not _own(info):
            return None
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("kind") != MARKER_KIND:
        return None
    pid, started = data.get("pid"), data.get("started")
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0 or not isinstance(started, int | float):
        return None
    return Owner(pid, float(started))


def alive(owner: Owner) -> bool:
    import psutil

    try:
        return abs(psutil.Process(owner.pid).create_time() - owner.started) < 1.0
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True  # cannot tell: keep it


def leftovers(temp: Path | None = None) -> list[Path]:
    """The demo homes in ``temp`` (the temporary folder) whose process is gone."""
    folder = Path(temp or tempfile.gettempdir())
    try:
        entries = [entry for entry in os.scandir(folder) if entry.name.startswith(PREFIX)]
    except OSError:
        return []
    found = []
    for entry in entries:
        owner = read_marker(Path(entry.path))
        if owner is not None and not alive(owner):
            found.append(Path(entry.path))
    return found


def remove_leftovers(temp: Path | None = None) -> list[Path]:
    """Remove what ``leftovers`` finds; the folders removed."""
    removed = []
    for root in leftovers(temp):
        try:
            shutil.rmtree(root)  # removes links inside, never what they point to
        except OSError as exc:
            log.warning("could not remove the demo's leftover home %s: %s", root, exc)
            continue
        removed.append(root)
    return removed
