"""Versioned JSON documents: atomic saves, explicit migrations, and damaged files kept, not dropped.

- A missing file: defaults, no problem.
- A damaged file (it cannot be read: a folder, no permission, too large; not UTF-8, not JSON, not an
  object, another kind of document, a ``schema_version`` that is not a whole number): renamed to
  ``<name>.corrupt-<UTC time>``; the problem is reported and the app starts with defaults. When it
  cannot be renamed (a read-only folder) it is left where it is, the message says so, and it is
  moved aside before this store next writes the file.
- An older schema: a copy is kept as ``<name>.v<N>.backup-<UTC time>``, then the document is
  migrated step by step and saved (in memory only, and said so, when it cannot be saved).
- A newer schema (written by a newer version of the app): copied the same way and reported; this
  version starts with defaults, and the copy is what the newer version's data can be restored from.
  No copy, no save: the file is never written over before a copy of it is kept.
- A document the caller could only partly use (``keep_partial``): a copy of the file as it was read.

Backups never overwrite an earlier one (see ``files.unused_name``); an identical one is reused.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vouch_desktop.core.errors import StoreError
from vouch_desktop.core.storage.atomic import atomic_write_text
from vouch_desktop.core.storage.files import keep_copy, move_aside, quote, read_bytes, reason, shorten
from vouch_desktop.core.storage.typed import found

Migration = Callable[[dict], dict]
MAX_BYTES = 64 * 1024 * 1024  # far above 10,000 profiles (~3 MB); a larger file is not one we wrote
MAX_VERSION = 1_000_000
SHOWN_DETAILS = 3


@dataclass(frozen=True)
class StoreProblem:
    path: Path
    message: str
    backup: Path | None = None
    details: tuple[str, ...] = ()  # one line each; the first few are shown

    def user_text(self) -> str:
        shown = "; ".join(detail.rstrip(".") for detail in self.details[:SHOWN_DETAILS])
        more = f" (and {len(self.details) - SHOWN_DETAILS} more)" if len(self.details) > SHOWN_DETAILS else ""
        details = f" {shown}{more}." if shown else ""
        kept = f" A copy was kept at {self.backup}." if self.backup else ""
        return f"{self.message}{details}{kept}"


@dataclass
class LoadResult:
    data: dict | None
    problems: list[StoreProblem] = field(default_factory=list)


class Damaged(ValueError):
    """Why a file cannot be used at all (in a few words, quoting at most ~80 characters of it)."""


@dataclass(frozen=True)
class _Owed:
    """A backup that must be made before the file may be written over."""

    move: bool  # move the file aside (it is damaged); else keep a copy of ``data``
    label: str
    data: bytes = b""


class JsonDocumentStore:
    def __init__(self, path: Path, kind: str, schema_version: int,
                 migrations: dict[int, Migration] | None = None, *, max_bytes: int = MAX_BYTES) -> None:
        self.path = Path(path)
        self.kind = kind
        self.schema_version = schema_version
        # migrations[n] turns a version-n document into a version n+1 one
        self.migrations = migrations or {}
        self.max_bytes = max_bytes
        self._owed: _Owed | None = None
        self._loaded: bytes | None = None  # the file as last read, for ``keep_partial``

    # -- reading --

    def load(self) -> LoadResult:
        self._owed, self._loaded = None, None
        try:
            raw = read_bytes(self.path, self.max_bytes)
        except FileNotFoundError:
            return LoadResult(None)
        except OSError as exc:
            return self._damaged(f"it cannot be read: {reason(exc)}")
        self._loaded = raw
        try:
            document, version = self._parse(raw)
        except Damaged as exc:
            return self._damaged(str(exc))
        if version > self.schema_version:
            message = (f"The {self.kind} file {self.path} comes from a newer Vouch Desktop (format {version}, "
                       f"this one reads up to {self.schema_version}); defaults are in use.")
            return LoadResult(None, [self._copy_problem(message, f"v{version}.backup", raw)])
        problems: list[StoreProblem] = []
        if version < self.schema_version:
            try:
                for step in range(version, self.schema_version):
                    if step not in self.migrations:
                        raise ValueError(f"this version cannot read format {step}")
                    document = self.migrations[step](dict(document))
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                return self._damaged(f"its format {version} could not be upgraded: {shorten(str(exc))}")
            problem = self._copy_problem(f"The {self.kind} file {self.path} was upgraded from format {version} "
                                         f"to {self.schema_version}.", f"v{version}.backup", raw)
            try:
                self._write(document)
            except StoreError as exc:
                problem = StoreProblem(self.path, f"{problem.message[:-1]} in memory only: {exc.message}",
                                       problem.backup)
            problems.append(problem)
        return LoadResult(self._strip(document), problems)

    def _parse(self, raw: bytes) -> tuple[dict, int]:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Damaged(f"it is not UTF-8 text (byte {exc.start:,} is {raw[exc.start:exc.start + 1]!r})") from None
        try:
            document = json.loads(text)
        except RecursionError:
            raise Damaged("it is nested too deeply to be ours") from None
        except ValueError as exc:
            raise Damaged(f"it is not JSON: {shorten(str(exc))}") from None
        if not isinstance(document, dict):
            raise Damaged(f"it holds {found(document)}, not a JSON object")
        kind = document.get("kind", self.kind)
        if kind != self.kind:
            raise Damaged(f"it holds {quote(kind)}, not {self.kind}")
        version = document.get("schema_version", 0)
        if isinstance(version, float) and math.isfinite(version) and version.is_integer():
            version = int(version)
        if isinstance(version, bool) or not isinstance(version, int) or not 0 <= version <= MAX_VERSION:
            raise Damaged(f"its schema_version is {quote(version)}, not a format number")
        return document, version

    def _damaged(self, why: str) -> LoadResult:
        message = f"The {self.kind} file {self.path} is damaged ({why}); defaults are in use."
        try:
            backup = move_aside(self.path, "corrupt")
        except OSError as exc:
            self._owed = _Owed(move=True, label="corrupt")
            return LoadResult(None, [StoreProblem(self.path, f"{message} It could not be moved aside ({reason(exc)}), "
                                                             "so it is left as it is; it will be moved aside "
                                                             "before the file is saved again.")])
        return LoadResult(None, [StoreProblem(self.path, message, backup)])

    def _copy_problem(self, message: str, label: str, data: bytes, details: tuple[str, ...] = ()) -> StoreProblem:
        try:
            backup = keep_copy(self.path, label, data)
        except OSError as exc:
            self._owed = _Owed(move=False, label=label, data=data)
            return StoreProblem(self.path, f"{message} No copy of it could be kept ({reason(exc)}), so the file is "
                                           "left as it is and will not be saved over until one can.", None, details)
        return StoreProblem(self.path, message, backup, details)

    def keep_partial(self, message: str, details: list[str]) -> StoreProblem:
        """The caller used only part of what was loaded (entries skipped, fields reset): keep a copy of
        the file as read, since the next save drops the rest, and describe it in one problem."""
        return self._copy_problem(message, "partial", self._loaded or b"", tuple(details))

    @staticmethod
    def _strip(document: dict) -> dict:
        return {k: v for k, v in document.items() if k not in ("schema_version", "kind")}

    # -- writing --

    def save(self, data: dict[str, Any]) -> None:
        self._write(data)

    def _pay_owed_backup(self) -> None:
        owed = self._owed
        if owed is None:
            return
        try:
            if owed.move:
                move_aside(self.path, owed.label)
            else:
                keep_copy(self.path, owed.label, owed.data)
        except FileNotFoundError:
            pass  # gone meanwhile: nothing left to keep
        except OSError as exc:
            what = "the damaged file could not be moved aside" if owed.move else "no copy of the file could be kept"
            raise StoreError(f"Cannot save {self.path}: {what} first ({reason(exc)}).",
                             advice="Check that its folder is writable.") from exc
        self._owed = None

    def _write(self, data: dict[str, Any]) -> None:
        document = {"kind": self.kind, "schema_version": self.schema_version, **self._strip(data)}
        self._pay_owed_backup()
        try:
            text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            atomic_write_text(self.path, text)
        except OSError as exc:
            raise StoreError(f"Cannot save {self.path}: {reason(exc)}.",
                             advice="Check that the disk is not full and the folder is writable.") from exc
        except ValueError as exc:  # text that is not valid Unicode; types are checked before this
            raise StoreError(f"Cannot save {self.path}: {shorten(str(exc))}.") from exc
