"""Reads and changes the fake vouch's knobs and session (the demo menu and the tests use this)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from vouch_desktop.core.storage.atomic import atomic_write_text


class FakeVouchState:
    def __init__(self, state_dir: Path) -> None:
        self.dir = Path(state_dir)
        self.dir.mkdir(parents=True, exist_ok=True)

    def _read(self, name: str) -> dict:
        try:
            return json.loads((self.dir / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def knobs(self) -> dict:
        return self._read("config.json")

    def configure(self, **knobs: object) -> None:
        merged = self.knobs()
        merged.update(knobs)
        atomic_write_text(self.dir / "config.json", json.dumps(merged))

    def log_in(self, seconds: float, email: str = "demo.user@example.com") -> None:
        atomic_write_text(self.dir / "session.json", json.dumps({"email": email, "expires_at": time.time() + seconds}))

    def log_out(self) -> None:
        (self.dir / "session.json").unlink(missing_ok=True)

    @property
    def key_present(self) -> bool:
        return bool(self.knobs().get("key_present", True))


class DemoKeyDetector:
    """The demo's "YubiKey": plugged in or not as the fake vouch's ``key_present`` knob says."""

    def __init__(self, state: FakeVouchState) -> None:
        self.state = state

    def present(self):
        from vouch_desktop.core.vouch.yubikey import KeyPresence

        return KeyPresence(self.state.key_present, name="YubiKey 5C NFC (demo)" if self.state.key_present else "")
