"""Dark mode (issue #21): the app follows the system colour scheme (Qt's styleHints().colorScheme()
and its colorSchemeChanged signal) — the tray icon, the menu's status icons and the windows — and
each icon is readable on the panel or menu of its scheme."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPalette

from tests.ui.tray_parts import make_tray_app
from vouch_desktop.core.app.tunnel_view import TunnelLook
from vouch_desktop.core.tunnels.state import TunnelState
from vouch_desktop.ui.icons import STATE_ICONS, tray_icon
from vouch_desktop.ui.status_icons import STATUS_COLOURS, status_icon
from vouch_desktop.ui.theme import dark_palette, palette_is_dark
from vouch_desktop.ui.tray import TrayIcon, find_action

LIGHT_PANEL, DARK_PANEL = QColor("#efefef"), QColor("#2b2b2b")  # Fusion's light window, our dark one


def luminance(colour: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def contrast(a: QColor, b: QColor) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def silhouette_contrast(icon_image: QImage, panel: QColor) -> float:
    """The share of the icon's rim (opaque pixels next to transparent ones) that stands out from
    ``panel`` by WCAG's 3:1 for graphics: whether the shape can be made out on that panel."""
    canvas = QImage(icon_image.size(), QImage.Format.Format_ARGB32)
    canvas.fill(panel)
    painter = QPainter(canvas)
    painter.drawImage(0, 0, icon_image)
    painter.end()
    size = icon_image.width()

    def opaque(x: int, y: int) -> bool:
        return 0 <= x < size and 0 <= y < size and icon_image.pixelColor(x, y).alpha() > 128

    rim = [(x, y) for y in range(size) for x in range(size) if opaque(x, y)
           and not all(opaque(x + dx, y + dy) for dx in (-2, 0, 2) for dy in (-2, 0, 2))]
    return sum(1 for x, y in rim if contrast(canvas.pixelColor(x, y), panel) >= 3.0) / len(rim)


@pytest.fixture
def scheme(qapp):
    """Say the system switched its scheme, as the platform does (the signal); the palette is restored."""
    hints = QGuiApplication.styleHints()

    def switch(to: Qt.ColorScheme) -> None:
        hints.colorSchemeChanged.emit(to)
        qapp.processEvents()  # the palette reaches open windows as a posted event

    yield switch
    switch(Qt.ColorScheme.Light)
    qapp.setPalette(QPalette())


def image(icon, size: int = 32) -> QImage:
    return icon.pixmap(size, size).toImage()


def test_the_tray_icon_follows_the_scheme_when_it_changes(qapp, scheme):
    tray = TrayIcon()
    tray.set_status("valid", "Logged in")
    tray.set_tunnels_up(True)
    scheme(Qt.ColorScheme.Light)
    assert not tray.theme.dark
    assert image(tray.icon.icon()) == image(tray_icon("valid", True, dark=False))
    scheme(Qt.ColorScheme.Dark)
    assert tray.theme.dark
    assert image(tray.icon.icon()) == image(tray_icon("valid", True, dark=True))
    assert image(tray.icon.icon()) != image(tray_icon("valid", True, dark=False))
    scheme(Qt.ColorScheme.Light)
    assert image(tray.icon.icon()) == image(tray_icon("valid", True, dark=False))
    tray.hide()


def test_each_tray_icon_stands_out_on_the_panel_of_its_scheme(qapp):
    for state in STATE_ICONS:
        light_on_light = silhouette_contrast(image(tray_icon(state), 64), LIGHT_PANEL)
        dark_on_dark = silhouette_contrast(image(tray_icon(state, dark=True), 64), DARK_PANEL)
        light_on_dark = silhouette_contrast(image(tray_icon(state), 64), DARK_PANEL)
        # each variant's shape can be made out on its own panel; the light one's dark outline would
        # vanish on a dark panel, which is why there is a dark variant
        assert light_on_light >= 0.75 and dark_on_dark >= 0.75, (state, light_on_light, dark_on_dark)
        assert light_on_dark < 0.5 * dark_on_dark, (state, light_on_dark)


def test_status_icon_colours_have_contrast_on_the_menu_of_each_scheme(qapp):
    light_menu = QColor("#ffffff")
    dark_menu = dark_palette().color(QPalette.ColorRole.Window)
    for look, (light, dark) in STATUS_COLOURS.items():
        assert contrast(QColor(light), light_menu) >= 3.0, look
        assert contrast(QColor(light), LIGHT_PANEL) >= 3.0, look
        assert contrast(QColor(dark), dark_menu) >= 3.0, look
        assert image(status_icon(look, True)) != image(status_icon(look, False))


def test_the_menus_status_icons_and_the_windows_follow_the_scheme(qapp, scheme, tmp_path, fake_vouch):
    app = make_tray_app(tmp_path, fake_vouch.path)
    app.set_tunnel("orders-db", TunnelState.UP)
    scheme(Qt.ColorScheme.Dark)
    assert palette_is_dark(qapp.palette())  # the platform theme here keeps a light palette: ours is set
    app.open_menu()
    item = find_action(app.tray.submenu("Tunnels"), "orders-db")
    assert image(item.icon(), 16) == image(status_icon(TunnelLook.UP, True), 16)
    window = app.windows.tunnels.show_details("orders-db")
    assert palette_is_dark(window.palette())
    scheme(Qt.ColorScheme.Light)
    assert not palette_is_dark(qapp.palette()) and not palette_is_dark(window.palette())
    app.open_menu()
    item = find_action(app.tray.submenu("Tunnels"), "orders-db")
    assert image(item.icon(), 16) == image(status_icon(TunnelLook.UP, False), 16)
    app.windows.close_all()


PROBE = """
import json, sys
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from vouch_desktop.ui.icons import tray_icon
from vouch_desktop.ui.theme import palette_is_dark
from vouch_desktop.ui.tray import TrayIcon
tray = TrayIcon()
seen = []
def look():
    app.processEvents()
    icon = tray.icon.icon().pixmap(32, 32).toImage()
    seen.append({"scheme": QGuiApplication.styleHints().colorScheme().name, "dark": tray.theme.dark,
                 "dark icon": icon == tray_icon("logged-out", dark=True).pixmap(32, 32).toImage(),
                 "dark palette": palette_is_dark(app.palette())})
for scheme in (Qt.ColorScheme.Light, Qt.ColorScheme.Dark, Qt.ColorScheme.Light):
    QGuiApplication.styleHints().setColorScheme(scheme)
    look()
print(json.dumps(seen))
"""


@pytest.mark.desktop
def test_a_real_platform_theme_switching_its_scheme_switches_the_app(tmp_path):
    """GTK's platform theme (as on a GNOME desktop) switches for real: the app follows its signal."""
    env = dict(os.environ, QT_QPA_PLATFORMTHEME="gtk3", QT_QPA_PLATFORM="xcb", PYTHONPATH=os.getcwd(),
               NO_AT_BRIDGE="1", GTK_A11Y="none")  # no accessibility bus started for a probe
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == [{"scheme": "Light", "dark": False, "dark icon": False, "dark palette": False},
                    {"scheme": "Dark", "dark": True, "dark icon": True, "dark palette": True},
                    {"scheme": "Light", "dark": False, "dark icon": False, "dark palette": False}]
