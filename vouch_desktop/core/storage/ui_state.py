"""What the windows remember between runs (their sizes), in a small versioned file of its own.

Not settings: nothing here is chosen in the Settings window, and losing it costs nothing. It is
written through the same store as the settings (atomic, ``schema_version``, a damaged file moved
aside and reported), and only when a window closes, not on every resize.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from vouch_desktop.core.errors import StoreError
from vouch_desktop.core.storage.store import JsonDocumentStore, StoreProblem
from vouch_desktop.core.system.paths import AppPaths

log = logging.getLogger(__name__)
SCHEMA_VERSION = 1
MAX_SIDE = 100_000  # pixels: anything larger was not written by us
MAX_WINDOWS = 100


@dataclass(frozen=True)
class WindowSize:
    width: int
    height: int


def _size(value: object) -> WindowSize | None:
    """A size as we write it ([width, height] of whole pixels), or None for anything else."""
    if not isinstance(value, list) or len(value) != 2:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_SIDE for v in value):
        return None
    return WindowSize(value[0], value[1])


class UiState:
    """Window sizes by window name (``instances``, ``profiles``, …)."""

    def __init__(self, paths: AppPaths) -> None:
        self._store = JsonDocumentStore(paths.state_dir / "ui-state.json", "ui-state", SCHEMA_VERSION,
                                        max_bytes=1024 * 1024)
        self._sizes: dict[str, WindowSize] = {}
        self._save_failure_logged = False

    @property
    def path(self) -> Path:
        return self._store.path

    def load(self) -> list[StoreProblem]:
        result = self._store.load()
        self._sizes = {}
        windows = (result.data or {}).get("window_sizes", {})
        problems = list(result.problems)
        if not isinstance(windows, dict):
            return [*problems, self._store.keep_partial(f"The window sizes in {self._store.path} could not be "
                                                        "used; windows open at their usual size.", [])]
        skipped = []
        for name, value in list(windows.items())[:MAX_WINDOWS]:
            size = _size(value)
            if size is None:
                skipped.append(f"{name!r}: not a window size")
            else:
                self._sizes[name] = size
        if skipped:
            problems.append(self._store.keep_partial(
                f"Some window sizes in {self._store.path} could not be used:", skipped))
        return problems

    def size(self, window: str) -> WindowSize | None:
        return self._sizes.get(window)

    def remember(self, window: str, size: WindowSize) -> None:
        """Keep and save it; a failed save is logged once (a window size is never worth a message)."""
        if self._sizes.get(window) == size:
            return
        self._sizes[window] = size
        try:
            self._store.save({"window_sizes": {name: [s.width, s.height] for name, s in sorted(self._sizes.items())}})
        except StoreError as exc:
            if not self._save_failure_logged:
                log.warning("window sizes not saved: %s", exc.message)
                self._save_failure_logged = True
