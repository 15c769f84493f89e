"""Key presence: python-fido2 (a software CTAP2 authenticator standing in for a YubiKey) and, on Linux, sysfs read
without python-fido2 as python-fido2 reads the devices (checked against it)."""

from __future__ import annotations

import struct
import sys

import pytest
from fido2 import cbor
from fido2.ctap import CtapDevice
from fido2.hid import CAPABILITY, CTAPHID
from fido2.hid.base import HidDescriptor
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

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


# ---------------------------------------------------------------- Linux: sysfs, without python-fido2
# HID report descriptors as devices send them (read with `cat /sys/class/hidraw/hidraw*/device/report_descriptor`):
# a YubiKey 5's FIDO interface (usage page 0xF1D0, usage 1, 64-byte input and output reports) and a keyboard
YUBIKEY_FIDO_DESCRIPTOR = bytes.fromhex(
    "06d0f10901a1010920150026ff007508954081020921150026ff00750895409102c0")
KEYBOARD_DESCRIPTOR = bytes.fromhex(
    "05010906a101050719e029e71500250175019508810295017508810195057501050819012905910295017503910195067508"
    "150025650507190029658100c0")


def fake_sysfs(root, devices):
    """/sys/class/hidraw/<name>/device/{report_descriptor,uevent} and /dev/<name>, as the kernel lays them out."""
    sysfs, dev = root / "sys", root / "dev"
    sysfs.mkdir(parents=True, exist_ok=True)
    dev.mkdir(exist_ok=True)
    for name, (descriptor, hid_id, hid_name) in devices.items():
        folder = root / "hid" / name
        folder.mkdir(parents=True)
        (folder / "report_descriptor").write_bytes(descriptor)
        (folder / "uevent").write_text(f"DRIVER=hid-generic\nHID_ID={hid_id}\nHID_NAME={hid_name}\n"
                                       f"HID_PHYS=usb-0000:00:14.0-1/input1\nMODALIAS=hid:b0003\n")
        (sysfs / name).mkdir()
        (sysfs / name / "device").symlink_to(folder)
        (dev / name).write_bytes(b"")
    return sysfs, dev


def test_sysfs_detector_sees_a_yubikey_and_not_a_keyboard(tmp_path):
    from vouch_desktop.core.vouch.yubikey import HidrawKeyDetector

    sysfs, dev = fake_sysfs(tmp_path, {
        "hidraw0": (KEYBOARD_DESCRIPTOR, "0003:0000046D:0000C31C", "Logitech USB Keyboard"),
        "hidraw1": (YUBIKEY_FIDO_DESCRIPTOR, "0003:00001050:00000407", "Yubico YubiKey OTP+FIDO+CCID")})
    detector = HidrawKeyDetector(sysfs, dev)
    assert [(d.vid, d.pid, d.path) for d in detector.devices()] == [(0x1050, 0x0407, str(dev / "hidraw1"))]
    assert detector.present() == KeyPresence(True, name="Yubico YubiKey OTP+FIDO+CCID")
    (dev / "hidraw1").chmod(0)  # a node this user cannot open: left out, as python-fido2 leaves it out
    import os

    if os.geteuid() != 0:  # root reads anything
        assert detector.present() == KeyPresence(False)
    (sysfs / "hidraw1").rename(tmp_path / "gone")  # unplugged
    assert detector.present().menu_text == "YubiKey: not found"


def test_sysfs_detector_without_hidraw_or_with_a_device_leaving(tmp_path):
    from vouch_desktop.core.vouch.yubikey import HidrawKeyDetector

    assert HidrawKeyDetector(tmp_path / "no-hidraw", tmp_path).present() == KeyPresence(False)
    sysfs, dev = fake_sysfs(tmp_path, {"hidraw2": (YUBIKEY_FIDO_DESCRIPTOR, "0003:00001050:00000407", "YubiKey")})
    (tmp_path / "hid" / "hidraw2" / "report_descriptor").unlink()  # removed between the listing and the read
    assert HidrawKeyDetector(sysfs, dev).present() == KeyPresence(False)


def test_sysfs_hidden_but_device_nodes_there_falls_back_to_python_fido2(tmp_path):
    from vouch_desktop.core.vouch.yubikey import HidrawKeyDetector

    (tmp_path / "hidraw3").write_bytes(b"")  # /dev/hidraw3 without /sys/class/hidraw (a sandbox hiding /sys)
    fido2 = Fido2KeyDetector(lambda: [yubikey_descriptor()])
    detector = HidrawKeyDetector(tmp_path / "no-sysfs", tmp_path, fallback=fido2)
    assert detector.present() == KeyPresence(True, name="YubiKey OTP+FIDO+CCID")
    assert HidrawKeyDetector(tmp_path / "no-sysfs", tmp_path / "no-dev").present() == KeyPresence(False)


def test_real_sysfs_enumeration_agrees_with_python_fido2_on_this_machine():
    from fido2.hid import list_descriptors

    from vouch_desktop.core.vouch.yubikey import HidrawKeyDetector, key_detector_for_platform

    if not sys.platform.startswith("linux"):
        pytest.skip("sysfs is Linux's")
    assert isinstance(key_detector_for_platform(), HidrawKeyDetector)
    ours = sorted((d.path, d.vid, d.pid) for d in HidrawKeyDetector().devices())
    assert ours == sorted((d.path, d.vid, d.pid) for d in list_descriptors())


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=64),
    # descriptors made of real items (FIDO's and others, sizes 0-3 bytes), so that most get far into the parse
    st.lists(st.sampled_from([b"\x06\xd0\xf1", b"\x05\x01", b"\x04", b"\x09\x01", b"\x09\x06", b"\x08", b"\xa1\x01",
                              b"\x75\x08", b"\x95\x40", b"\x95\x00", b"\x75\x00", b"\x81\x02", b"\x91\x02", b"\x80",
                              b"\x90", b"\xc0", b"\x07\x01\x02\x03", b"\x26\xff\x00", b"\x15\x00"]),
             max_size=24).map(b"".join)))
@example(b"\x04\x06\xd0\xf1\x08\x09\x01")  # usage page and usage before any report: python-fido2 lists it, sizes None
def test_sysfs_parse_agrees_with_python_fido2(descriptor):
    from fido2.hid.base import parse_report_descriptor

    from vouch_desktop.core.vouch.yubikey import fido_report_sizes

    try:
        expected = tuple(parse_report_descriptor(descriptor))
    except ValueError:
        expected = None
    assert fido_report_sizes(descriptor) == expected
    assert fido_report_sizes(YUBIKEY_FIDO_DESCRIPTOR) == (64, 64)
