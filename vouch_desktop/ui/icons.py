"""Tray icons: one SVG per login state, with a badge painted on while tunnels are up; a light and
a dark variant (ui/theme.py says which): on a dark panel the shield's dark outline disappears, so
the dark variant draws it light. On macOS the menu-bar icon is a template image instead
(``template_wanted``): monochrome, black where the icon has colour and transparent where it has its
white mark, marked with ``QIcon.setIsMask(True)`` so that macOS tints it for a light or dark menu
bar (and when it is highlighted); the states stay apart by their marks (check, clock, cross, …).
Loaded before the rest of the app (the icon shows first): keep this module light; the tunnels'
status icons are in ui/status_icons.py."""

from __future__ import annotations

import sys
from functools import cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from vouch_desktop.core.system.resources import resource

STATE_ICONS = ("logged-out", "valid", "expiring", "expired", "error")
SIZES = (16, 22, 24, 32, 48, 64)
OUTLINE_LIGHT_SCHEME, OUTLINE_DARK_SCHEME = b'stroke="#1d1f22"', b'stroke="#e8eaed"'


def _svg_bytes(name: str) -> bytes:
    return resource("icons", f"{name}.svg").read_bytes()


def _renderer(name: str, dark: bool) -> QSvgRenderer:
    data = _svg_bytes(name)
    if dark:
        data = data.replace(OUTLINE_LIGHT_SCHEME, OUTLINE_DARK_SCHEME)
    return QSvgRenderer(QByteArray(data))


def template_wanted(platform: str = sys.platform) -> bool:
    """Whether the tray icon is a template image: macOS's menu bar, which tints it itself."""
    return platform == "darwin"


@cache
def tray_icon(state: str, tunnels_up: bool = False, dark: bool = False, template: bool = False) -> QIcon:
    if state not in STATE_ICONS:
        raise ValueError(f"unknown icon state {state!r}")
    base = _renderer(f"tray-{state}", dark and not template)
    badge = _renderer("badge-tunnels", dark and not template) if tunnels_up else None
    icon = QIcon()
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        base.render(painter, QRectF(0, 0, size, size))
        if badge is not None:
            badge.render(painter, QRectF(0, 0, size, size))
        painter.end()
        icon.addPixmap(QPixmap.fromImage(template_image(image) if template else image))
    icon.setIsMask(template)
    return icon


def template_image(image: QImage) -> QImage:
    """The icon as a template: black, opaque where it is coloured (the shield, the outline, the badge) and
    transparent where it is white (the state's mark, the badge's arrow and ring) or empty; anti-aliased
    edges fade between the two."""
    source = image.convertToFormat(QImage.Format.Format_ARGB32)  # not premultiplied: B, G, R, A in memory
    width, height = source.width(), source.height()
    line = source.bytesPerLine()
    data = bytes(source.constBits())
    out = bytearray(line * height)  # all zero: black and transparent
    for y in range(height):
        row = y * line
        for x in range(width):
            i = row + 4 * x
            alpha = data[i + 3]
            if alpha:
                whiteness = min(data[i], data[i + 1], data[i + 2]) / 255
                out[i + 3] = round(alpha * (1 - _smoothstep(0.55, 0.9, whiteness)))
    return QImage(bytes(out), width, height, line, QImage.Format.Format_ARGB32).copy()


def _smoothstep(low: float, high: float, value: float) -> float:
    t = min(1.0, max(0.0, (value - low) / (high - low)))
    return t * t * (3 - 2 * t)
