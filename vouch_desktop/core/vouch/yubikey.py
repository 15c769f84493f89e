"""Is a security key plugged in? FIDO HID enumeration behind one small interface.

On Linux the FIDO devices are read from sysfs (each hidraw device's report descriptor and uevent),
without opening a device and without python-fido2, whose import brings the cryptography library
(~9 MB resident) into a tray icon that only needs to know whether a key is there; elsewhere
python-fido2 enumerates, imported at the first check. Polling every couple of seconds costs next to
nothing and never disturbs a key that vouch is talking to. Some keys are not visible this way
(permissions on /dev/hidraw*, a key behind a remote desktop): the detector then says "unknown" with
the reason (or, as python-fido2 does, leaves out a device it could not open), and Settings lets the
user log in regardless. python-fido2 is still what asks a key what it is (``key_info``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from fido2.ctap import CtapDevice

log = logging.getLogger(__name__)
YUBICO_VENDOR_ID = 0x1050
FIDO_USAGE_PAGE = 0xF1D0  # the FIDO Alliance's HID usage page, and its CTAPHID usage
FIDO_USAGE = 0x01
SYS_HIDRAW = Path("/sys/class/hidraw")


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
    """python-fido2's enumeration (macOS, Windows, BSD), imported at the first check."""

    def __init__(self, list_descriptors: Callable[[], Iterable] | None = None) -> None:
        self._list = list_descriptors

    def present(self) -> KeyPresence:
        try:
            if self._list is None:
                from fido2.hid import list_descriptors as fido2_list

                self._list = fido2_list
            return _describe(list(self._list()))
        except Exception as exc:  # OSError on hidraw permissions, missing backends on odd platforms
            log.info("cannot enumerate FIDO devices: %s", exc)
            return KeyPresence(False, known=False, detail=f"Cannot look for security keys: {exc}")


def fido_report_sizes(data: bytes) -> tuple[int | None, int | None] | None:
    """The (input, output) report sizes of a FIDO device's HID report descriptor, or None when it does not
    describe one. python-fido2's reading (``fido2.hid.base.parse_report_descriptor``) item for item, so
    that both see the same devices (tests/vouch/test_yubikey.py checks them against each other): the first
    usage page and usage must be FIDO's and CTAPHID, with an input and an output report."""
    usage = usage_page = max_in = max_out = count = size = None
    remaining = 4  # usage page, usage, input size, output size
    position = 0
    while position < len(data) and remaining:
        head = data[position]
        key, length = head & 0xFC, head & 0x03
        value = int.from_bytes(data[position + 1:position + 1 + length], "little")
        position += 1 + length
        if count is not None and size is not None:
            if key == 0x80 and max_in is None:  # Input item
                max_in, count, size, remaining = count * size // 8, None, None, remaining - 1
            elif key == 0x90 and max_out is None:  # Output item
                max_out, count, size, remaining = count * size // 8, None, None, remaining - 1
        if key == 0x04:  # Usage Page
            if not usage_page:
                usage_page, remaining = value, remaining - 1
        elif key == 0x08:  # Usage
            if not usage:
                usage, remaining = value, remaining - 1
        elif key == 0x94:  # Report Count
            count = count or value
        elif key == 0x74:  # Report Size
            size = size or value
    if remaining or usage_page != FIDO_USAGE_PAGE or usage != FIDO_USAGE:
        return None
    return max_in, max_out  # None where the usages came before any report (python-fido2 still lists it)


@dataclass(frozen=True)
class HidDevice:
    path: str
    vid: int
    pid: int
    product_name: str


def _uevent(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


class HidrawKeyDetector:
    """Linux: the FIDO devices among the hidraw devices, read from sysfs without opening any (and without
    python-fido2). A device node this user cannot read is left out, as python-fido2 leaves it out (it
    cannot open it, and neither can vouch)."""

    def __init__(self, sysfs: Path = SYS_HIDRAW, dev: Path = Path("/dev"), fallback: KeyDetector | None = None) -> None:
        self.sysfs, self.dev = sysfs, dev
        self.fallback = fallback  # python-fido2's enumeration, where sysfs does not show the devices

    def devices(self) -> list[HidDevice]:
        if not self.sysfs.is_dir():  # no hidraw driver loaded: no HID device at all
            return []
        found = []
        for entry in sorted(self.sysfs.iterdir()):
            try:
                descriptor = (entry / "device" / "report_descriptor").read_bytes()
                uevent = _uevent((entry / "device" / "uevent").read_text(errors="replace"))
            except OSError:  # unplugged while we looked
                continue
            node = self.dev / entry.name
            if fido_report_sizes(descriptor) is None or not os.access(node, os.R_OK):
                continue
            _bus, vendor, product = (uevent.get("HID_ID", "") + "::").split(":")[:3]
            found.append(HidDevice(str(node), int(vendor or "0", 16), int(product or "0", 16),
                                   uevent.get("HID_NAME", "")))
        return found

    def present(self) -> KeyPresence:
        if not self.sysfs.is_dir() and any(self.dev.glob("hidraw*")):
            # device nodes whose sysfs entries are hidden (a sandbox without /sys): python-fido2 opens the nodes
            if self.fallback is None:
                self.fallback = Fido2KeyDetector()
            return self.fallback.present()
        try:
            return _describe(self.devices())
        except (OSError, ValueError) as exc:
            log.info("cannot enumerate FIDO devices: %s", exc)
            return KeyPresence(False, known=False, detail=f"Cannot look for security keys: {exc}")


def key_detector_for_platform(platform: str = sys.platform) -> KeyDetector:
    return HidrawKeyDetector() if platform.startswith("linux") else Fido2KeyDetector()


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
