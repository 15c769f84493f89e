"""``vouch-desktop --self-check``: is this installation whole? For packagers and support.

A frozen app can be missing what only shows at run time: Qt's platform plugin, the SVG image
plugin the tray icons need, keyring's backends (found through package metadata: without it keyring
quietly falls back to its "fail" backend), botocore's service models and CA bundle, the demo's
moto; on macOS, the bundle's Info.plist as PyInstaller wrote it (a menu-bar app: no Dock icon). Each
check prints one line; the exit code is 1 when any failed.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

PLATFORM_PLUGINS = {"linux": "libqxcb.so", "darwin": "libqcocoa.dylib", "win32": "qwindows.dll"}
SVG_PLUGINS = {"linux": "libqsvg.so", "darwin": "libqsvg.dylib", "win32": "qsvg.dll"}


class CheckFailed(Exception):
    pass


def qt_plugins() -> str:
    from PySide6.QtCore import QLibraryInfo

    folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    platform = sys.platform if sys.platform in PLATFORM_PLUGINS else "linux"
    wanted = [folder / "platforms" / PLATFORM_PLUGINS[platform], folder / "imageformats" / SVG_PLUGINS[platform]]
    missing = [str(path.relative_to(folder)) for path in wanted if not path.exists()]
    if missing:
        raise CheckFailed(f"missing in {folder}: {', '.join(missing)}")
    return ", ".join(path.name for path in wanted)


def icons() -> str:
    from vouch_desktop.core.system.resources import resource

    names = [entry.name for entry in resource("icons").iterdir() if entry.name.endswith(".svg")]
    if "app.svg" not in names:
        raise CheckFailed("the icons in resources/icons are missing")
    return f"{len(names)} icons"


def deferred_tls() -> str:
    """asyncio imported without OpenSSL (core/system/deferred_ssl.py) gets all of TLS once ssl is imported, in
    this build too (the frozen app's own importer finds ssl). First of the checks: the AWS SDK's imports ssl."""
    from vouch_desktop.core.system.deferred_ssl import asyncio_has_ssl, import_asyncio_without_ssl

    deferred = import_asyncio_without_ssl()
    import asyncio.sslproto
    import ssl

    sslproto = asyncio.sslproto
    if not asyncio_has_ssl() or getattr(sslproto, "ssl", None) is not ssl or not hasattr(sslproto, "SSLAgainErrors"):
        raise CheckFailed("asyncio has no TLS after ssl was imported: tunnels to AWS could not open")
    return "asyncio imported without OpenSSL, TLS complete once ssl came" if deferred else (
        "asyncio imported the normal way (ssl there already, or a Python not checked for the deferral)")


def trimmed_aws_models() -> str:
    """The AWS models' parts the app uses (core/aws/trimmed_models.py) are in the build and read first."""
    from botocore.loaders import create_loader

    from vouch_desktop.core.aws.trimmed_models import OPERATIONS, extend

    loader = extend(create_loader())
    for service, operations in OPERATIONS.items():
        model = loader.load_service_model(service, "service-2")
        if sorted(model["operations"]) != sorted(operations):
            raise CheckFailed(f"botocore reads its own {service} model, not the trimmed one: is service_models/ "
                              "in the build?")
    return ", ".join(OPERATIONS)


def keyring_backends() -> str:
    import keyring

    found = sorted(entry.name for entry in importlib.metadata.entry_points(group="keyring.backends"))
    if not found:
        raise CheckFailed("no backends found (keyring's package metadata is missing): it can only fail")
    chosen = keyring.get_keyring()
    return f"{type(chosen).__module__}.{type(chosen).__name__} in use; found {', '.join(found)}"


def aws_sdk() -> str:
    import botocore.httpsession
    import botocore.session

    session = botocore.session.get_session()
    for service in ("ec2", "rds", "ssm", "sts"):
        session.get_service_model(service)
    cert_path = botocore.httpsession.get_cert_path(True)
    if not cert_path or not Path(cert_path).is_file():
        raise CheckFailed("botocore's CA bundle is missing: HTTPS to AWS would fail")
    return "ec2, rds, ssm, sts models and the CA bundle"


def yubikey_support() -> str:
    import fido2.hid  # noqa: F401  (imports the platform's HID backend)

    return f"fido2 {importlib.metadata.version('fido2')}"


def demo() -> str:
    from vouch_desktop.demo.fake_tools import TOOLS, demo_bin_dir

    missing = [name for name in TOOLS if not (demo_bin_dir() / name).is_file()]
    if missing or importlib.util.find_spec("moto") is None:
        raise CheckFailed(f"the demo is incomplete: missing {', '.join(missing) or 'moto'}")
    return "moto and the fake vouch and session-manager-plugin"


def menu_bar_only(info: dict[str, object]) -> str:
    """An app bundle's Info.plist says: menu bar only (LSUIElement: no Dock icon, no application menu),
    and not background-only (LSBackgroundOnly, which PyInstaller sets for a console executable, would
    allow no menu-bar icon at all)."""
    if info.get("LSUIElement") is not True:
        raise CheckFailed("Info.plist lacks LSUIElement: the app would show a Dock icon")
    if info.get("LSBackgroundOnly") is True:
        raise CheckFailed("Info.plist has LSBackgroundOnly: the app could show no menu-bar icon")
    return f"{info.get('CFBundleIdentifier')} {info.get('CFBundleShortVersionString')}, menu bar only"


def macos_bundle() -> str:
    """The frozen macOS app's own Info.plist (Contents/Info.plist, beside Contents/MacOS/<executable>)."""
    if sys.platform != "darwin" or not getattr(sys, "frozen", False):
        return "not a macOS app bundle"
    import plistlib

    plist = Path(sys.executable).resolve().parents[1] / "Info.plist"
    try:
        info = plistlib.loads(plist.read_bytes())
    except (OSError, ValueError) as exc:
        raise CheckFailed(f"{plist} cannot be read: {exc}") from exc
    return menu_bar_only(info)


CHECKS: list[tuple[str, Callable[[], str]]] = [
    ("TLS", deferred_tls), ("Qt plugins", qt_plugins), ("icons", icons), ("keyring", keyring_backends),
    ("AWS SDK", aws_sdk), ("trimmed AWS models", trimmed_aws_models),
    ("YubiKey", yubikey_support), ("demo", demo), ("macOS bundle", macos_bundle),
]


def run() -> int:
    failed = 0
    for name, check in CHECKS:
        try:
            line = f"ok    {name}: {check()}"
        except Exception as exc:  # noqa: BLE001  (a broken bundle fails in any way: report it, go on)
            failed += 1
            line = f"FAIL  {name}: {exc}"
        print(line, flush=True)
    return 1 if failed else 0
