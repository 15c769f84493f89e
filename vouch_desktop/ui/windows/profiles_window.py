"""Instance and tunnel profiles in one place: search, add, edit, duplicate, delete (with undo), reorder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
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
from vouch_desktop.ui.windows.ask import message_box
from vouch_desktop.ui.windows.frame import titled
from vouch_desktop.ui.windows.labels import WrappingLabel

NAME_ROLE = Qt.ItemDataRole.UserRole + 1
EXPORT_TITLE, IMPORT_TITLE = titled("Export profiles"), titled("Import profiles")


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
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.undo_label = WrappingLabel()
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
        # keys on the list act on its selection only, and only while the list has the focus (Delete in the
        # search box deletes text, not a profile)
        for keys, slot in ((QKeySequence(QKeySequence.StandardKey.Delete), self.delete),
                           (QKeySequence(Qt.Key.Key_Return), self.edit_selected),
                           (QKeySequence(Qt.Key.Key_Enter), self.edit_selected),
                           (QKeySequence("Alt+Up"), lambda: self.move_selected(-1)),
                           (QKeySequence("Alt+Down"), lambda: self.move_selected(1))):
            shortcut = QShortcut(keys, self.list)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), self).activated.connect(self.undo)
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
        if self.list.currentRow() < 0 and self.list.count():  # the keyboard starts on the first row,
            self.list.setCurrentRow(0, QItemSelectionModel.SelectionFlag.NoUpdate)  # nothing chosen yet
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = self.selected_name() is not None
        for name in ("Edit…", "Duplicate", "Delete"):
            self.buttons[name].setEnabled(chosen)
        # reordering a filtered view would be confusing: only when showing everything
        for name in ("Move up", "Move down"):
            self.buttons[name].setEnabled(chosen and not self.search.text())

    def selected_name(self) -> str | None:
        """The profile the user chose: the selected row, never a row that only has the focus frame."""
        items = self.list.selectedItems()
        return items[0].data(NAME_ROLE) if items else None

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

    def select(self, name: str) -> bool:
        """Select (and scroll to) the profile ``name``; False when the list does not show it."""
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(NAME_ROLE) == name:
                self.list.setCurrentItem(item)
                self.list.scrollToItem(item)
                return True
        return False


class ProfilesWindow(QWidget):
    def __init__(self, book: ProfileBook, edit_instance: Callable[[InstanceProfile | None], None],
                 edit_tunnel: Callable[[TunnelProfile | None], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Profiles — Vouch Desktop")
        self.setObjectName("profiles")
        self.resize(760, 420)

        def instance(profile: Profile | None) -> None:
            edit_instance(profile if isinstance(profile, InstanceProfile) else None)

        def tunnel(profile: Profile | None) -> None:
            edit_tunnel(profile if isinstance(profile, TunnelProfile) else None)

        self.instances = ProfileList(book, InstanceProfile, instance)
        self.tunnels = ProfileList(book, TunnelProfile, tunnel)
        self.book = book
        self.tabs = tabs = QTabWidget()
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

    def show_profile(self, profile: Profile) -> None:
        """After an edit or an addition: the tab of its kind, with it selected (also when it was renamed)."""
        profiles = self.tunnels if isinstance(profile, TunnelProfile) else self.instances
        self.tabs.setCurrentWidget(profiles)
        if not profiles.select(profile.name) and profiles.search.text():
            profiles.search.clear()  # the search hid it
            profiles.select(profile.name)
        profiles.list.setFocus()

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
        return self._file_dialog(EXPORT_TITLE, "vouch-profiles.toml", True,
                                 lambda path: self.export_to(Path(path)))

    def export_to(self, path: Path) -> QMessageBox:
        try:
            count = export_profiles(self.book, path)
        except VouchDesktopError as exc:
            box = message_box(QMessageBox.Icon.Warning, EXPORT_TITLE, exc.user_text(), parent=self)
        else:
            box = message_box(QMessageBox.Icon.Information, EXPORT_TITLE, f"Wrote {count} profiles to {path}.",
                              parent=self)
        box.addButton(QMessageBox.StandardButton.Ok)
        box.show()
        return box

    def import_file(self) -> QFileDialog:
        return self._file_dialog(IMPORT_TITLE, "", False, lambda path: self.import_from(Path(path)))

    def _apply_import(self, plan: ImportPlan, policy: str) -> None:
        try:
            apply_import(self.book, plan, policy)
        except VouchDesktopError as exc:  # not saved: nothing changed
            box = message_box(QMessageBox.Icon.Warning, IMPORT_TITLE, exc.user_text(), parent=self)
            box.addButton(QMessageBox.StandardButton.Ok)
            box.show()

    def import_from(self, path: Path) -> QMessageBox:
        """Shows what would change and lets the user choose what to do with conflicts."""
        try:
            plan = plan_import(self.book, path)
        except VouchDesktopError as exc:
            box = message_box(QMessageBox.Icon.Warning, IMPORT_TITLE, exc.message, parent=self)
            box.addButton(QMessageBox.StandardButton.Ok)
            box.show()
            return box
        icon = QMessageBox.Icon.Warning if plan.invalid else QMessageBox.Icon.Question
        box = message_box(icon, IMPORT_TITLE, plan.preview(), parent=self)
        choices = {"keep": "Import, keep mine", "replace": "Import, replace mine", "rename": "Import both"}
        for policy, label in choices.items():
            if not plan.invalid and (policy == "keep" or plan.conflicts):  # a file with problems: nothing to apply
                button = box.addButton(label, QMessageBox.ButtonRole.AcceptRole)
                button.clicked.connect(lambda _=False, p=policy: self._apply_import(plan, p))
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.show()
        return box
