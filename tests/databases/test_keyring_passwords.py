"""Database passwords in a real Secret Service (gnome-keyring-daemon, tests/fixtures/keyring.py): stored,
read, forgotten, listed without secrets; backends that would keep them in a file, or nowhere, refused."""

from __future__ import annotations

import json

import pytest
from keyring.backends import fail, null

from vouch_desktop.core.databases.passwords import SERVICE, DatabaseAccount, NoKeyring, PasswordVault, describe

ACCOUNT = DatabaseAccount("app_user", "orders.cluster-abc.eu-west-1.rds.amazonaws.com", 5432)
PASSWORD = "Kq7:p\\w'd\"#é 9-zz"  # distinctive, with what a file format would have to escape


@pytest.fixture
def vault(secret_service, tmp_path):
    return PasswordVault(tmp_path / "data" / "database-passwords.json", backend=secret_service.backend)


def files_holding(folder, secret):
    return [p for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_a_password_goes_to_the_secret_service_and_nowhere_else(secret_service, vault, tmp_path):
    assert vault.state().usable and "Secret Service" in vault.state().name
    assert vault.get(ACCOUNT) is None
    vault.store(ACCOUNT, PASSWORD)
    assert vault.get(ACCOUNT) == PASSWORD
    key = "app_user@orders.cluster-abc.eu-west-1.rds.amazonaws.com:5432"
    assert secret_service.backend.get_password(SERVICE, key) == PASSWORD  # the keyring's own manager shows this key
    index = json.loads((tmp_path / "data" / "database-passwords.json").read_text())
    assert [(a["user"], a["host"], a["port"]) for a in index["accounts"]] == [(ACCOUNT.user, ACCOUNT.host, 5432)]
    # neither the index nor the keyring's own files hold it as text (gnome-keyring encrypts its file)
    assert files_holding(tmp_path, PASSWORD) == []
    assert list(secret_service.keyring_dir.glob("*.keyring")) and files_holding(secret_service.home, PASSWORD) == []

    listed = PasswordVault(tmp_path / "data" / "database-passwords.json", backend=secret_service.backend).stored()
    assert [entry.account for entry in listed] == [ACCOUNT]  # the next start lists it too
    vault.forget(ACCOUNT)
    assert vault.get(ACCOUNT) is None and vault.stored() == []
    vault.forget(ACCOUNT)  # already gone: forgetting again is fine


def test_a_password_removed_in_the_keyrings_own_manager_is_just_unlisted(secret_service, vault):
    vault.store(ACCOUNT, PASSWORD)
    secret_service.backend.delete_password(SERVICE, ACCOUNT.key)
    vault.forget(ACCOUNT)
    assert vault.stored() == []


class PlaintextKeyring:
    """Stands for keyrings.alt's file backends: what matters is where the class comes from. (Not a
    KeyringBackend subclass: those register themselves, and keyring could then choose it in a later test.)"""

    def get_password(self, service, username):
        return None

    def set_password(self, service, username, password):
        raise AssertionError("a plaintext backend must never be asked to store")

    def delete_password(self, service, username):
        pass


PlaintextKeyring.__module__ = "keyrings.alt.file"


class EmptyChainer:
    """keyring's chainer when it found no backend to chain."""

    backends: list = []


EmptyChainer.__module__ = "keyring.backends.chainer"


@pytest.mark.parametrize(("backend", "says"), [
    (fail.Keyring(), "No usable keyring was found on this system (keyring's fail backend)"),
    (null.Keyring(), "No usable keyring was found"),
    (EmptyChainer(), "No usable keyring was found"),
    (PlaintextKeyring(), "keeps passwords in a file"),
])
def test_no_usable_keyring_says_so_stores_nothing_and_writes_no_file(backend, says, tmp_path):
    state = describe(backend)
    assert not state.usable and says in state.why and "asked each time" in state.why
    vault = PasswordVault(tmp_path / "index.json", backend=backend)
    assert vault.get(ACCOUNT) is None
    with pytest.raises(NoKeyring) as raised:
        vault.store(ACCOUNT, PASSWORD)
    assert "asked each time" in raised.value.advice
    assert list(tmp_path.iterdir()) == []  # not even the index
