"""Reading and keeping the app's files: one place that opens them, and backups that never overwrite.

Every file the app reads of its own (settings, profiles, history, an imported TOML file) is read
through ``read_bytes``: bounded in size, and any failure to read it is an ``OSError`` the caller
turns into "damaged", never a traceback. Backups get a name no earlier backup has.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

QUOTE_LIMIT = 80  # messages quote at most this many characters of a value read from a file


class FileTooLarge(OSError):
    """A file larger than the app will read (a damaged or wrong file, not one it wrote)."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(errno.EFBIG, f"it is {size:,} bytes, more than the {limit:,} this file can be", str(path))


def open_regular(path: Path, flags: int = os.O_RDONLY, mode: int = 0o600) -> int:
    """A file descriptor for ``path``, which must be a regular file: a folder, a named pipe (whose open
    would wait for a writer forever), a device or a socket raises ``OSError`` at once."""
    # O_NONBLOCK: POSIX only (Windows has no FIFOs to wait on); O_BINARY: Windows only (no newline translation)
    extra = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags | extra, mode)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise OSError(errno.EISDIR if stat.S_ISDIR(info.st_mode) else errno.EINVAL, f"it is {what}", str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bytes(path: Path, limit: int) -> bytes:
    """The file's bytes, at most ``limit`` of them (a larger file raises ``FileTooLarge``).

    ``FileNotFoundError`` means there is no file; any other ``OSError`` (a folder, a pipe, no
    permission, a symlink loop, an I/O error) means it cannot be read."""
    with os.fdopen(open_regular(path), "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise FileTooLarge(path, size, limit)
        data = handle.read(limit + 1)
    if len(data) > limit:  # grew while we read it
        raise FileTooLarge(path, len(data), limit)
    return data


def read_tail(path: Path, limit: int) -> bytes:
    """The last ``limit`` bytes of a file that only grows (a log), from the start of a line."""
    with os.fdopen(open_regular(path), "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size <= limit:
            return handle.read(limit)
        handle.seek(size - limit)
        data = handle.read(limit)
    newline = data.find(b"\n")
    return data[newline + 1:] if newline >= 0 else b""


def append_bytes(path: Path, data: bytes) -> None:
    """Append to a regular file (created when missing), in one write."""
    fd = open_regular(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def reason(exc: BaseException) -> str:
    """An OSError in a few plain words ("Is a directory", "Permission denied"), other errors as they say."""
    if isinstance(exc, FileTooLarge):
        return str(exc.strerror)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return shorten(str(exc) or type(exc).__name__)


def shorten(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis), one line: safe to put in a message."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """A value read from a file as a message shows it: its repr, at most ``limit`` characters."""
    try:
        text = repr(value) if not isinstance(value, (list, dict)) or len(value) < 1000 else \
            f"<{type(value).__name__} of {len(value):,} items>"
    except (RecursionError, ValueError):  # nested too deep, an int too long to print
        text = f"<{type(value).__name__}>"
    return shorten(text, limit)


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def unused_name(path: Path, label: str) -> Path:
    """``<name>.<label>-<UTC time>``, with ``-2``, ``-3``… when that exists: never an earlier backup's name."""
    base = f"{path.name}.{label}-{stamp()}"
    candidate = path.with_name(base)
    n = 2
    while os.path.lexists(candidate):
        candidate = path.with_name(f"{base}-{n}")
        n += 1
    return candidate


def move_aside(path: Path, label: str) -> Path:
    """Rename ``path`` (a file, a folder, a link: whatever is there) to an unused backup name."""
    target = unused_name(path, label)
    os.rename(path, target)  # unused_name checked it is free; a race would need another writer of our files
    return target


def existing_copy(path: Path, label: str, data: bytes) -> Path | None:
    """An earlier backup of ``path`` with this label holding exactly ``data``: no need for another one."""
    prefix = f"{path.name}.{label}-"
    try:
        siblings = list(path.parent.iterdir())
    except OSError:
        return None
    for sibling in siblings:
        if sibling.name.startswith(prefix):
            try:
                if sibling.stat().st_size == len(data) and read_bytes(sibling, len(data)) == data:
                    return sibling
            except OSError:
                continue
    return None


def keep_copy(path: Path, label: str, data: bytes) -> Path:
    """Write ``data`` (what was read from ``path``) to a new backup beside it, unless an identical one
    is there already. The backup is created exclusively (never written over) and made durable."""
    earlier = existing_copy(path, label, data)
    if earlier is not None:
        return earlier
    while True:
        target = unused_name(path, label)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        break
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(target)
        raise
    return target
