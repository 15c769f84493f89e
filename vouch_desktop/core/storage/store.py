"""Versioned JSON documents: atomic saves, explicit migrations, and damaged files kept, not dropped.

- A missing file: defaults, no problem.
- A corrupt file (not JSON, not an object, wrong kind): renamed to ``<name>.corrupt-<UTC time>``;
  the problem is reported and the app starts with defaults.
- An older schema: the old file is copied to ``<name>.v<N>.backup``, then migrated step by step
  and saved.
- A newer schema (written by a newer version of the app): copied to ``<name>.v<N>.backup`` and
  reported; this version starts with defaults, and the backup is what the newer version's data
  can be restored from.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from vouch_desktop.core.errors import StoreError
from vouch_desktop.core.storage.atomic import atomic_write_text

Migration = Callable[[dict], dict]


@dataclass(frozen=True)
class StoreProblem:
    path: Path
    message: str
    backup: Path | None = None

    def user_text(self) -> str:
        kept = f" A copy was kept at {self.backup}." if self.backup else ""
        return f"{self.message}{kept}"


@dataclass
class LoadResult:
    data: dict | None
    problems: list[StoreProblem] = field(default_factory=list)


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


class JsonDocumentStore:
    def __init__(self, path: Path, kind: str, schema_version: int,
                 migrations: dict[int, Migration] | None = None) -> None:
        self.path = Path(path)
        self.kind = kind
        self.schema_version = schema_version
        # migrations[n] turns a version-n document into a version n+1 one
        self.migrations = migrations or {}

    def load(self) -> LoadResult:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return LoadResult(None)
        except OSError as exc:
            raise StoreError(f"Cannot read {self.path}: {exc.strerror}.") from exc
        try:
            document = json.loads(text)
            if not isinstance(document, dict):
                raise ValueError("not a JSON object")
            if document.get("kind", self.kind) != self.kind:
                raise ValueError(f"holds {document.get('kind')!r}, not {self.kind!r}")
            version = int(document.get("schema_version", 0))
        except (ValueError, TypeError) as exc:
            backup = self.path.with_name(f"{self.path.name}.corrupt-{_stamp()}")
            self.path.replace(backup)
            return LoadResult(None, [StoreProblem(
                self.path, f"The {self.kind} file {self.path} was damaged ({exc}); defaults are in use.", backup)])
        if version > self.schema_version:
            backup = self.path.with_name(f"{self.path.name}.v{version}.backup")
            shutil.copy2(self.path, backup)
            return LoadResult(None, [StoreProblem(
                self.path, f"The {self.kind} file {self.path} comes from a newer Vouch Desktop (format "
                           f"{version}, this one reads up to {self.schema_version}); defaults are in use.", backup)])
        problems: list[StoreProblem] = []
        if version < self.schema_version:
            backup = self.path.with_name(f"{self.path.name}.v{version}.backup")
            shutil.copy2(self.path, backup)
            for step in range(version, self.schema_version):
                if step not in self.migrations:
                    raise StoreError(f"No migration for {self.kind} format {step}.")
                document = self.migrations[step](dict(document))
            self._write(document)
            problems.append(StoreProblem(self.path, f"The {self.kind} file was upgraded from format {version} "
                                                    f"to {self.schema_version}.", backup))
        return LoadResult(self._strip(document), problems)

    @staticmethod
    def _strip(document: dict) -> dict:
        return {k: v for k, v in document.items() if k not in ("schema_version", "kind")}

    def save(self, data: dict) -> None:
        self._write(data)

    def _write(self, data: dict) -> None:
        document = {"kind": self.kind, "schema_version": self.schema_version, **self._strip(data)}
        try:
            atomic_write_text(self.path, json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise StoreError(f"Cannot save {self.path}: {exc.strerror}.",
                             advice="Check that the disk is not full and the folder is writable.") from exc
