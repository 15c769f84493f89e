"""What happened when: connections, logins and tunnel events, as JSON Lines (never a secret).

Only the fields in ``FIELDS`` are ever written, so nothing a caller passes by mistake (a token,
credentials) can reach the file, and every text field goes through ``redact`` first (the composition
root gives it ``core.system.redaction.KnownSecrets.redact``: a plugin's message can quote its token).

History is never worth a failure: a line that cannot be read (torn by a crash, hand-edited, of the
wrong types) is skipped; a file that cannot be read at all (a folder, no permission) is moved aside
and reported once at start (``check``); a write that fails is logged and the app goes on. When a
compaction would drop lines it could not read, the file as it was is kept beside it first.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from vouch_desktop.core.storage.atomic import atomic_write_text
from vouch_desktop.core.storage.files import append_bytes, move_aside, open_regular, read_tail, reason
from vouch_desktop.core.storage.store import StoreProblem
from vouch_desktop.core.system.logging_setup import redact as redact_patterns

log = logging.getLogger(__name__)
KINDS = ("connect", "connect_failure", "login", "login_failure", "logout", "session_expired", "tunnel_start",
         "tunnel_stop", "tunnel_drop", "tunnel_retry", "tunnel_recovered", "tunnel_failure")
FIELDS = ("profile", "target", "region", "message", "local_port")
TEXT_FIELDS = ("profile", "target", "region", "message")
TAIL_BYTES = 8 * 1024 * 1024  # far more than max_entries lines (~150 bytes each): what is read of the file


@dataclass(frozen=True)
class HistoryEntry:
    time: datetime
    kind: str
    profile: str = ""
    target: str = ""
    region: str = ""
    message: str = ""
    local_port: int = 0


class History:
    def __init__(self, path: Path, max_entries: int = 5000, redact: Callable[[str], str] = redact_patterns) -> None:
        self.path = Path(path)
        self.max_entries = max_entries
        self.redact = redact
        self._lock = threading.Lock()
        self._write_failure_logged = False

    def check(self) -> list[StoreProblem]:
        """At start: a history file that cannot be read is moved aside (history starts afresh) and reported."""
        try:
            os.close(open_regular(self.path))
        except FileNotFoundError:
            return []
        except OSError as exc:
            message = f"The history file {self.path} cannot be read ({reason(exc)})"
            try:
                backup = move_aside(self.path, "corrupt")
            except OSError as move_exc:
                return [StoreProblem(self.path, f"{message}, nor moved aside ({reason(move_exc)}): it is left as "
                                                "it is, and this session's history is not kept.")]
            return [StoreProblem(self.path, f"{message}; history starts afresh.", backup)]
        return []

    def add(self, kind: str, **data: object) -> HistoryEntry:
        if kind not in KINDS:
            raise ValueError(f"unknown history kind {kind!r}")
        record: dict[str, object] = {"time": datetime.now(UTC).isoformat(), "kind": kind}
        record.update({k: self.redact(v) if isinstance(v := data[k], str) else v
                       for k in FIELDS if data.get(k) not in (None, "")})
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                append_bytes(self.path, line.encode("utf-8", errors="replace"))
                self._compact_if_needed()
            except OSError as exc:  # a full disk, a read-only folder: the event happened all the same
                if not self._write_failure_logged:
                    log.warning("cannot write the history file %s: %s", self.path, reason(exc))
                    self._write_failure_logged = True
        entry = self._entry(record)
        assert entry is not None  # written by us, in our types
        return entry

    @staticmethod
    def _entry(record: object) -> HistoryEntry | None:
        """The entry a line holds, or None when it is not one (wrong types, a time that is no time)."""
        if not isinstance(record, dict):
            return None
        kind, text = record.get("kind"), record.get("time")
        if not isinstance(kind, str) or not isinstance(text, str):
            return None
        try:
            time = datetime.fromisoformat(text)
            time = time if time.tzinfo else time.replace(tzinfo=UTC)
            time.astimezone()  # shown in local time: a date at the very edge of the calendar overflows
        except (ValueError, OverflowError):
            return None
        fields = {k: record[k] for k in FIELDS if k in record}
        if not all(isinstance(fields.get(k, ""), str) for k in TEXT_FIELDS):
            return None
        port = fields.get("local_port", 0)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            return None
        if kind == "tunnel_reconnect":  # written before the drop and the recovery had kinds of their own
            kind = "tunnel_recovered" if fields.get("message") == "up" else "tunnel_drop"
        return HistoryEntry(time=time, kind=kind, **fields)  # the types of fields were checked above

    def _read(self) -> tuple[list[HistoryEntry], int]:
        """The entries at the end of the file, and how many lines there could not be read."""
        try:
            data = read_tail(self.path, TAIL_BYTES)
        except FileNotFoundError:
            return [], 0
        except OSError as exc:
            log.warning("cannot read the history file %s: %s", self.path, reason(exc))
            return [], 0
        entries: list[HistoryEntry] = []
        skipped = 0
        for line in data.decode("utf-8", errors="replace").splitlines():
            try:
                entry = self._entry(json.loads(line))
            except (ValueError, RecursionError):
                entry = None
            if entry is None:
                skipped += 1  # a torn or hand-edited line; the rest still counts
            else:
                entries.append(entry)
        return entries, skipped

    def _compact_if_needed(self) -> None:
        size = self.path.stat().st_size
        if size < self.max_entries * 150:  # cheap test first: lines are ~150 bytes
            return
        entries, skipped = self._read()
        if len(entries) > self.max_entries * 1.2 or size > TAIL_BYTES:
            if skipped or size > TAIL_BYTES:  # what compaction would drop that is not just old: keep it
                backup = move_aside(self.path, "before-compaction")
                log.warning("history: %d unreadable lines; the file as it was is kept at %s", skipped, backup)
            keep = entries[-self.max_entries:]
            atomic_write_text(self.path, "".join(
                json.dumps({"time": e.time.isoformat(), "kind": e.kind,
                            **{k: getattr(e, k) for k in FIELDS if getattr(e, k) not in ("", 0)}},
                           ensure_ascii=False) + "\n"
                for e in keep))

    def recent(self, limit: int = 100, kinds: tuple[str, ...] | None = None) -> list[HistoryEntry]:
        with self._lock:
            entries, _ = self._read()
        chosen = [e for e in entries if kinds is None or e.kind in kinds]
        return list(reversed(chosen))[:limit]

    def recent_connections(self, limit: int = 5) -> list[HistoryEntry]:
        """Distinct (target, region) connections, newest first: the tray's "Recent" list."""
        seen, result = set(), []
        for entry in self.recent(limit=1000, kinds=("connect",)):
            key = (entry.target, entry.region)
            if key not in seen:
                seen.add(key)
                result.append(entry)
            if len(result) == limit:
                break
        return result
