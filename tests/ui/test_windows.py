"""Widgets with pytest-qt (offscreen): profiles window, profile dialogs, instance browser, settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt

from vouch_desktop.core.aws.databases import DatabaseEndpoint
from vouch_desktop.core.aws.discovery import DiscoveredInstance, DiscoveryResult, RegionFailure
from vouch_desktop.core.connect.terminals import registry
from vouch_desktop.core.storage.profiles import InstanceProfile, ProfileBook, TunnelProfile
from vouch_desktop.core.storage.settings import Settings
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.ui.windows.instance_browser import InstanceBrowser
from vouch_desktop.ui.windows.profile_dialogs import InstanceProfileDialog, TunnelProfileDialog
from vouch_desktop.ui.windows.profiles_window import ProfilesWindow
from vouch_desktop.ui.windows.settings_window import SettingsWindow


@pytest.fixture
def book(tmp_path):
    book = ProfileBook(AppPaths.under(tmp_path).ensure())
    for name in ("alpha", "beta", "gamma"):
        book.add(InstanceProfile(name, "i-0123456789abcdef0", "eu-west-1"))
    book.add(TunnelProfile("orders", "Name=bastion-*", 5432, "eu-west-1", "orders.example.com", local_port=15432))
    return book


def texts(profile_list):
    return [profile_list.list.item(i).text().split(" — ")[0] for i in range(profile_list.list.count())]


def test_profiles_window_search_reorder_duplicate_delete_undo(qtbot, book):
    edited = []
    window = ProfilesWindow(book, edited.append, edited.append)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # window shortcuts need an active window
    instances = window.instances
    instances.list.setFocus()
    assert texts(instances) == ["alpha", "beta", "gamma"]
    assert texts(window.tunnels) == ["orders"]
    instances.select("gamma")
    qtbot.keyClick(instances.list, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert [p.name for p in book.instances] == ["alpha", "gamma", "beta"]
    instances.buttons["Duplicate"].click()
    assert texts(instances) == ["alpha", "gamma", "gamma (2)", "beta"]
    instances.select("alpha")
    qtbot.keyClick(instances.list, Qt.Key.Key_Delete)
    assert "alpha" not in texts(instances) and instances.undo_label.text() == "Deleted “alpha”."
    instances.undo_button.click()
    assert texts(instances)[0] == "alpha"
    qtbot.keyClicks(instances.search, "GAM")
    assert texts(instances) == ["gamma", "gamma (2)"] and not instances.buttons["Move up"].isEnabled()
    instances.list.setCurrentRow(0)
    instances.buttons["Edit…"].click()
    assert edited[-1].name == "gamma"
    reloaded = ProfileBook(AppPaths.under(book._store.path.parent.parent))
    assert reloaded.load() == []
    assert [p.name for p in reloaded.instances] == ["alpha", "gamma", "gamma (2)", "beta"]


def test_instance_dialog_shows_messages_beside_fields_and_keeps_input(qtbot, book):
    dialog = InstanceProfileDialog(InstanceProfile("", "", "eu-west-1"), ["eu-west-1"], book.add)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.name.setText("alpha")
    dialog.target.setText("i-nope")
    dialog.try_save()
    assert dialog.isVisible()
    assert dialog.errors["name"].text() == "A profile named 'alpha' already exists."
    assert dialog.errors["target"].text().startswith("'i-nope' is not an instance id")
    assert dialog.target.text() == "i-nope"  # nothing lost
    dialog.name.setText("web")
    dialog.target.setText("Name=web-*")
    dialog.try_save()
    assert not dialog.isVisible() and book.find("web").target == "Name=web-*"


def test_tunnel_dialog_fills_from_an_rds_database(qtbot, book):
    aurora = DatabaseEndpoint("payments", "eu-central-1", "aurora-postgresql",
                              "payments.cluster-ro-x.eu-central-1.rds.amazonaws.com", 5432, "reader")
    dialog = TunnelProfileDialog(TunnelProfile("", "", 5432, "eu-west-1"), ["eu-west-1", "eu-central-1"], book.add,
                                 databases=[aurora])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.database.setCurrentIndex(1)
    assert (dialog.remote_host.text(), dialog.remote_port.value(), dialog.region.currentText()) == \
        (aurora.host, 5432, "eu-central-1")
    assert dialog.name.text() == "payments-reader" and dialog.local_port.value() == 5432
    dialog.try_save()
    assert dialog.errors["target"].isVisible()  # the bastion is still missing
    dialog.target.setText("Name=bastion-fra")
    dialog.try_save()
    assert book.find("payments-reader").remote_host == aurora.host


def test_instance_browser_filters_greys_and_acts(qtbot):
    connected, saved = [], []
    browser = InstanceBrowser(refresh=lambda: None, connect=connected.append, save_profile=saved.append,
                              open_ssh=lambda i: None, ssh_user=lambda i: "ec2-user")
    qtbot.addWidget(browser)
    web = DiscoveredInstance("i-0123456789abcdef0", "eu-west-1", "web-1", "running", "10.0.0.5", "Linux", True,
                             "Online")
    stopped = DiscoveredInstance("i-0aaaaaaaaaaaaaaaa", "us-east-1", "", "stopped", managed=True,
                                 ping_status="ConnectionLost")
    browser.set_result(DiscoveryResult("p", ["eu-west-1", "us-east-1"], [web, stopped],
                                       [RegionFailure("ap-south-1", "AWS denied access")], datetime.now(UTC)))
    assert browser.proxy.rowCount() == 2 and "ap-south-1: AWS denied access" in browser.errors_label.text()
    assert browser.age_label.text() == "2 instances · updated just now"
    browser.select_instance(stopped.instance_id)
    assert not browser.connect_button.isEnabled() and browser.save_button.isEnabled()
    qtbot.keyClicks(browser.filter_edit, "10.0.0")
    assert browser.proxy.rowCount() == 1
    browser.select_instance(web.instance_id)
    browser.connect_button.click()
    browser.copy_ssh_command()
    assert connected == [web]
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == "ssh ec2-user@i-0123456789abcdef0"


def test_settings_window_validates_beside_fields(qtbot):
    saved = []

    def save(settings: Settings) -> None:
        from vouch_desktop.core.errors import ValidationErrors

        errors = settings.validate()
        if errors:
            raise ValidationErrors(errors)
        saved.append(settings)

    window = SettingsWindow(Settings(), profiles=["vouch", "work"], terminals=registry("linux"), save=save,
                            test_terminal=lambda s: None)
    qtbot.addWidget(window)
    window.show()
    window.regions.setText("eu-west-1, narnia-1")
    window.lead.setValue(0)
    window.try_save()
    assert window.errors["regions"].text() == "'narnia-1' is not an AWS region (for example: eu-west-1)."
    assert window.errors["notify_lead_minutes"].isVisible() and not saved
    window.regions.setText("eu-west-1, us-east-1")
    window.lead.setValue(30)
    window.aws_profile.setCurrentText("work")
    assert window.tunnel_backend.currentData() == "auto"
    window.tunnel_backend.setCurrentIndex(window.tunnel_backend.findData("builtin"))
    window.try_save()
    assert saved[0].regions == ["eu-west-1", "us-east-1"] and saved[0].aws_profile == "work"
    assert saved[0].tunnel_backend == "builtin"


def test_import_preview_and_choice_from_the_profiles_window(qtbot, book, tmp_path):
    from vouch_desktop.core.storage.profile_io import export_profiles

    shared = tmp_path / "team.toml"
    export_profiles(book, shared)
    book.delete("beta")
    book.update("orders", TunnelProfile("orders", "Name=bastion-*", 5432, "eu-west-1", "orders.example.com",
                                        local_port=1))
    window = ProfilesWindow(book, lambda p: None, lambda p: None)
    qtbot.addWidget(window)
    box = window.import_from(shared)
    assert "1 new, 2 unchanged, 1 in conflict" in box.text()
    # it holds this window only: the tray's menu and other windows stay usable meanwhile
    assert box.isVisible() and box.windowModality() is Qt.WindowModality.WindowModal
    rename = next(b for b in box.buttons() if b.text() == "Import both")
    rename.click()
    assert texts(window.instances) == ["alpha", "gamma", "beta"]
    assert texts(window.tunnels) == ["orders", "orders (imported)"]
    bad = tmp_path / "bad.toml"
    bad.write_text("not = [toml")
    refused = window.import_from(bad)
    assert "is not a valid profiles file" in refused.text()
    refused.close()


def test_history_window_filters(qtbot, tmp_path):
    from vouch_desktop.core.storage.history import History
    from vouch_desktop.ui.windows.history_window import HistoryWindow

    history = History(tmp_path / "history.jsonl")
    history.add("connect", profile="web", target="i-0123456789abcdef0", region="eu-west-1")
    history.add("tunnel_failure", profile="orders", message="AWS denied access", local_port=5432)
    window = HistoryWindow(history, tmp_path)
    qtbot.addWidget(window)
    assert [r[1] for r in window.rows()] == ["Tunnel failed", "Connected"]
    assert window.rows()[0][5] == "AWS denied access (localhost:5432)"
    window.kind.setCurrentIndex(window.kind.findData("connect"))
    assert [r[2] for r in window.rows()] == ["web"]
    window.kind.setCurrentIndex(0)
    qtbot.keyClicks(window.search, "denied")
    assert len(window.rows()) == 1


def test_settings_take_effect_on_save_and_esc_leaves_them_as_they_were(qtbot):
    """The one model of every editing window, as the README says it: Save applies, Cancel/Esc do not."""
    from pathlib import Path

    from vouch_desktop.ui.windows.ask import Keeper

    saved: list[Settings] = []
    window = SettingsWindow(Settings(), profiles=["vouch"], terminals=registry("linux"), save=saved.append,
                            test_terminal=lambda s: None)
    qtbot.addWidget(window)
    Keeper().show(window)
    qtbot.waitExposed(window)
    assert window.when_applied.text().startswith("Changes take effect when you press Save, without a restart")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "takes effect when you press Save" in readme and "Settings apply at once" not in readme
    window.regions.setText("eu-central-1")
    qtbot.keyClick(window.regions, Qt.Key.Key_Escape)
    assert not window.isVisible() and saved == []
    window = SettingsWindow(Settings(), profiles=["vouch"], terminals=registry("linux"), save=saved.append,
                            test_terminal=lambda s: None)
    qtbot.addWidget(window)
    Keeper().show(window)
    window.regions.setText("eu-central-1")
    qtbot.keyClick(window.regions, Qt.Key.Key_Return)  # Save is the default button
    assert not window.isVisible() and [s.regions for s in saved] == [["eu-central-1"]]
