"""The tunnels menu's status icons, one per kind of state (core/app/tunnel_view.py), in a light and
a dark variant. They differ by shape as well as colour (a filled disc with a tick, three quarters of
a ring with an arrow head, two bars, a triangle with "!", a hollow ring), so that colour is not the
only cue; the colours are chosen for contrast on the menu's background in either scheme."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from vouch_desktop.core.app.tunnel_view import TunnelLook

# (light scheme, dark scheme) colour of each status icon: readable on a light and on a dark menu
STATUS_COLOURS = {TunnelLook.UP: ("#1a7f37", "#4ac26b"), TunnelLook.CONNECTING: ("#9a6700", "#e3b341"),
                  TunnelLook.PAUSED: ("#57606a", "#b1bac4"), TunnelLook.FAILED: ("#cf222e", "#ff7b72"),
                  TunnelLook.STOPPED: ("#6e7781", "#8b949e")}


def status_colour(look: TunnelLook, dark: bool) -> QColor:
    return QColor(STATUS_COLOURS[look][1 if dark else 0])


def _paint_status(painter: QPainter, look: TunnelLook, colour: QColor, size: int) -> None:
    s = size / 16.0  # drawn on a 16×16 grid
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(colour, 1.8 * s)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    ring = QRectF(2 * s, 2 * s, 12 * s, 12 * s)
    if look is TunnelLook.UP:  # a filled disc with a tick cut out of it
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(QRectF(1 * s, 1 * s, 14 * s, 14 * s))
        tick = QPen(QColor("#ffffff"), 2.0 * s)
        tick.setCapStyle(Qt.PenCapStyle.RoundCap)
        tick.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(tick)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPolyline(QPolygonF([QPointF(4.6 * s, 8.2 * s), QPointF(7 * s, 10.6 * s),
                                        QPointF(11.4 * s, 5.6 * s)]))
    elif look is TunnelLook.CONNECTING:  # three quarters of a ring with an arrow head: going round
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawArc(ring, 90 * 16, 270 * 16)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPolygon(QPolygonF([QPointF(8 * s, 0.2 * s), QPointF(12 * s, 2 * s), QPointF(8 * s, 4.8 * s)]))
    elif look is TunnelLook.PAUSED:  # two bars
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(QRectF(3.5 * s, 2.5 * s, 3 * s, 11 * s), 1 * s, 1 * s)
        painter.drawRoundedRect(QRectF(9.5 * s, 2.5 * s, 3 * s, 11 * s), 1 * s, 1 * s)
    elif look is TunnelLook.FAILED:  # a triangle with an exclamation mark
        path = QPainterPath()
        path.addPolygon(QPolygonF([QPointF(8 * s, 1 * s), QPointF(15.2 * s, 14.5 * s), QPointF(0.8 * s, 14.5 * s)]))
        path.closeSubpath()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPath(path)
        mark = QPen(QColor("#ffffff"), 2.0 * s)
        mark.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(mark)
        painter.drawLine(QPointF(8 * s, 5.6 * s), QPointF(8 * s, 9.4 * s))
        painter.drawPoint(QPointF(8 * s, 12.2 * s))
    else:  # stopped: a hollow ring
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(ring)


@cache
def status_icon(look: TunnelLook, dark: bool = False) -> QIcon:
    icon = QIcon()
    colour = status_colour(look, dark)
    for size in (16, 22, 24, 32, 48):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        _paint_status(painter, look, colour, size)
        painter.end()
        icon.addPixmap(pixmap)
    return icon
