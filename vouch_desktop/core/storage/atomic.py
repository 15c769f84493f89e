"""Atomic file writes: a reader sees the old file or the new one, never half of either.

A path that is a symbolic link is written through: the file it points to is replaced (in its own
folder, so the rename stays atomic) and the link is left as it is.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import tempfile
from pathlib import Path


def write_target(path: Path) -> Path:
    """The file a write to ``path`` must replace: ``path`` itself, or the file its link points to."""
    if not path.is_symlink():
        return path
    try:
        os.stat(path)
    except FileNotFoundError:
        pass  # a link to a file not there yet: the write creates it
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, "it is a symbolic link that leads back to itself", str(path)) from None
        raise
    return Path(os.path.realpath(path))


def atomic_write_bytes(path: Path | str, data: bytes, *, mode: int = 0o600) -> None:
    """Write to a temp file in the same folder, fsync it, rename it over the file, fsync the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path = write_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)  # a link may point into a folder not made yet
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if sys.platform != "win32":  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def atomic_write_text(path: Path | str, text: str, *, mode: int = 0o600) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)
