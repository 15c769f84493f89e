"""Dark or light: follows the system colour scheme (Qt 6's ``QStyleHints.colorScheme()`` and its
``colorSchemeChanged`` signal), so that the tray icon, the menu's status icons and the windows stay
readable on either. Where the platform does not say (``Unknown``), the palette's window colour
decides. Where it says "dark" but the style kept a light palette (no platform theme that applies
it), a dark palette is set, so windows follow too. On macOS the tray icon itself does not follow:
it is a template image that the menu bar tints (ui/icons.py, ``template_wanted``)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette

log = logging.getLogger(__name__)


def palette_is_dark(palette: QPalette) -> bool:
    window, text = palette.color(QPalette.ColorRole.Window), palette.color(QPalette.ColorRole.WindowText)
    return window.lightness() < text.lightness()


def dark_palette() -> QPalette:
    """Fusion's colours for a dark scheme (what Qt gives where a platform theme supplies one)."""
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, colour in ((roles.Window, "#2b2b2b"), (roles.WindowText, "#e6e6e6"), (roles.Base, "#1f1f1f"),
                         (roles.AlternateBase, "#2f2f2f"), (roles.ToolTipBase, "#3a3a3a"),
                         (roles.ToolTipText, "#f0f0f0"), (roles.PlaceholderText, "#8c8c8c"), (roles.Text, "#e6e6e6"),
                         (roles.Button, "#353535"), (roles.ButtonText, "#e6e6e6"), (roles.BrightText, "#ff6b6b"),
                         (roles.Light, "#474747"), (roles.Midlight, "#3c3c3c"), (roles.Mid, "#2a2a2a"),
                         (roles.Dark, "#1a1a1a"), (roles.Shadow, "#000000"), (roles.Highlight, "#3d6fb4"),
                         (roles.HighlightedText, "#ffffff"), (roles.Link, "#7fb2ff"), (roles.LinkVisited, "#c79bff")):
        palette.setColor(role, QColor(colour))
    for role, colour in ((roles.WindowText, "#7a7a7a"), (roles.Text, "#7a7a7a"), (roles.ButtonText, "#7a7a7a"),
                         (roles.Light, "#2b2b2b")):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(colour))
    return palette


class Theme(QObject):
    """``dark`` now; ``changed(dark)`` when the system switches."""

    changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        app = QGuiApplication.instance()
        assert isinstance(app, QGuiApplication)
        self._app = app
        self._own_palette = False  # whether the dark palette in use is ours (to take back for light)
        hints = QGuiApplication.styleHints()
        self.dark = self._decide(hints.colorScheme())
        self._apply_palette()
        hints.colorSchemeChanged.connect(self.on_scheme_changed)

    def _decide(self, scheme: Qt.ColorScheme) -> bool:
        if scheme == Qt.ColorScheme.Dark:
            return True
        if scheme == Qt.ColorScheme.Light:
            return False
        return palette_is_dark(self._app.palette())

    def on_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        dark = self._decide(scheme)
        log.info("colour scheme: %s", "dark" if dark else "light")
        if dark != self.dark:
            self.dark = dark
            self._apply_palette()
            self.changed.emit(dark)

    def _apply_palette(self) -> None:
        if not hasattr(self._app, "setStyle"):  # a QGuiApplication without widgets: icons only
            return
        if self.dark and not palette_is_dark(self._app.palette()):
            self._app.setPalette(dark_palette())
            self._own_palette = True
        elif not self.dark and self._own_palette:
            self._app.setPalette(QPalette())  # the platform's own again
            self._own_palette = False
