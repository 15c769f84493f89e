"""Copying with feedback: the text goes to the clipboard, a brief notification says what was
copied (the menu has closed by then), and the item that copied it says "copied" for a moment
should the menu be opened again. Never blocks: the notification is a background task."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtGui import QGuiApplication

COPIED_FOR = 4.0  # seconds an item keeps saying "copied"
Announce = Callable[[str, str], None]


class Clipboard:
    def __init__(self, announce: Announce | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.announce = announce  # (summary, body): a brief notification
        self.clock = clock
        self._copied: dict[str, float] = {}

    def copy(self, key: str, text: str, what: str) -> None:
        """Put ``text`` on the clipboard; ``key`` names the item, ``what`` says what it is."""
        QGuiApplication.clipboard().setText(text)
        self._copied = {k: t for k, t in self._copied.items() if self.clock() - t < COPIED_FOR}
        self._copied[key] = self.clock()
        if self.announce is not None:
            self.announce("Copied", f"{what}: {text}")

    def recently_copied(self, key: str) -> bool:
        copied = self._copied.get(key)
        return copied is not None and self.clock() - copied < COPIED_FOR
