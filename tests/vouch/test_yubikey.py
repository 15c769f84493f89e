"""Key presence through python-fido2, with a software CTAP2 authenticator standing in for a YubiKey."""

from __future__ import annotations

import struct

import pytest
from fido2 import cbor
from fido2.ctap import CtapDevice
from fido2.hid import CAPABILITY, CTAPHID
from fido2.hid.base import HidDescriptor

from vouch_desktop.core.vouch.yubikey import Fido2KeyDetector, KeyPresence, key_info

AAGUID = bytes.fromhex("ee882879721c491397753dfcce97072a")  # YubiKey 5 series


class SoftwareAuthenticator(CtapDevice):
    """Answers CTAP2 authenticatorGetInfo like a YubiKey 5 with a PIN set."""

    def __init__(self):
        self.requests = []

    @property
    def capabilities(self):
        return CAPABILITY.CBOR

    def call(self, cmd, data=b"", event=None, on_keepalive=None):
        self.requests.append((cmd, data))
        if cmd == CTAPHID.CBOR and data[:1] == b"\x04":  # authenticatorGetInfo
            info = {1: ["U2F_V2", "FIDO_2_0", "FIDO_2_1"], 3: AAGUID, 4: {"rk": True, "clientPin": True, "up": True}}
            return b"\x00" + cbor.encode(info)
        return struct.pack(">B", 0x01)  # CTAP1_ERR_INVALID_COMMAND

    @classmethod
    def list_devices(cls):
        return iter([cls()])


def yubikey_descriptor():
    return HidDescriptor("/dev/hidraw7", 0x1050, 0x0407, 64, 64, "YubiKey OTP+FIDO+CCID", None)


def test_enumeration_reports_the_key_and_its_absence():
    plugged = [yubikey_descriptor()]
    detector = Fido2KeyDetector(lambda: list(plugged))
    assert detector.present() == KeyPresence(True, name="YubiKey OTP+FIDO+CCID")
    assert detector.present().menu_text == "YubiKey: connected (YubiKey OTP+FIDO+CCID)"
    plugged.clear()
    assert detector.present().menu_text == "YubiKey: not found"


def test_enumeration_failure_is_unknown_with_the_reason():
    def denied():
        raise PermissionError(13, "Permission denied: '/dev/hidraw0'")

    presence = Fido2KeyDetector(denied).present()
    assert presence.known is False and "Permission denied" in presence.detail
    assert presence.menu_text == "YubiKey: unknown"


def test_key_info_through_ctap2_get_info():
    device = SoftwareAuthenticator()
    info = key_info(device)
    assert "FIDO_2_1" in info.versions and info.pin_set is True
    assert info.aaguid.replace("-", "") == AAGUID.hex()
    assert device.requests[0] == (CTAPHID.CBOR, b"\x04")


def test_real_enumeration_runs_on_this_machine():
    # no key here: the real HID enumeration must answer "not found" or "unknown", never crash
    presence = Fido2KeyDetector().present()
    assert presence.present is False or presence.name


@pytest.mark.hardware
def test_a_real_yubikey_is_seen():
    presence = Fido2KeyDetector().present()
    assert presence.present, "plug in a YubiKey to run this test"
