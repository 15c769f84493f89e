"""Editing one instance or tunnel profile, with each validation message shown beside its field."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from vouch_desktop.core.aws.databases import DatabaseEndpoint
from vouch_desktop.core.aws.discovery import DiscoveredInstance
from vouch_desktop.core.databases.engines import DatabaseEngine, SignIn, engine_of
from vouch_desktop.core.storage.profiles import (
    LOCAL_PORT_DOCUMENT,
    REMOTE_HOST_DOCUMENT,
    InstanceProfile,
    Profile,
    TunnelProfile,
)
from vouch_desktop.ui.windows.bastion_picker import BastionPicker
from vouch_desktop.ui.windows.forms import FieldErrors, FormScroll, W
from vouch_desktop.ui.windows.frame import titled


class FormDialog(QDialog):
    """A form whose ``save`` callback raises ValidationErrors; messages land next to the fields."""

    def __init__(self, title: str, save: Callable[[Profile], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(titled(title))
        self._save = save
        self.form = QFormLayout()
        self.fields = FieldErrors(self.form)
        self.errors = self.fields.labels
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.try_save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(FormScroll(self.form, min_width=460), 1)
        layout.addWidget(self.fields.general)
        layout.addWidget(buttons)

    def add_field(self, name: str, label: str, widget: W, hint: str = "") -> W:
        return self.fields.add_row(name, label, widget, hint)

    def build(self) -> Profile:
        raise NotImplementedError

    def try_save(self) -> None:
        if self.fields.saved(lambda: self._save(self.build())):
            self.accept()

    def add_region(self, regions: list[str], current: str) -> QComboBox:
        box = QComboBox()
        box.setEditable(True)
        box.addItems(sorted(set(regions) | {current}))
        box.setCurrentText(current)
        return self.add_field("region", "Region", box)


class InstanceProfileDialog(FormDialog):
    def __init__(self, profile: InstanceProfile, regions: list[str], save: Callable[[Profile], None],
                 parent: QWidget | None = None, title: str = "Instance profile") -> None:
        super().__init__(title, save, parent)
        self.setObjectName("instance-profile")
        self.name = self.add_field("name", "Name", QLineEdit(profile.name))
        self.target = self.add_field("target", "Target", QLineEdit(profile.target),
                                     "An instance id, or a tag filter such as Name=web-* (resolved when connecting)")
        self.region = self.add_region(regions, profile.region)
        self.aws_profile = self.add_field("aws_profile", "AWS profile", QLineEdit(profile.aws_profile),
                                          "Empty: the profile from Settings")
        self.ssh_user = self.add_field("ssh_user", "SSH user", QLineEdit(profile.ssh_user))
        self.document = self.add_field("document", "SSM document", QLineEdit(profile.document), "Empty: a shell")

    def build(self) -> InstanceProfile:
        return InstanceProfile(name=self.name.text(), target=self.target.text().strip(),
                               region=self.region.currentText().strip(), aws_profile=self.aws_profile.text().strip(),
                               document=self.document.text().strip(), ssh_user=self.ssh_user.text().strip())


class TunnelProfileDialog(FormDialog):
    def __init__(self, profile: TunnelProfile, regions: list[str], save: Callable[[Profile], None],
                 databases: list[DatabaseEndpoint] | None = None, parent: QWidget | None = None,
                 title: str = "Tunnel profile") -> None:
        super().__init__(title, save, parent)
        self.setObjectName("tunnel-profile")
        self.database = QComboBox()
        self.database.addItem("— pick an RDS database to fill the form —")
        self.databases: list[DatabaseEndpoint] = []  # item i+1 of the box; Qt holds only the labels
        self.add_databases(databases or [])
        self.database.currentIndexChanged.connect(self._database_picked)
        self.form.addRow("Database", self.database)
        self.name = self.add_field("name", "Name", QLineEdit(profile.name))
        self.bastions = BastionPicker()  # filled from discovery by the caller
        self.bastions.picked.connect(self._bastion_picked)
        self.form.addRow("Pick a bastion", self.bastions)
        self.target = self.add_field("target", "Bastion", QLineEdit(profile.target),
                                     "Instance id, or a tag filter such as Name=bastion-*")
        self.document = self.add_field("document", "Forward to", QComboBox())
        self.document.addItem("A remote host through the bastion (RDS)", REMOTE_HOST_DOCUMENT)
        self.document.addItem("A port on the bastion itself", LOCAL_PORT_DOCUMENT)
        self.document.setCurrentIndex(0 if profile.document == REMOTE_HOST_DOCUMENT else 1)
        self.remote_host = self.add_field("remote_host", "Remote host", QLineEdit(profile.remote_host))
        self.remote_port = self.add_field("remote_port", "Remote port", QSpinBox())
        self.remote_port.setRange(0, 65535)
        self.remote_port.setValue(profile.remote_port)
        self.local_port = self.add_field("local_port", "Local port", QSpinBox(), "0 picks a free port when started")
        self.local_port.setRange(0, 65535)
        self.local_port.setValue(profile.local_port)
        self.region = self.add_region(regions, profile.region)
        self.aws_profile = self.add_field("aws_profile", "AWS profile", QLineEdit(profile.aws_profile),
                                          "Empty: the profile from Settings")
        self.group = self.add_field("group", "Group", QLineEdit(profile.group), "Tunnels in a group toggle together")
        self.start_at_launch = self.add_field("start_at_launch", "", QCheckBox("Start when Vouch Desktop starts"))
        self.start_at_launch.setChecked(profile.start_at_launch)
        self.add_sign_in_fields(profile)

    def add_sign_in_fields(self, profile: TunnelProfile) -> None:
        """The database behind the tunnel and how to sign in to it (Tunnels → Databases ▸ uses them)."""
        self.engine = self.add_field("engine", "Database engine", QComboBox())
        for engine in DatabaseEngine:
            self.engine.addItem(engine.label, engine.value)
        self.engine.setCurrentIndex(max(0, self.engine.findData(str(profile.engine))))
        self.db_user = self.add_field("db_user", "Database user", QLineEdit(profile.db_user))
        self.db_name = self.add_field("db_name", "Database name", QLineEdit(profile.db_name))
        self.sign_in = self.add_field("sign_in", "Sign in with", QComboBox())
        for method in SignIn:
            self.sign_in.addItem(method.label, method.value)
        self.sign_in.setCurrentIndex(max(0, self.sign_in.findData(str(profile.sign_in))))
        self.password = self.add_field("password", "Password", QLineEdit(),
                                       "Kept in your OS keyring, never in the profile or an export. "
                                       "Empty: the stored one stays (or you are asked).")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)

        def method_changed() -> None:
            self.password.setEnabled(self.sign_in.currentData() == SignIn.KEYRING.value)

        self.sign_in.currentIndexChanged.connect(method_changed)
        method_changed()

    def typed_password(self) -> str:
        return self.password.text() if self.password.isEnabled() else ""

    def add_databases(self, endpoints: list[DatabaseEndpoint]) -> None:
        for endpoint in endpoints:
            self.databases.append(endpoint)
            self.database.addItem(endpoint.label)

    def _database_picked(self, index: int) -> None:
        if not 1 <= index <= len(self.databases):
            return
        endpoint = self.databases[index - 1]
        self.remote_host.setText(endpoint.host)
        self.remote_port.setValue(endpoint.port)
        self.region.setCurrentText(endpoint.region)
        self.document.setCurrentIndex(0)
        if not self.name.text():
            suffix = "" if endpoint.role in ("instance", "writer") else f"-{endpoint.role}"
            self.name.setText(endpoint.identifier + suffix)
        if not self.local_port.value():
            self.local_port.setValue(endpoint.port)
        self.engine.setCurrentIndex(max(0, self.engine.findData(engine_of(endpoint.engine).value)))

    def _bastion_picked(self, instance: DiscoveredInstance) -> None:
        self.target.setText(instance.instance_id)
        self.region.setCurrentText(instance.region)

    def build(self) -> TunnelProfile:
        return TunnelProfile(name=self.name.text(), target=self.target.text().strip(),
                             remote_host=self.remote_host.text().strip(), remote_port=self.remote_port.value(),
                             local_port=self.local_port.value(), region=self.region.currentText().strip(),
                             aws_profile=self.aws_profile.text().strip(), document=self.document.currentData(),
                             start_at_launch=self.start_at_launch.isChecked(), group=self.group.text().strip(),
                             engine=DatabaseEngine(self.engine.currentData()), db_user=self.db_user.text().strip(),
                             db_name=self.db_name.text().strip(), sign_in=SignIn(self.sign_in.currentData()))
