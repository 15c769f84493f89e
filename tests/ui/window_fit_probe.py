"""Opens every window of the app the way the tray does (through the Keeper) in a fresh process, so
that QT_SCALE_FACTOR and the screen are the caller's, and prints what a user would see of each as
JSON: the screen's free area, the window's frame, and any visible button or field that lies outside
the screen. Run by tests/ui/test_window_geometry.py as `python -m tests.ui.window_fit_probe DIR`."""

from __future__ import annotations

import json
import sys
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

from tests.ui.every_window import every_window
from vouch_desktop.core.storage.ui_state import UiState
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.ui.windows.ask import Keeper


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
    for name, window in every_window(root).items():
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
