"""The instance window: every instance across the chosen regions, filterable, greyed with a reason
when one cannot connect; connect, save as a profile, SSH, in one click.

Sorted by name (unnamed instances last, by id) until the user sorts otherwise; a refresh keeps the
selected instance selected. Keys: Enter connects, Down from the filter box moves into the list,
F5 or Ctrl+R refreshes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QStandardItem
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vouch_desktop.core.aws.discovery import DiscoveredInstance, DiscoveryResult, RegionFailure
from vouch_desktop.core.connect.ssh_config import ssh_command_line
from vouch_desktop.ui.windows.keys import down_moves_into, enter_acts, refresh_keys
from vouch_desktop.ui.windows.labels import error_label
from vouch_desktop.ui.windows.tables import filtered_table

COLUMNS = ("Name", "Instance", "Region", "State", "Private IP", "Platform", "Status")
INSTANCE_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2


def sort_keys(instance: DiscoveredInstance, values: tuple[str, ...]) -> list[str]:
    """What each column sorts by: names without case, unnamed instances after every name (by id), IP
    addresses by their numbers."""
    name = f"0{instance.name.casefold()}" if instance.name else f"1{instance.instance_id}"
    keys = [name, *(value.casefold() for value in values[1:])]
    parts = instance.private_ip.split(".")
    if len(parts) == 4 and all(p.isdigit() for p in parts):
        keys[COLUMNS.index("Private IP")] = ".".join(p.zfill(3) for p in parts)
    return keys


class InstanceBrowser(QWidget):
    def __init__(self, *, refresh: Callable[[], None], connect: Callable[[DiscoveredInstance], None],
                 save_profile: Callable[[DiscoveredInstance], None], open_ssh: Callable[[DiscoveredInstance], None],
                 ssh_user: Callable[[DiscoveredInstance], str],
                 ssh_command: Callable[[DiscoveredInstance, str], str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Instances — Vouch Desktop")
        self.setObjectName("instances")
        self.resize(900, 480)
        self._connect, self._save, self._ssh, self._ssh_user = connect, save_profile, open_ssh, ssh_user
        self._ssh_command = ssh_command or (lambda instance, user: ssh_command_line(instance.instance_id, user))
        self.result: DiscoveryResult | None = None
        self._keep_selected = ""  # the instance the user selected last (rebuilding the rows drops the selection)
        self._loading = False  # rows are being rebuilt: a selection Qt moves meanwhile is not the user's
        self._by_key: dict[str, DiscoveredInstance] = {}
        self._failures: dict[str, RegionFailure | None] = {}  # regions shown by show_region so far

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by name, id, region, IP…")
        self.filter_edit.setClearButtonEnabled(True)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("F5 or Ctrl+R")
        self.refresh_button.clicked.connect(refresh)
        self._refresh = refresh
        self.age_label = QLabel("not loaded yet")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(120)
        self.progress.hide()
        top = QHBoxLayout()
        for widget in (self.filter_edit, self.age_label, self.progress, self.refresh_button):
            top.addWidget(widget)
        top.setStretch(0, 1)

        self.model, self.proxy, self.table = filtered_table(COLUMNS, self.filter_edit, self)
        self.proxy.setSortRole(SORT_ROLE)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.doubleClicked.connect(lambda _: self._act(self._connect))
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.filter_edit.textChanged.connect(self._show_age)
        self.filter_edit.returnPressed.connect(self._connect_from_filter)
        enter_acts(self.table, lambda: self._act(self._connect))
        down_moves_into(self.filter_edit, self.table)
        refresh_keys(self, self.refresh)

        self.errors_label = error_label()  # regions that could not be read

        self.connect_button = QPushButton("Connect")
        self.connect_button.setDefault(True)
        self.connect_button.clicked.connect(lambda: self._act(self._connect))
        self.save_button = QPushButton("Save as profile…")
        self.save_button.clicked.connect(lambda: self._act(self._save))
        self.ssh_button = QPushButton("Open SSH in terminal")
        self.ssh_button.clicked.connect(lambda: self._act(self._ssh))
        self.copy_button = QPushButton("Copy ssh command")
        self.copy_button.clicked.connect(self.copy_ssh_command)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.copy_button, self.ssh_button, self.save_button, self.connect_button):
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.errors_label)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self._age_timer = QTimer(self)
        self._age_timer.setInterval(30_000)
        self._age_timer.timeout.connect(self._show_age)
        self._update_buttons()

    def refresh(self) -> None:
        if self.refresh_button.isEnabled():  # not while a refresh runs
            self._refresh()

    def set_loading(self, loading: bool) -> None:
        self.progress.setVisible(loading)
        self.refresh_button.setEnabled(not loading)
        if loading:
            self.age_label.setText("loading…")

    def _row(self, instance: DiscoveredInstance) -> list[QStandardItem]:
        state = instance.state or ("hybrid" if instance.instance_id.startswith("mi-") else "")
        values = (instance.name or "—", instance.instance_id, instance.region, state, instance.private_ip,
                  instance.platform, "ready" if instance.connectable else instance.reason)
        row = []
        for value, key in zip(values, sort_keys(instance, values), strict=True):
            item = QStandardItem(value)
            item.setData(key, SORT_ROLE)
            # only plain strings go into Qt: the instance itself stays on the Python side
            item.setData(f"{instance.region}/{instance.instance_id}", INSTANCE_ROLE)
            if not instance.connectable:
                item.setForeground(self._greyed)
                item.setToolTip(f"Cannot connect: {instance.reason}")
            row.append(item)
        return row

    def _begin(self, result: DiscoveryResult) -> None:
        self._loading = True
        self.result = result
        self._by_key = {f"{i.region}/{i.instance_id}": i for i in result.instances}
        self._greyed = self.palette().placeholderText()
        self.table.setSortingEnabled(False)  # re-sorting after every row would be quadratic
        self.model.removeRows(0, self.model.rowCount())

    def _finish(self, result: DiscoveryResult) -> None:
        self.table.setSortingEnabled(True)
        if self._keep_selected and not self._select_key(self._keep_selected):
            self.table.clearSelection()  # it is gone: no other row in its place
        self._loading = False
        failures = "; ".join(f"{f.region}: {f.message}" for f in result.failures)
        self.errors_label.setText(failures)
        self.errors_label.setVisible(bool(failures))
        self._show_age()
        self._age_timer.start()
        self._update_buttons()

    def set_result(self, result: DiscoveryResult) -> None:
        self._begin(result)
        for instance in result.instances:
            self.model.appendRow(self._row(instance))
        self._finish(result)

    async def show_region(self, region: str, instances: list[DiscoveredInstance], failure: RegionFailure | None,
                          chunk: int = 200) -> None:
        """One region's instances as soon as it is done, while others still load: its earlier rows are
        replaced, a chunk at a time; a failure joins the others above the table."""
        self._greyed = self.palette().placeholderText()
        self._loading = True
        self.table.setSortingEnabled(False)
        for row in reversed(range(self.model.rowCount())):
            if self.model.item(row, 2).text() == region:
                self.model.removeRow(row)
        self._by_key.update({f"{i.region}/{i.instance_id}": i for i in instances})
        self._failures[region] = failure
        failures = "; ".join(f"{f.region}: {f.message}" for f in self._failures.values() if f is not None)
        self.errors_label.setText(failures)
        self.errors_label.setVisible(bool(failures))
        for start in range(0, len(instances), chunk):
            for instance in instances[start:start + chunk]:
                self.model.appendRow(self._row(instance))
            await asyncio.sleep(0)
        if self._keep_selected.startswith(f"{region}/"):
            self._select_key(self._keep_selected)  # the user's instance is back as soon as its region is
        self._loading = False

    def finish_regions(self, result: DiscoveryResult) -> None:
        """After ``show_region`` for every region: the whole result, without building its rows again."""
        self.result = result
        self._by_key = {f"{i.region}/{i.instance_id}": i for i in result.instances}
        self._failures = {}
        for row in reversed(range(self.model.rowCount())):  # regions no longer chosen in the settings
            if self.model.item(row, 2).text() not in result.regions:
                self.model.removeRow(row)
        self._finish(result)

    async def show_result(self, result: DiscoveryResult, chunk: int = 200) -> None:
        """Like set_result, a chunk of rows at a time, so thousands of instances never freeze the UI."""
        self._begin(result)
        for start in range(0, len(result.instances), chunk):
            for instance in result.instances[start:start + chunk]:
                self.model.appendRow(self._row(instance))
            await asyncio.sleep(0)
        self._finish(result)

    def count_text(self) -> str:
        """"20 instances", or while a filter hides some, "5 of 20"."""
        total = len(self.result.instances) if self.result is not None else 0
        shown = self.proxy.rowCount()
        noun = "instance" if total == 1 else "instances"
        return f"{shown} of {total} {noun}" if self.filter_edit.text() and shown != total else f"{total} {noun}"

    def _show_age(self, *args: object) -> None:
        if self.result is not None:
            self.age_label.setText(f"{self.count_text()} · {self.result.age_text()}")

    def selected(self) -> DiscoveredInstance | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self._by_key.get(self.proxy.data(rows[0], INSTANCE_ROLE))

    def select_instance(self, instance_id: str) -> None:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 1)
            if self.proxy.data(index) == instance_id:
                self.table.selectRow(row)
                return

    def _select_key(self, key: str) -> bool:
        for row in range(self.proxy.rowCount()):
            if self.proxy.data(self.proxy.index(row, 0), INSTANCE_ROLE) == key:
                self.table.selectRow(row)
                self.table.scrollTo(self.proxy.index(row, 0))
                return True
        return False

    def _connect_from_filter(self) -> None:
        """Enter in the filter box: the selected instance, or the only one the filter leaves."""
        if self.selected() is None and self.proxy.rowCount() == 1:
            self.table.selectRow(0)
        self._act(self._connect)

    def _update_buttons(self, *args: object) -> None:
        instance = self.selected()
        if instance is not None and not self._loading:
            self._keep_selected = f"{instance.region}/{instance.instance_id}"
        ok = instance is not None and instance.connectable
        self.connect_button.setToolTip("Enter" if ok else (f"Cannot connect: {instance.reason}" if instance else ""))
        for button in (self.connect_button, self.ssh_button):
            button.setEnabled(ok)
        self.save_button.setEnabled(instance is not None)
        self.copy_button.setEnabled(instance is not None)

    def _act(self, action: Callable[[DiscoveredInstance], None]) -> None:
        instance = self.selected()
        if instance is not None and (instance.connectable or action not in (self._connect, self._ssh)):
            action(instance)

    def copy_ssh_command(self) -> None:
        instance = self.selected()
        if instance is not None:
            QGuiApplication.clipboard().setText(self._ssh_command(instance, self._ssh_user(instance)))
