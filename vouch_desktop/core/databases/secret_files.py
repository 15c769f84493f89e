"""The private files that hand a password to a database client (a PGPASSFILE, a MySQL option file), and
how long each lives.

A client must not get its password in an environment variable (other processes of the user can read
``/proc/PID/environ`` on some systems, and it is inherited by whatever the client starts) nor in its
argv (the process list shows it to everyone). psql, pgcli, mysql and mycli all read a file instead; the
app writes it with mode 0600 in a folder of its own (0700, under the runtime folder: a tmpfs on Linux,
so the password never reaches a disk), and names it to the client.

When may the file go? psql reads its PGPASSFILE again for every new connection (``\\c``, a reconnect
after the server restarted), so not as soon as it connected. The file lives as long as the client:
the carrier the terminal runs (``vouch-desktop db-client``, core/databases/client_run.py) holds a shared
``flock`` on it from before the client starts until after it ended, then removes it, also when the
terminal window is closed (SIGHUP) or it is asked to stop (SIGTERM). What nothing claims — the terminal
never started, or the carrier was killed outright — the app removes (``SecretFiles.sweep``): a file that
no carrier holds and that is older than ``GRACE`` seconds, checked after each launch, while files remain,
at start and at quit. The sweep takes an exclusive lock before it removes a file, and a carrier checks,
once it holds its lock, that the file it opened is still the one at that path: they never both win.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from vouch_desktop.core.databases.errors import DatabaseError

if sys.platform != "win32":
    import fcntl

GRACE = 120.0  # seconds a new file may wait for its carrier (a terminal can be slow to start)
PREFIX = "signin-"


class SecretFileGone(DatabaseError):
    """The carrier came too late: its sign-in file was removed (or is not one the app wrote)."""


class UnsafeFolder(DatabaseError):
    """The folder for sign-in files is not private to this user."""


def private_folder(folder: Path) -> Path:
    """``folder``, made if missing, a real folder (not a link) owned by this user and closed to others."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode):
            raise UnsafeFolder(f"{folder} is not a folder.", advice="Remove it; the app makes it again.")
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise UnsafeFolder(f"{folder} belongs to another user, so no password is written there.",
                               advice="Remove it; the app makes it again.")
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.chmod(folder, 0o700)
    except OSError as exc:
        raise UnsafeFolder(f"The folder for sign-in files, {folder}, cannot be used: {exc.strerror or exc}.",
                           advice="Check the permissions of the app's runtime folder.") from exc
    return folder


class SecretFiles:
    """The app's side: write a sign-in file, and remove the ones no carrier holds."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, text: str, suffix: str) -> Path:
        """A new file holding ``text``, readable and writable by this user only, from the first byte on."""
        import secrets  # here: its hmac import loads OpenSSL (~3 MB), which an idle app does without

        folder = private_folder(self.folder)
        path = folder / f"{PREFIX}{secrets.token_hex(12)}{suffix}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
                out.write(text)
        except BaseException:
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        return path

    def files(self) -> list[Path]:
        try:
            return sorted(p for p in self.folder.iterdir() if p.name.startswith(PREFIX))
        except OSError:
            return []

    def sweep(self, *, grace: float = GRACE, everything: bool = False) -> list[Path]:
        """Remove the files that no carrier holds and that are older than ``grace`` seconds (``everything``:
        whatever their age, as when the app quits or a launch failed). Returns those removed."""
        removed = []
        for path in self.files():
            if self.remove_unclaimed(path, grace=0 if everything else grace):
                removed.append(path)
        return removed

    def remove_unclaimed(self, path: Path, *, grace: float = 0) -> bool:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return False
        try:
            if not _try_lock_exclusive(fd):
                return False  # a carrier holds it: its client is running
            info = os.fstat(fd)
            if time.time() - info.st_mtime < grace:
                return False
            with contextlib.suppress(FileNotFoundError):
                if os.stat(path).st_ino == info.st_ino:
                    os.unlink(path)
                    return True
            return False
        finally:
            os.close(fd)  # releases the lock


def _try_lock_exclusive(fd: int) -> bool:
    if sys.platform != "win32":  # (a block, not an early return: mypy --platform win32 then skips it)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
    return True  # no advisory locks on Windows: the age alone decides (and the carrier's own removal)


@contextlib.contextmanager
def claimed(path: Path) -> Iterator[Path]:
    """The carrier's side: hold ``path`` for as long as the block runs, then remove it.

    Raises ``SecretFileGone`` when the file is gone, was replaced, is a link, belongs to someone else or
    is readable by others (then it is not one this app wrote, and no client is pointed at it)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise SecretFileGone(f"The sign-in file for this database session is gone ({exc.strerror or exc}).",
                             advice="The terminal took too long to start, or the app removed it. Open the client "
                                    "again from the tray.") from None
    try:
        if sys.platform != "win32":
            fcntl.flock(fd, fcntl.LOCK_SH)  # waits only while a sweep decides about this very file
        info = os.fstat(fd)
        try:
            current = os.lstat(path)
        except FileNotFoundError:
            raise SecretFileGone("The sign-in file for this database session was removed before the client "
                                 "started.", advice="Open the client again from the tray.") from None
        mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
        if current.st_ino != info.st_ino or not stat.S_ISREG(info.st_mode) or not mine \
                or (sys.platform != "win32" and stat.S_IMODE(info.st_mode) & 0o077):
            raise SecretFileGone(f"{path} is not a sign-in file this app wrote; it is not used.",
                                 advice="Open the client again from the tray.")
        try:
            yield path
        finally:
            with contextlib.suppress(FileNotFoundError):
                if os.lstat(path).st_ino == info.st_ino:
                    os.unlink(path)
    finally:
        os.close(fd)
