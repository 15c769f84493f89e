"""The exact secrets the app holds, removed from any text before a person or a file sees it.

A child's output (the plugin's last stderr line becomes a tunnel's failure reason) can hold a session
token or an AWS key; from there it would reach the tray, ``tunnel list``, a notification, the log and
the history. Patterns (``logging_setup.redact``) catch what looks secret; ``KnownSecrets`` removes the
very strings the app was given: each session's TokenValue and StreamUrl query, and the AWS keys of the
profile it used. It keeps the newest few hundred (the app may run for weeks) and is thread-safe (log
records come from any thread).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlsplit

from vouch_desktop.core.system.logging_setup import redact as redact_patterns

MASK = "****"
SHORTEST = 8  # shorter strings are not secrets worth masking everywhere (and would mask common words)


class KnownSecrets:
    def __init__(self, limit: int = 512) -> None:
        self.limit = limit
        self._secrets: dict[str, None] = {}  # insertion-ordered: the oldest are forgotten first
        self._ordered: tuple[str, ...] = ()  # longest first, so a secret inside another is masked whole
        self._lock = threading.Lock()

    def add(self, values: Iterable[str | None]) -> None:
        with self._lock:
            for value in values:
                if value and len(value) >= SHORTEST and MASK not in value:
                    self._secrets.pop(value, None)
                    self._secrets[value] = None
            while len(self._secrets) > self.limit:
                del self._secrets[next(iter(self._secrets))]
            self._ordered = tuple(sorted(self._secrets, key=len, reverse=True))

    def add_session(self, response: Mapping[str, object]) -> None:
        """A StartSession answer's secrets: the token and the stream URL's query (and each of its values)."""
        token, url = str(response.get("TokenValue") or ""), str(response.get("StreamUrl") or "")
        query = urlsplit(url).query
        self.add([token, query, *(value for _, value in parse_qsl(query))])

    def __len__(self) -> int:
        return len(self._ordered)

    def redact(self, text: str) -> str:
        """``text`` without any known secret (nor anything the patterns take for one)."""
        for secret in self._ordered:  # a snapshot: another thread may add meanwhile
            if secret in text:
                text = text.replace(secret, MASK)
        return redact_patterns(text)
