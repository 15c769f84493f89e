"""Issue 22's widgets (offscreen): the clipboard gives a copied password back only while it is still there,
the password dialog says when there is no keyring, Settings → Passwords says so too, and the tunnel dialog's
database fields (filled from RDS discovery; the password field goes to the keyring, never the profile)."""

from __future__ import annotations

import asyncio

from keyring.backends import fail
from PySide6.QtWidgets import QLabel

from tests.app.parts import make_service
from tests.ui.conftest import until
from vouch_desktop.core.aws.databases import DatabaseEndpoint
from vouch_desktop.core.databases.engines import DatabaseEngine, SignIn
from vouch_desktop.core.databases.passwords import DatabaseAccount, KeyringState, PasswordVault, describe
from vouch_desktop.core.databases.secret_files import SecretFiles
from vouch_desktop.core.databases.sign_in import DatabaseSignIn, PasswordRequest
from vouch_desktop.core.storage.profiles import TunnelProfile
from vouch_desktop.ui.secret_clipboard import PASSWORD_HINT, SecretClipboard
from vouch_desktop.ui.windows.ask import Boxes, Keeper
from vouch_desktop.ui.windows.database_windows import PasswordDialog, PasswordsWindow
from vouch_desktop.ui.windows.profile_dialogs import TunnelProfileDialog

ACCOUNT = DatabaseAccount("app", "orders.example.com", 5432)


def test_a_copied_password_is_cleared_only_while_the_clipboard_still_holds_it(qapp, qtbot):
    clipboard = qapp.clipboard()
    secret = SecretClipboard(clear_after_ms=150)
    secret.copy("hunter2-Zq")
    assert clipboard.text() == "hunter2-Zq" and bytes(clipboard.mimeData().data(PASSWORD_HINT)) == b"secret"
    qtbot.waitUntil(lambda: clipboard.text() == "", timeout=3000)
    secret.copy("hunter2-Zq")
    clipboard.setText("the user's own text")
    qtbot.wait(400)
    assert clipboard.text() == "the user's own text"  # theirs: left alone
    secret.copy("hunter2-Zq")
    assert secret.clear_if_ours() and clipboard.text() == ""  # at quit: taken back now


def test_the_password_dialog_offers_the_keyring_or_says_why_not(qtbot):
    usable = PasswordDialog(PasswordRequest("orders", ACCOUNT, KeyringState(True, "GNOME Keyring", "x")))
    qtbot.addWidget(usable)
    assert usable.remember.isEnabled() and usable.remember.isChecked()
    assert usable.password.echoMode() == usable.password.EchoMode.Password
    usable.password.setText("pw")
    assert usable.answer().remember is True
    none = PasswordDialog(PasswordRequest("orders", ACCOUNT, describe(fail.Keyring())))
    qtbot.addWidget(none)
    assert not none.remember.isEnabled() and not none.remember.isChecked()
    assert any("asked each time" in label.text() for label in none.findChildren(QLabel))
    none.password.setText("pw")
    assert none.answer().remember is False
    none.password.setText("")
    assert none.answer() is None


def test_settings_passwords_says_there_is_no_keyring(qapp, qloop, tmp_path, fake_vouch):
    service = make_service(tmp_path, fake_vouch.path)
    service.databases_sign_in = DatabaseSignIn(PasswordVault(tmp_path / "index.json", backend=fail.Keyring()),
                                               SecretFiles(tmp_path / "run"), service.aws)
    window = PasswordsWindow(service, service.tasks, Boxes(Keeper()))

    async def scenario():
        await until(lambda: "fail backend" in window.status.text())

    qloop.run_until_complete(scenario())
    assert "asked each time" in window.status.text() and window.list.count() == 0
    window.close()


def test_the_tunnel_dialog_takes_the_engine_from_rds_and_keeps_the_password_out_of_the_profile(qtbot):
    saved = []
    dialog = TunnelProfileDialog(TunnelProfile("", "", 5432, "eu-west-1"), ["eu-west-1"], saved.append)
    qtbot.addWidget(dialog)
    dialog.add_databases([DatabaseEndpoint("customers-db", "eu-west-1", "mariadb", "customers.example.com", 3306,
                                           "instance")])
    dialog.database.setCurrentIndex(1)
    assert dialog.engine.currentData() == "mysql"
    dialog.target.setText("i-0123456789abcdef0")
    dialog.db_user.setText("app")
    dialog.sign_in.setCurrentIndex(dialog.sign_in.findData("iam"))
    assert not dialog.password.isEnabled()  # a token needs no password
    dialog.sign_in.setCurrentIndex(dialog.sign_in.findData("keyring"))
    dialog.password.setText("typed-secret")
    dialog.try_save()
    [profile] = saved
    assert (profile.engine, profile.db_user, profile.sign_in) == (DatabaseEngine.MYSQL, "app", SignIn.KEYRING)
    assert "typed-secret" not in repr(profile) and dialog.typed_password() == "typed-secret"


def test_the_window_lists_a_stored_password_with_the_tunnels_that_use_it(qapp, qloop, tmp_path, fake_vouch):
    service = make_service(tmp_path, fake_vouch.path)
    stored = {}

    class MemoryKeyring:  # only for the listing's words; the real keyring is tested in tests/databases
        def get_password(self, service_name, key):
            return stored.get(key)

        def set_password(self, service_name, key, password):
            stored[key] = password

        def delete_password(self, service_name, key):
            stored.pop(key, None)

    MemoryKeyring.__module__ = "keyring.backends.SecretService"
    service.databases_sign_in = DatabaseSignIn(PasswordVault(tmp_path / "index.json", backend=MemoryKeyring()),
                                               SecretFiles(tmp_path / "run"), service.aws)
    service.profiles.add(TunnelProfile("orders", "i-0123456789abcdef0", 5432, "eu-west-1", "orders.example.com",
                                       engine="postgresql", db_user="app", sign_in="keyring"))
    window = PasswordsWindow(service, service.tasks, Boxes(Keeper()))

    async def scenario():
        await service.databases_sign_in.store(service.profiles.find("orders"), "pw")
        window.refresh()
        await until(lambda: window.list.count() == 1)
        text = window.list.item(0).text()
        window.list.item(0).setSelected(True)
        window.forget_button.click()
        await until(lambda: window.list.count() == 0)
        await asyncio.sleep(0)
        return text

    text = qloop.run_until_complete(scenario())
    assert text.startswith("app on orders.example.com:5432 — used by orders — stored ") and stored == {}
    assert "Passwords are kept in the Secret Service" in window.status.text()
    window.close()
