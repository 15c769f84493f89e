"""Database passwords in the OS keyring (``keyring``: Secret Service, KWallet, macOS Keychain, Windows
Credential Manager), and nowhere else.

A password is kept under the database account it opens (user @ host:port), not under a tunnel's name:
two tunnels to the same database share it, and renaming a tunnel keeps it. keyring cannot list what it
holds, so the app keeps an index of the accounts it stored (``database-passwords.json``: names only,
never a password) for Settings → Passwords.

A backend that cannot keep a secret safely is no keyring at all here: keyring's ``fail`` backend (no
keyring on this system), its ``null`` one, and the plaintext or file-based ones of ``keyrings.alt``.
Then nothing is stored and the user is asked each time; never a file of our own.

Every call may wait on the keyring (D-Bus, an unlock prompt): call these off the UI thread.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vouch_desktop.core.databases.errors import DatabaseError
from vouch_desktop.core.storage.store import JsonDocumentStore, StoreProblem
from vouch_desktop.core.storage.typed import read_fields

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

    from vouch_desktop.core.storage.profiles import TunnelProfile

log = logging.getLogger(__name__)
SERVICE = "Vouch Desktop database"  # keyring's "service": what the keyring's own manager shows
INDEX_VERSION = 1
# backends that keep nothing, or keep it in a file readable by whoever reads the file
EMPTY_MODULES = ("keyring.backends.fail", "keyring.backends.null")
FILE_MODULES = ("keyrings.alt",)
FRIENDLY = {
    "keyring.backends.SecretService": "the Secret Service (GNOME Keyring, KeePassXC…)",
    "keyring.backends.libsecret": "the Secret Service (libsecret)",
    "keyring.backends.kwallet": "KWallet",
    "keyring.backends.macOS": "the macOS Keychain",
    "keyring.backends.Windows": "Windows Credential Manager",
}


class NoKeyring(DatabaseError):
    """This system has no keyring the app may keep a password in."""


class KeyringFailed(DatabaseError):
    """The keyring refused or failed (locked and not unlocked, D-Bus gone, access denied)."""


@dataclass(frozen=True)
class DatabaseAccount:
    """What a password opens: a user on a database server (as the tunnel's far end names it)."""

    user: str
    host: str
    port: int

    @classmethod
    def of(cls, profile: TunnelProfile) -> DatabaseAccount:
        # a port on the bastion itself (no remote host): the bastion is the server
        return cls(profile.db_user, profile.remote_host or profile.target, profile.remote_port)

    @property
    def key(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"

    @property
    def label(self) -> str:
        return f"{self.user} on {self.host}:{self.port}"


@dataclass(frozen=True)
class StoredPassword:
    user: str
    host: str
    port: int
    stored_at: float  # seconds since the epoch

    @property
    def account(self) -> DatabaseAccount:
        return DatabaseAccount(self.user, self.host, self.port)


@dataclass(frozen=True)
class KeyringState:
    usable: bool
    name: str  # for people: "the Secret Service (GNOME Keyring, KeePassXC…)"
    backend: str  # module.Class, for the log and diagnostics
    why: str = ""  # when not usable: what the user reads

    def user_text(self) -> str:
        if self.usable:
            return f"Passwords are kept in {self.name}."
        return self.why


def describe(backend: KeyringBackend) -> KeyringState:
    """Whether ``backend`` may keep a database password, in words a person can act on."""
    qualified = f"{type(backend).__module__}.{type(backend).__name__}"
    parts: list[KeyringBackend] = list(getattr(backend, "backends", [backend]))  # the chainer: every one it tries
    modules = [type(part).__module__ for part in parts]
    if not parts or all(module.startswith(EMPTY_MODULES) for module in modules):
        return KeyringState(False, "no keyring", qualified,
                            "No usable keyring was found on this system (keyring's fail backend), so passwords are "
                            "not stored: you are asked each time. Install and unlock a Secret Service (GNOME "
                            "Keyring, KWallet, KeePassXC) to keep them.")
    unsafe = [module for module in modules if module.startswith(FILE_MODULES)]
    if unsafe:  # also beside a good one: keyring's chainer falls back to it when the good one fails
        return KeyringState(False, "a file", qualified,
                            f"The keyring in use ({unsafe[0]}) keeps passwords in a file, which this app does not "
                            "use: you are asked each time. Remove keyrings.alt or choose another backend.")
    name = next((text for prefix, text in FRIENDLY.items() for module in modules if module.startswith(prefix)),
                type(parts[0]).__name__)
    return KeyringState(True, name, qualified)


def current_backend() -> KeyringBackend:
    import keyring

    return keyring.get_keyring()


class PasswordVault:
    """Database passwords in the keyring, and the index of which accounts have one."""

    def __init__(self, index_file: Path, backend: KeyringBackend | None = None) -> None:
        self._backend = backend
        self._index = JsonDocumentStore(index_file, "database-passwords", INDEX_VERSION)
        self._entries: list[StoredPassword] | None = None

    @property
    def backend(self) -> KeyringBackend:
        if self._backend is None:
            self._backend = current_backend()
        return self._backend

    def state(self) -> KeyringState:
        return describe(self.backend)

    def _usable(self) -> KeyringBackend:
        state = self.state()
        if not state.usable:
            raise NoKeyring("There is no keyring to keep the password in.", advice=state.why)
        return self.backend

    # ---- the keyring
    def get(self, account: DatabaseAccount) -> str | None:
        """The stored password, or None (also when there is no usable keyring)."""
        if not self.state().usable:
            return None
        try:
            return self.backend.get_password(SERVICE, account.key)
        except Exception as exc:  # keyring's errors, and whatever a backend lets through (D-Bus, Keychain)
            raise _failed("read", account, exc) from None

    def store(self, account: DatabaseAccount, password: str) -> None:
        backend = self._usable()
        if not password:
            raise DatabaseError("An empty password is not stored.")
        try:
            backend.set_password(SERVICE, account.key, password)
        except Exception as exc:
            raise _failed("stored", account, exc) from None
        entries = [e for e in self.stored() if e.account != account]
        self._save([*entries, StoredPassword(account.user, account.host, account.port, time.time())])

    def forget(self, account: DatabaseAccount) -> None:
        """Remove it from the keyring and the index (one the keyring no longer has is just unlisted)."""
        from keyring.errors import PasswordDeleteError

        if self.state().usable:
            try:
                self.backend.delete_password(SERVICE, account.key)
            except PasswordDeleteError:
                pass  # removed meanwhile (in the keyring's own manager): nothing left to forget
            except Exception as exc:
                raise _failed("removed", account, exc) from None
        self._save([e for e in self.stored() if e.account != account])

    # ---- the index (no secrets)
    def load(self) -> list[StoreProblem]:
        result = self._index.load()
        entries: list[StoredPassword] = []
        raw = (result.data or {}).get("accounts", [])
        for item in raw if isinstance(raw, list) else []:
            if not isinstance(item, dict):
                continue
            values, issues, _ = read_fields(StoredPassword, item)
            if not issues and len(values) == 4:
                entries.append(StoredPassword(**values))  # type: ignore[arg-type]  # types checked by read_fields
        self._entries = entries
        return result.problems

    def stored(self) -> list[StoredPassword]:
        if self._entries is None:
            for problem in self.load():
                log.warning("%s", problem.user_text())
        return list(self._entries or [])

    def _save(self, entries: list[StoredPassword]) -> None:
        self._index.save({"accounts": [asdict(e) for e in sorted(entries, key=lambda e: e.account.key)]})
        self._entries = entries


def _failed(doing: str, account: DatabaseAccount, exc: Exception) -> KeyringFailed:
    from keyring.errors import KeyringLocked

    if isinstance(exc, KeyringLocked):
        return KeyringFailed(f"The keyring is locked: the password for {account.label} could not be {doing}.",
                             advice="Unlock your keyring (it may ask for your login password), then try again.")
    # the exception's text names the backend's problem; keyring never puts the password in it
    return KeyringFailed(f"The keyring failed: the password for {account.label} could not be {doing}.",
                         advice="Check that your keyring (Secret Service, KWallet, Keychain) is running and unlocked.",
                         detail=f"{type(exc).__name__}: {exc}")
