"""Opens every window of the app the way the tray does (through the Keeper) in a fresh process, so
that QT_SCALE_FACTOR and the screen are the caller's, and prints what a user would see of each as
JSON: the screen's free area, the window's frame, and any visible button or field that lies outside
the screen. Run by tests/ui/test_window_geometry.py as `python -m tests.ui.window_fit_probe DIR`."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QComboBox,
    QLineEdit,
    QWidget,
)

from vouch_desktop.core.aws.discovery import DiscoveredInstance, DiscoveryResult, RegionFailure
from vouch_desktop.core.connect.diagnostics import CheckResult
from vouch_desktop.core.connect.terminals import registry
from vouch_desktop.core.storage.history import History
from vouch_desktop.core.storage.profiles import InstanceProfile, ProfileBook, TunnelProfile
from vouch_desktop.core.storage.settings import Settings
from vouch_desktop.core.storage.ui_state import UiState
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.ui.windows.about_dialog import AboutDialog
from vouch_desktop.ui.windows.ask import Keeper
from vouch_desktop.ui.windows.diagnostics_window import DiagnosticsWindow
from vouch_desktop.ui.windows.history_window import HistoryWindow
from vouch_desktop.ui.windows.instance_browser import InstanceBrowser
from vouch_desktop.ui.windows.login_dialog import LoginDialog
from vouch_desktop.ui.windows.profile_dialogs import InstanceProfileDialog, TunnelProfileDialog
from vouch_desktop.ui.windows.profiles_window import ProfilesWindow
from vouch_desktop.ui.windows.settings_window import SettingsWindow


def windows(root: Path) -> dict[str, QWidget]:
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
    }


def outside(window: QWidget, area: QRect) -> list[str]:
    """The visible controls of ``window`` (and the scrolling areas that hold some) that are not wholly on
    the screen's free area. A control scrolled out of its area's view is reached by scrolling."""
    found = []
    for child in window.findChildren(QWidget):
        if not isinstance(child, QAbstractButton | QLineEdit | QComboBox | QAbstractScrollArea) \
                or not child.isVisibleTo(window) or child.visibleRegion().isEmpty():
            continue
        rect = QRect(child.mapToGlobal(QPoint(0, 0)), child.size())
        if not area.contains(rect):
            found.append(f"{type(child).__name__} {getattr(child, 'text', lambda: '')()!r} at {rect.getRect()}")
    return found


def main() -> None:
    root = Path(sys.argv[1])
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    ui_state = UiState(AppPaths.under(root).ensure())
    ui_state.load()
    keeper = Keeper(ui_state)
    report = {}
    for name, window in windows(root).items():
        keeper.show(window)
        for _ in range(20):
            app.processEvents()
        area = window.screen().availableGeometry()
        report[name] = {"title": window.windowTitle(), "area": area.getRect(),
                        "frame": window.frameGeometry().getRect(), "size": [window.width(), window.height()],
                        "outside": outside(window, area)}
        window.close()
        app.processEvents()
    print(json.dumps({"scale": app.devicePixelRatio(), "windows": report}))


if __name__ == "__main__":
    main()
