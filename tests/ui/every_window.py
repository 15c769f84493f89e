"""Every window of the app, built with sample content (one place, for the geometry probe and the
keyboard tests)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtWidgets import QWidget

from vouch_desktop.core.aws.discovery import DiscoveredInstance, DiscoveryResult, RegionFailure
from vouch_desktop.core.connect.diagnostics import CheckResult
from vouch_desktop.core.connect.terminals import registry
from vouch_desktop.core.storage.history import History
from vouch_desktop.core.storage.profiles import InstanceProfile, ProfileBook, TunnelProfile
from vouch_desktop.core.storage.settings import Settings
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.core.vouch.client import VouchClient
from vouch_desktop.ui.windows.about_dialog import AboutDialog
from vouch_desktop.ui.windows.aws_setup_dialog import AwsSetupDialog
from vouch_desktop.ui.windows.diagnostics_window import DiagnosticsWindow
from vouch_desktop.ui.windows.history_window import HistoryWindow
from vouch_desktop.ui.windows.instance_browser import InstanceBrowser
from vouch_desktop.ui.windows.login_dialog import LoginDialog
from vouch_desktop.ui.windows.profile_dialogs import InstanceProfileDialog, TunnelProfileDialog
from vouch_desktop.ui.windows.profiles_window import ProfilesWindow
from vouch_desktop.ui.windows.settings_window import SettingsWindow


def every_window(root: Path) -> dict[str, QWidget]:
    paths = AppPaths.under(root).ensure()
    book = ProfileBook(paths)
    book.load()
    if not book.instances:
        book.add(InstanceProfile("web-1", "i-0123456789abcdef0", "eu-west-1"))
        book.add(TunnelProfile("orders", "Name=bastion-*", 5432, "eu-west-1", "orders.example.com", local_port=15432))
    history = History(paths.history_file)
    history.add("connect", profile="web-1", target="i-0123456789abcdef0", region="eu-west-1")
    browser = InstanceBrowser(refresh=lambda: None, connect=lambda i: None, save_profile=lambda i: None,
                              open_ssh=lambda i: None, ssh_user=lambda i: "")
    instances = [DiscoveredInstance(f"i-{n:017x}", "eu-west-1", f"web-{n}", "running", f"10.0.0.{n}", "Linux", True,
                                    "Online") for n in range(40)]
    browser.set_result(DiscoveryResult("vouch", ["eu-west-1"], instances,
                                       [RegionFailure("ap-south-1", "AWS denied access to this region")],
                                       datetime.now(UTC)))
    diagnostics = DiagnosticsWindow(rerun=lambda: None)
    diagnostics.set_results([CheckResult("vouch", True, "vouch 0.9 found"),
                             CheckResult("AWS access", False, "AWS denied access", "Log in again", True)])
    login = LoginDialog(lambda: None)  # type: ignore[arg-type,return-value]
    login.show_error("The PIN is incorrect (7 attempts remaining). Type it again.")
    return {
        "instances": browser,
        "profiles": ProfilesWindow(book, lambda p: None, lambda p: None),
        "history": HistoryWindow(history, paths.log_dir),
        "diagnostics": diagnostics,
        "settings": SettingsWindow(Settings(), profiles=["vouch"], terminals=registry("linux"), save=lambda s: None,
                                   test_terminal=lambda s: None),
        "instance-profile": InstanceProfileDialog(InstanceProfile("", "", "eu-west-1"), ["eu-west-1"], lambda p: None),
        "tunnel-profile": TunnelProfileDialog(TunnelProfile("", "", 5432, "eu-west-1"), ["eu-west-1"], lambda p: None,
                                              title="New tunnel"),
        "login": login,
        "about": AboutDialog(paths, lambda: None),
        "aws-setup": AwsSetupDialog(VouchClient(None), regions=["eu-west-1"]),
    }
