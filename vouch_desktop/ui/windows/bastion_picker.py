"""A bastion picker for the tunnel dialog: the managed instances discovery found (discovery runs off
the UI thread; the box says it is looking, how many it found, or why it could not), bastion-like
names first, the ones that cannot be reached greyed out with the reason. Picking one fills the
tunnel's target and region; a tag filter can still be typed in the target field."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QWidget

from vouch_desktop.core.aws.discovery import DiscoveredInstance, DiscoveryResult

BASTION_WORDS = ("bastion", "jump", "gateway", "proxy")


def bastion_first(instance: DiscoveredInstance) -> tuple[bool, bool, str, str]:
    name = instance.name.lower()
    return (not instance.connectable, not any(word in name for word in BASTION_WORDS), name or "~",
            instance.instance_id)


def label(instance: DiscoveredInstance) -> str:
    parts = [instance.label, instance.region]
    if not instance.connectable:
        parts.append(instance.reason)
    return " · ".join(parts)


class BastionPicker(QComboBox):
    picked = Signal(object)  # the DiscoveredInstance chosen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.instances: list[DiscoveredInstance] = []  # item i+1 of the box
        self.setModel(QStandardItemModel(self))
        self.setMinimumContentsLength(40)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.set_placeholder("— looking for managed instances… —")
        self.activated.connect(self._activated)

    def set_placeholder(self, text: str) -> None:
        model = self.model()
        assert isinstance(model, QStandardItemModel)
        if model.rowCount() == 0:
            model.appendRow(QStandardItem(text))
        else:
            model.item(0).setText(text)
        self.setCurrentIndex(0)

    def set_loading(self) -> None:
        self.set_placeholder("— looking for managed instances… —")
        self.setEnabled(False)

    def set_failed(self, reason: str) -> None:
        self.set_placeholder(f"— could not list instances: {reason} —")
        self.setToolTip(reason)
        self.setEnabled(True)

    def set_result(self, result: DiscoveryResult) -> None:
        model = self.model()
        assert isinstance(model, QStandardItemModel)
        model.removeRows(1, model.rowCount() - 1)
        self.instances = sorted((i for i in result.instances if i.managed), key=bastion_first)
        for instance in self.instances:
            item = QStandardItem(label(instance))
            item.setToolTip(instance.reason or f"{instance.platform} · {instance.private_ip}".strip(" ·"))
            if not instance.connectable:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            model.appendRow(item)
        reachable = sum(1 for i in self.instances if i.connectable)
        failed = "; ".join(f"{f.region}: {f.message}" for f in result.failures)
        listed = [r for r in result.regions if r not in {f.region for f in result.failures}]
        if self.instances:
            self.set_placeholder(f"— pick one of {reachable} reachable managed instance{'s' if reachable != 1 else ''}"
                                 f" ({', '.join(listed)}) —")
        elif result.failures:
            self.set_placeholder(f"— could not list instances: {result.failures[0].message} —")
        else:
            self.set_placeholder(f"— no managed instances in {', '.join(result.regions)} —")
        self.setToolTip(failed and f"Not listed: {failed}")
        self.setEnabled(True)

    def _activated(self, index: int) -> None:
        if 1 <= index <= len(self.instances):
            self.picked.emit(self.instances[index - 1])
