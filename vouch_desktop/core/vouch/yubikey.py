"""Is a security key plugged in? FIDO HID enumeration (python-fido2), behind one small interface.

Enumeration only lists HID descriptors, it does not open the devices, so polling every couple of
seconds costs next to nothing and never disturbs a key that vouch is talking to. Some keys are
not visible this way (permissions on /dev/hidraw*, a key behind a remote desktop): the detector
then says "unknown" with the reason, and Settings lets the user log in regardless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from fido2.ctap import CtapDevice

log = logging.getLogger(__name__)
YUBICO_VENDOR_ID = 0x1050


@dataclass(frozen=True)
class KeyPresence:
    present: bool
    name: str = ""
    known: bool = True  # False: we could not look (the reason is in ``detail``)
    detail: str = ""

    @property
    def menu_text(self) -> str:
        if not self.known:
            return "YubiKey: unknown"
        return f"YubiKey: connected ({self.name})" if self.present and self.name else (
            "YubiKey: connected" if self.present else "YubiKey: not found")


class KeyDetector(Protocol):
    def present(self) -> KeyPresence: ...


def _describe(descriptors: list) -> KeyPresence:
    if not descriptors:
        return KeyPresence(False)
    yubico = [d for d in descriptors if getattr(d, "vid", None) == YUBICO_VENDOR_ID]
    chosen = (yubico or descriptors)[0]
    name = getattr(chosen, "product_name", None) or ("YubiKey" if yubico else "security key")
    return KeyPresence(True, name=str(name))


class Fido2KeyDetector:
    def __init__(self, list_descriptors: Callable[[], Iterable] | None = None) -> None:
        if list_descriptors is None:
            from fido2.hid import list_descriptors as fido2_list

            list_descriptors = fido2_list
        self._list = list_descriptors

    def present(self) -> KeyPresence:
        try:
            return _describe(list(self._list()))
        except Exception as exc:  # OSError on hidraw permissions, missing backends on odd platforms
            log.info("cannot enumerate FIDO devices: %s", exc)
            return KeyPresence(False, known=False, detail=f"Cannot look for security keys: {exc}")


@dataclass(frozen=True)
class KeyInfo:
    versions: tuple[str, ...]
    pin_set: bool | None
    aaguid: str


def key_info(device: CtapDevice) -> KeyInfo:
    """Ask an open CTAP device what it is (CTAP2 getInfo); for diagnostics, not for polling."""
    from fido2.ctap2 import Ctap2

    info = Ctap2(device).info
    return KeyInfo(tuple(info.versions), info.options.get("clientPin"), str(info.aaguid))


async def watch_key(detector: KeyDetector, on_change: Callable[[KeyPresence], None], interval: float = 2.0) -> None:
    """Calls ``on_change`` at start and whenever the presence changes; runs until cancelled.

    Enumeration reads a few sysfs entries (no device is opened), well under a millisecond, so it
    runs right on the loop: a thread hand-off would cost more wake-ups than the check itself."""
    last: KeyPresence | None = None
    while True:
        current = detector.present()
        if current != last:
            last = current
            on_change(current)
        await asyncio.sleep(interval)
