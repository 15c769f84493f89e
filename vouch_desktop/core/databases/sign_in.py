"""From a tunnel profile to a database client signed in through it: the password (from the keyring, asked
for, or an RDS IAM token), its private file, the client's command inside this app's carrier, and the
terminal that runs it. Also the connection URL and the password to copy.

The tunnel is brought up by the caller (core/app/service.py); this module is told its local port. The
terminal is opened by ``opener`` (the connector's ``open_in_terminal`` in the app): tests hand in one
that runs the command without a terminal, with the same plumbing up to that point.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from vouch_desktop.core.aws.sessions import AwsSessions
from vouch_desktop.core.databases.client_run import carrier_argv
from vouch_desktop.core.databases.clients import (
    ClientTool,
    NoClient,
    Target,
    command,
    connection_url,
    secret_text,
)
from vouch_desktop.core.databases.engines import DatabaseEngine, SignIn
from vouch_desktop.core.databases.errors import DatabaseError
from vouch_desktop.core.databases.iam import auth_token
from vouch_desktop.core.databases.passwords import DatabaseAccount, KeyringState, PasswordVault, StoredPassword
from vouch_desktop.core.databases.secret_files import GRACE, SecretFiles
from vouch_desktop.core.storage.profiles import TunnelProfile
from vouch_desktop.core.system.own_command import own_command

log = logging.getLogger(__name__)
SWEEP_EVERY = 60.0  # while sign-in files remain: how often the ones nothing holds any more are looked for

Opener = Callable[[list[str], str], Awaitable[None]]  # (argv, title): opens the command in a terminal


class NotADatabase(DatabaseError):
    """The tunnel's profile names no database engine."""


@dataclass(frozen=True)
class PasswordRequest:
    """What a password dialog shows: which account, and whether it can be kept."""

    tunnel: str
    account: DatabaseAccount
    keyring: KeyringState


@dataclass(frozen=True)
class PasswordAnswer:
    password: str
    remember: bool = False


AskPassword = Callable[[PasswordRequest], Awaitable[PasswordAnswer | None]]  # None: cancelled


@dataclass(frozen=True)
class OpenedClient:
    tool: ClientTool
    argv: list[str]  # what the terminal was asked to run (no secret in it)
    secret_file: Path | None  # None: the client asks for the password itself


class DatabaseSignIn:
    def __init__(self, vault: PasswordVault, files: SecretFiles, aws: AwsSessions,
                 own: Callable[[], list[str]] = own_command) -> None:
        self.vault, self.files, self.aws, self.own = vault, files, aws, own
        self._sweeper: asyncio.Task[None] | None = None

    # ---- the keyring
    async def keyring_state(self) -> KeyringState:
        return await asyncio.to_thread(self.vault.state)

    async def stored(self) -> list[StoredPassword]:
        return await asyncio.to_thread(self.vault.stored)

    async def forget(self, account: DatabaseAccount) -> None:
        await asyncio.to_thread(self.vault.forget, account)

    async def store(self, profile: TunnelProfile, password: str) -> None:
        await asyncio.to_thread(self.vault.store, DatabaseAccount.of(profile), password)

    async def has_password(self, profile: TunnelProfile) -> bool:
        return DatabaseAccount.of(profile) in {entry.account for entry in await self.stored()}

    # ---- what the client signs in with
    async def password(self, profile: TunnelProfile, aws_profile: str, ask: AskPassword) -> str | None:
        """The password for ``profile``'s database: None when the client is to ask for it itself.
        Raises ``SignInCancelled`` when the user closed the password dialog."""
        if profile.sign_in is SignIn.PROMPT:
            return None
        if profile.sign_in is SignIn.IAM:
            return await asyncio.to_thread(auth_token, self.aws, aws_profile, profile.region,
                                           profile.remote_host or profile.target, profile.remote_port,
                                           profile.db_user)
        account = DatabaseAccount.of(profile)
        stored = await asyncio.to_thread(self.vault.get, account) if profile.db_user else None
        if stored:
            return stored
        state = await self.keyring_state()
        answer = await ask(PasswordRequest(profile.name, account, state))
        if answer is None:
            raise SignInCancelled("No password was given.")
        if answer.remember and state.usable and profile.db_user:
            await asyncio.to_thread(self.vault.store, account, answer.password)
        return answer.password

    # ---- the client
    @staticmethod
    def target(profile: TunnelProfile, local_port: int) -> Target:
        iam = profile.sign_in is SignIn.IAM
        return Target(local_port, profile.db_user, profile.db_name, tls=iam,
                      cleartext=iam and profile.engine is DatabaseEngine.MYSQL)

    def url(self, profile: TunnelProfile, local_port: int) -> str:
        return connection_url(self._engine(profile), self.target(profile, local_port))

    @staticmethod
    def _engine(profile: TunnelProfile) -> DatabaseEngine:
        if not profile.is_database:
            raise NotADatabase(f"The tunnel '{profile.name}' does not say which database it leads to.",
                               advice="Choose the engine (PostgreSQL or MySQL/MariaDB) in the tunnel's profile.")
        return profile.engine

    async def open_client(self, profile: TunnelProfile, tool: ClientTool, local_port: int, password: str | None,
                          opener: Opener) -> OpenedClient:
        """Write the sign-in file (when there is a password), and have ``opener`` run the client in this
        app's carrier, which removes the file when the client ends."""
        self._engine(profile)
        executable = await asyncio.to_thread(tool.find)
        if executable is None:
            raise NoClient(f"{tool.name} is not installed.", advice=f"Install it (package {tool.package_hint}), "
                                                                     "or choose another client.")
        target = self.target(profile, local_port)
        secret: Path | None = None
        if password is not None:
            text, suffix = secret_text(tool, target, password)
            secret = await asyncio.to_thread(self.files.write, text, suffix)
        try:
            client = await asyncio.to_thread(command, tool, executable, target, secret)
            argv = carrier_argv(self.own(), secret, client.env_var, client.argv)
            await opener(argv, f"{profile.name} · {tool.name}")
        except BaseException:
            if secret is not None:  # nothing will claim it: the terminal did not open
                self.files.remove_unclaimed(secret)
            raise
        if secret is not None:
            self._watch()
        return OpenedClient(tool, argv, secret)

    # ---- files nobody claimed
    def _watch(self) -> None:
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_while_files_remain())

    async def _sweep_while_files_remain(self) -> None:
        await asyncio.sleep(GRACE + 1)
        while True:
            removed = await asyncio.to_thread(self.files.sweep)
            if removed:
                log.info("Removed %d database sign-in file(s) that no client held", len(removed))
            if not await asyncio.to_thread(self.files.files):
                return
            await asyncio.sleep(SWEEP_EVERY)

    async def start(self) -> None:
        """At start: files a previous run left behind (it was killed) and no client holds go."""
        await asyncio.to_thread(self.files.sweep)
        if await asyncio.to_thread(self.files.files):
            self._watch()

    async def stop(self) -> None:
        """At quit: every file no client holds goes now; clients still running keep theirs (their carriers
        remove them)."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        await asyncio.to_thread(self.files.sweep, everything=True)


class SignInCancelled(DatabaseError):
    """The user closed the password dialog: nothing is opened, and nothing needs to be said."""
