"""Tunnel details: every saved tunnel with its status icon on the left; on the right everything known
about the one selected (state, since, address, carrier, attempts, the full reason and what to do),
with Start/Stop and "Copy details". Follows the tunnels' changes while open."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vouch_desktop.core.app.tunnel_view import details, look_of, short_state
from vouch_desktop.core.storage.profiles import REMOTE_HOST_DOCUMENT, TunnelProfile
from vouch_desktop.core.tunnels.state import TunnelStatus
from vouch_desktop.ui.status_icons import status_icon

Lookup = Callable[[TunnelProfile], TunnelStatus]


def remote_of(profile: TunnelProfile) -> str:
    where = profile.remote_host if profile.document == REMOTE_HOST_DOCUMENT else "the instance itself"
    return f"{where}:{profile.remote_port} ({profile.region})"


class TunnelDetailsWindow(QWidget):
    def __init__(self, tunnels: Callable[[], list[TunnelProfile]], status: Lookup,
                 toggle: Callable[[TunnelProfile, bool], None], dark: Callable[[], bool] = lambda: False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Tunnel details — Vouch Desktop")
        self.resize(720, 360)
        self._tunnels, self._status, self._toggle, self._dark = tunnels, status, toggle, dark
        self.list = QListWidget()
        self.list.setMinimumWidth(240)
        self.list.setMaximumWidth(320)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.currentRowChanged.connect(lambda _: self.show_selected())
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold; font-size: 120%")
        self.toggle_button = QPushButton()
        self.toggle_button.clicked.connect(self._toggle_selected)
        copy = QPushButton("&Copy details")
        copy.clicked.connect(self.copy_details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        buttons.addButton(self.toggle_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        right = QVBoxLayout()
        right.addWidget(self.title)
        right.addLayout(self.form)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.list)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(buttons)
        for keys in (QKeySequence.StandardKey.Close, QKeySequence(Qt.Key.Key_Escape)):
            QShortcut(keys, self, self.close)
        self.refresh()

    def profiles(self) -> list[TunnelProfile]:
        return self._tunnels()

    def refresh(self) -> None:
        """Re-read every tunnel's state; the selection stays on the same tunnel."""
        selected = self.selected_name()
        self.list.blockSignals(True)
        self.list.clear()
        for profile in self.profiles():
            status = self._status(profile)
            item = QListWidgetItem(status_icon(look_of(status), self._dark()),
                                   f"{profile.name}\n{short_state(status, profile.local_port)}")
            item.setData(Qt.ItemDataRole.UserRole, profile.name)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.select(selected)

    def selected_name(self) -> str:
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

    def select(self, name: str) -> None:
        names = [p.name for p in self.profiles()]
        self.list.setCurrentRow(names.index(name) if name in names else (0 if names else -1))
        self.show_selected()

    def selected(self) -> TunnelProfile | None:
        return next((p for p in self.profiles() if p.name == self.selected_name()), None)

    def rows(self) -> list[tuple[str, str]]:
        profile = self.selected()
        return details(self._status(profile), remote_of(profile)) if profile is not None else []

    def show_selected(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        profile = self.selected()
        self.title.setText(profile.name if profile else "No saved tunnels")
        self.toggle_button.setEnabled(profile is not None)
        if profile is None:
            return
        status = self._status(profile)
        self.toggle_button.setText("&Stop" if status.active else "&Start")
        for label, value in self.rows():
            text = QLabel(value)
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.form.addRow(f"{label}:", text)

    def _toggle_selected(self) -> None:
        profile = self.selected()
        if profile is not None:
            self._toggle(profile, not self._status(profile).active)

    def details_text(self) -> str:
        profile = self.selected()
        if profile is None:
            return ""
        return "\n".join([f"Tunnel {profile.name}"] + [f"{label}: {value}" for label, value in self.rows()])

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details_text())
