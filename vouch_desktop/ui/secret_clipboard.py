"""Copying a secret (a database password, an IAM token) to the clipboard, and taking it back.

The clipboard is read by every program of the desktop and kept by clipboard managers, so a copied
password is cleared after ``CLEAR_AFTER_MS`` — but only if the clipboard still holds it (what the user
copied since is theirs), and at quit likewise. It is marked with KDE's password-manager hint, which
Klipper and other managers honour by not recording it in their history. Only a digest of it is kept here.
"""

from __future__ import annotations

import hashlib

from PySide6.QtCore import QMimeData, QTimer
from PySide6.QtGui import QClipboard, QGuiApplication

CLEAR_AFTER_MS = 30_000
PASSWORD_HINT = "x-kde-passwordManagerHint"


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class SecretClipboard:
    def __init__(self, clipboard: QClipboard | None = None, clear_after_ms: int = CLEAR_AFTER_MS) -> None:
        self._clipboard = clipboard
        self.clear_after_ms = clear_after_ms
        self._ours: bytes | None = None  # the digest of the secret we put there last

    @property
    def clipboard(self) -> QClipboard:
        return self._clipboard or QGuiApplication.clipboard()

    def copy(self, secret: str) -> None:
        data = QMimeData()
        data.setText(secret)
        data.setData(PASSWORD_HINT, b"secret")
        self.clipboard.setMimeData(data, QClipboard.Mode.Clipboard)
        mine = self._ours = digest(secret)
        QTimer.singleShot(self.clear_after_ms, lambda: self.clear_if_ours(mine))

    def clear_if_ours(self, mine: bytes | None = None) -> bool:
        """Clear the clipboard if it still holds the secret (the last one copied, or ``mine``)."""
        mine = mine or self._ours
        if mine is None or digest(self.clipboard.text(QClipboard.Mode.Clipboard)) != mine:
            return False
        self.clipboard.clear(QClipboard.Mode.Clipboard)
        if mine == self._ours:
            self._ours = None
        return True
