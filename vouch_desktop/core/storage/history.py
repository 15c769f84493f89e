"""What happened when: connections, logins and tunnel events, as JSON Lines (never a secret).

Only the fields in ``FIELDS`` are ever written, so nothing a caller passes by mistake (a token,
credentials) can reach the file.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from vouch_desktop.core.storage.atomic import atomic_write_text

log = logging.getLogger(__name__)
KINDS = ("connect", "connect_failure", "login", "logout", "tunnel_start", "tunnel_stop", "tunnel_reconnect", "tunnel_failure")
FIELDS = ("profile", "target", "region", "message", "local_port")


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
    def __init__(self, path: Path, max_entries: int = 5000) -> None:
        self.path = Path(path)
        self.max_entries = max_entries
        self._lock = threading.Lock()

    def add(self, kind: str, **data: object) -> HistoryEntry:
        if kind not in KINDS:
            raise ValueError(f"unknown history kind {kind!r}")
        record = {"time": datetime.now(UTC).isoformat(), "kind": kind}
        record.update({k: data[k] for k in FIELDS if data.get(k) not in (None, "")})
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(line)
            self._compact_if_needed()
        return self._entry(record)

    @staticmethod
    def _entry(record: dict) -> HistoryEntry:
        return HistoryEntry(time=datetime.fromisoformat(record["time"]), kind=str(record["kind"]),
                            **{k: record[k] for k in FIELDS if k in record})

    def _read(self) -> list[HistoryEntry]:
        entries = []
        try:
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return []
        for line in lines:
            try:
                entries.append(self._entry(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                continue  # a torn or hand-edited line; the rest still counts
        return entries

    def _compact_if_needed(self) -> None:
        if self.path.stat().st_size < self.max_entries * 150:  # cheap test first: lines are ~150 bytes
            return
        entries = self._read()
        if len(entries) > self.max_entries * 1.2:
            keep = entries[-self.max_entries:]
            atomic_write_text(self.path, "".join(
                json.dumps({"time": e.time.isoformat(), "kind": e.kind,
                            **{k: getattr(e, k) for k in FIELDS if getattr(e, k) not in ("", 0)}}) + "\n"
                for e in keep))

    def recent(self, limit: int = 100, kinds: tuple[str, ...] | None = None) -> list[HistoryEntry]:
        with self._lock:
            entries = self._read()
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
