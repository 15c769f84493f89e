"""Instance and tunnel profiles in one place: search, add, edit, duplicate, delete (with undo), reorder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from vouch_desktop.core.errors import ValidationErrors, VouchDesktopError
from vouch_desktop.core.storage.profile_io import ImportPlan, apply_import, export_profiles, plan_import
from vouch_desktop.core.storage.profiles import InstanceProfile, Profile, ProfileBook, TunnelProfile

NAME_ROLE = Qt.ItemDataRole.UserRole + 1


def describe(profile: Profile) -> str:
    if isinstance(profile, TunnelProfile):
        local = f"localhost:{profile.local_port}" if profile.local_port else "a free port"
        remote = (f"{profile.remote_host}:{profile.remote_port}" if profile.remote_host
                  else f"port {profile.remote_port}")
        group = f" · group {profile.group}" if profile.group else ""
        return f"{profile.name} — {local} → {remote} via {profile.target} ({profile.region}){group}"
    return f"{profile.name} — {profile.target} ({profile.region})"


class ProfileList(QWidget):
    def __init__(self, book: ProfileBook, kind: type, edit: Callable[[Profile | None], None]) -> None:
        super().__init__()
        self.book, self.kind, self._edit = book, kind, edit
        self._undo: tuple[Profile, int] | None = None
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.reload)
        self.list = QListWidget()
        self.list.itemDoubleClicked.connect(lambda _: self.edit_selected())
        self.undo_label = QLabel()
        self.undo_button = QPushButton("Undo delete")
        self.undo_button.clicked.connect(self.undo)
        self.undo_label.hide()
        self.undo_button.hide()
        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for text, slot in (("Add…", lambda: self._edit(None)), ("Edit…", self.edit_selected),
                           ("Duplicate", self.duplicate), ("Delete", self.delete),
                           ("Move up", lambda: self.move_selected(-1)), ("Move down", lambda: self.move_selected(1))):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
            self.buttons[text] = button
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.list).activated.connect(self.delete)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), self).activated.connect(self.undo)
        QShortcut(QKeySequence("Alt+Up"), self.list).activated.connect(lambda: self.move_selected(-1))
        QShortcut(QKeySequence("Alt+Down"), self.list).activated.connect(lambda: self.move_selected(1))
        undo_row = QHBoxLayout()
        undo_row.addWidget(self.undo_label, 1)
        undo_row.addWidget(self.undo_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        layout.addLayout(undo_row)
        layout.addLayout(buttons)
        self.reload()

    def profiles(self) -> list[Profile]:
        return list(self.book.instances) if self.kind is InstanceProfile else list(self.book.tunnels)

    def reload(self, *args: object) -> None:
        current = self.selected_name()
        needle = self.search.text().casefold()
        self.list.clear()
        for profile in self.profiles():
            text = describe(profile)
            if needle and needle not in text.casefold():
                continue
            item = QListWidgetItem(text)
            item.setData(NAME_ROLE, profile.name)
            self.list.addItem(item)
            if profile.name == current:
                self.list.setCurrentItem(item)
        # reordering a filtered view would be confusing: only when showing everything
        for name in ("Move up", "Move down"):
            self.buttons[name].setEnabled(not needle)

    def selected_name(self) -> str | None:
        item = self.list.currentItem()
        return item.data(NAME_ROLE) if item is not None else None

    def edit_selected(self) -> None:
        name = self.selected_name()
        if name is not None:
            self._edit(self.book.find(name))

    def duplicate(self) -> None:
        name = self.selected_name()
        if name is not None:
            copy = self.book.duplicate(name)
            self.reload()
            self.select(copy.name)

    def delete(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        self._undo = self.book.delete(name)
        self.undo_label.setText(f"Deleted “{name}”.")
        self.undo_label.show()
        self.undo_button.show()
        self.reload()

    def undo(self) -> None:
        if self._undo is None:
            return
        profile, index = self._undo
        self._undo = None
        try:
            self.book.restore(profile, index)
        except ValidationErrors as exc:  # a new profile took its name meanwhile
            self.undo_label.setText(exc.message)
            return
        self.undo_label.hide()
        self.undo_button.hide()
        self.reload()
        self.select(profile.name)

    def move_selected(self, offset: int) -> None:
        name = self.selected_name()
        if name is not None and not self.search.text():
            self.book.move(name, offset)
            self.reload()
            self.select(name)

    def select(self, name: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(NAME_ROLE) == name:
                self.list.setCurrentRow(row)


class ProfilesWindow(QWidget):
    def __init__(self, book: ProfileBook, edit_instance: Callable[[InstanceProfile | None], None],
                 edit_tunnel: Callable[[TunnelProfile | None], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Profiles — Vouch Desktop")
        self.resize(760, 420)

        def instance(profile: Profile | None) -> None:
            edit_instance(profile if isinstance(profile, InstanceProfile) else None)

        def tunnel(profile: Profile | None) -> None:
            edit_tunnel(profile if isinstance(profile, TunnelProfile) else None)

        self.instances = ProfileList(book, InstanceProfile, instance)
        self.tunnels = ProfileList(book, TunnelProfile, tunnel)
        self.book = book
        tabs = QTabWidget()
        tabs.addTab(self.instances, "Instances")
        tabs.addTab(self.tunnels, "Tunnels")
        share = QHBoxLayout()
        share.addStretch(1)
        export_button = QPushButton("Export to file…")
        export_button.clicked.connect(self.export_file)
        import_button = QPushButton("Import from file…")
        import_button.clicked.connect(self.import_file)
        share.addWidget(export_button)
        share.addWidget(import_button)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addLayout(share)
        book.changed.connect(self.reload)

    def reload(self, *args: object) -> None:
        self.instances.reload()
        self.tunnels.reload()

    def _file_dialog(self, title: str, name: str, save: bool, chosen: Callable[[str], object]) -> QFileDialog:
        """A file dialog shown without a nested event loop (see ui/windows/ask.py); ``chosen`` gets the path."""
        dialog = QFileDialog(self, title, name, "TOML files (*.toml)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave if save else QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile if save else QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(chosen)
        dialog.finished.connect(lambda _: dialog.deleteLater())
        dialog.show()
        return dialog

    def export_file(self) -> QFileDialog:
        return self._file_dialog("Export profiles", "vouch-profiles.toml", True,
                                 lambda path: self.export_to(Path(path)))

    def export_to(self, path: Path) -> QMessageBox:
        try:
            count = export_profiles(self.book, path)
        except VouchDesktopError as exc:
            box = QMessageBox(QMessageBox.Icon.Warning, "Export profiles", exc.user_text(),
                              QMessageBox.StandardButton.Ok, self)
        else:
            box = QMessageBox(QMessageBox.Icon.Information, "Export profiles", f"Wrote {count} profiles to {path}.",
                              QMessageBox.StandardButton.Ok, self)
        box.show()
        return box

    def import_file(self) -> QFileDialog:
        return self._file_dialog("Import profiles", "", False, lambda path: self.import_from(Path(path)))

    def _apply_import(self, plan: ImportPlan, policy: str) -> None:
        try:
            apply_import(self.book, plan, policy)
        except VouchDesktopError as exc:  # not saved: nothing changed
            QMessageBox(QMessageBox.Icon.Warning, "Import profiles", exc.user_text(), parent=self).show()

    def import_from(self, path: Path) -> QMessageBox:
        """Shows what would change and lets the user choose what to do with conflicts."""
        try:
            plan = plan_import(self.book, path)
        except VouchDesktopError as exc:
            box = QMessageBox(QMessageBox.Icon.Warning, "Import profiles", exc.message, parent=self)
            box.show()
            return box
        icon = QMessageBox.Icon.Warning if plan.invalid else QMessageBox.Icon.Question
        box = QMessageBox(icon, "Import profiles", plan.preview(), parent=self)
        choices = {"keep": "Import, keep mine", "replace": "Import, replace mine", "rename": "Import both"}
        for policy, label in choices.items():
            if not plan.invalid and (policy == "keep" or plan.conflicts):  # a file with problems: nothing to apply
                button = box.addButton(label, QMessageBox.ButtonRole.AcceptRole)
                button.clicked.connect(lambda _=False, p=policy: self._apply_import(plan, p))
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.show()
        return box
