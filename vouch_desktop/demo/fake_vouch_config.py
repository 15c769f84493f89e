"""Reads and changes the fake vouch's knobs and session (the demo menu and the tests use this).

The knobs (defaults in demo/bin/vouch ``DEFAULTS``): ``pin``, ``pin_set`` (False: a key without a PIN),
``pin_retries``, ``key_present``, ``touch_seconds``, ``touch_timeout``, ``session_seconds``, ``email``,
``network_down`` (the Vouch server cannot be reached), ``webauthn`` (log in as on Windows: the system's
Security dialog, no terminal), ``webauthn_result`` (``ok``, ``cancelled``, ``no_key``, ``timeout``),
``status_flags`` (``format``: the newest CLI; ``json``: an older one with ``status --json`` only), and the
faults ``hang``, ``exit_code``, ``malformed_status``, ``fail_credential``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from vouch_desktop.core.storage.atomic import atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    from vouch_desktop.core.vouch.yubikey import KeyPresence


class FakeVouchState:
    def __init__(self, state_dir: Path) -> None:
        self.dir = Path(state_dir)
        self.dir.mkdir(parents=True, exist_ok=True)

    def _read(self, name: str) -> dict:
        try:
            data = json.loads((self.dir / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def knobs(self) -> dict:
        return self._read("config.json")

    def configure(self, **knobs: object) -> None:
        merged = self.knobs()
        merged.update(knobs)
        atomic_write_text(self.dir / "config.json", json.dumps(merged))
        if knobs.get("key_present") is False:  # unplugged: the key's "three wrong PINs in a row" lock ends
            counters = self._read("pin.json")
            if counters:
                counters["since_plugged"] = 0
                atomic_write_text(self.dir / "pin.json", json.dumps(counters))

    def log_in(self, seconds: float, email: str = "demo.user@example.com") -> None:
        atomic_write_text(self.dir / "session.json", json.dumps({"email": email, "expires_at": time.time() + seconds}))

    def log_out(self) -> None:
        (self.dir / "session.json").unlink(missing_ok=True)

    def session(self) -> dict:
        return self._read("session.json")

    def set_pin_retries(self, retries: int) -> None:
        """How many wrong PINs the key still takes before it blocks (0: blocked now)."""
        atomic_write_text(self.dir / "pin.json", json.dumps({"retries": retries, "since_plugged": 0}))

    def override_status(self, output: bytes | None) -> None:
        """Make ``vouch status`` print exactly these bytes (None: its own answer again)."""
        path = self.dir / "status-stdout"
        if output is None:
            path.unlink(missing_ok=True)
        else:
            atomic_write_bytes(path, output)

    @property
    def key_present(self) -> bool:
        return bool(self.knobs().get("key_present", True))


class DemoKeyDetector:
    """The demo's "YubiKey": plugged in or not as the fake vouch's ``key_present`` knob says."""

    def __init__(self, state: FakeVouchState) -> None:
        self.state = state

    def present(self) -> KeyPresence:
        from vouch_desktop.core.vouch.yubikey import KeyPresence

        return KeyPresence(self.state.key_present, name="YubiKey 5C NFC (demo)" if self.state.key_present else "")
