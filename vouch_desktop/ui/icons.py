"""Tray icons: one SVG per login state, with a badge painted on while tunnels are up; a light and
a dark variant (ui/theme.py says which): on a dark panel the shield's dark outline disappears, so
the dark variant draws it light. Loaded before the rest of the app (the icon shows first): keep
this module light; the tunnels' status icons are in ui/status_icons.py."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
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


@cache
def tray_icon(state: str, tunnels_up: bool = False, dark: bool = False) -> QIcon:
    if state not in STATE_ICONS:
        raise ValueError(f"unknown icon state {state!r}")
    base = _renderer(f"tray-{state}", dark)
    badge = _renderer("badge-tunnels", dark) if tunnels_up else None
    icon = QIcon()
    for size in SIZES:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        base.render(painter, QRectF(0, 0, size, size))
        if badge is not None:
            badge.render(painter, QRectF(0, 0, size, size))
        painter.end()
        icon.addPixmap(pixmap)
    return icon
