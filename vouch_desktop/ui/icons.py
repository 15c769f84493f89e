"""Tray icons: one SVG per login state, with a badge painted on while tunnels are up."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from vouch_desktop.core.system.resources import resource

STATE_ICONS = ("logged-out", "valid", "expiring", "expired", "error")
SIZES = (16, 22, 24, 32, 48, 64)


def _svg_bytes(name: str) -> bytes:
    return resource("icons", f"{name}.svg").read_bytes()


@cache
def tray_icon(state: str, tunnels_up: bool = False) -> QIcon:
    if state not in STATE_ICONS:
        raise ValueError(f"unknown icon state {state!r}")
    base = QSvgRenderer(_svg_bytes(f"tray-{state}"))
    badge = QSvgRenderer(_svg_bytes("badge-tunnels")) if tunnels_up else None
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

