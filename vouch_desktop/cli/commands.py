"""The command-line sub-commands. They ask the running tray app when there is one (so tunnels and
state are its own), and otherwise do the work here where that makes sense."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from vouch_desktop.cli.exit_codes import ExitCode
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.storage.profiles import InstanceProfile, ProfileBook, UnknownProfile
from vouch_desktop.core.storage.store import StoreProblem
from vouch_desktop.core.system.ipc_client import NotRunning, send_request
from vouch_desktop.core.system.ipc_protocol import (
    Connect,
    ConnectOutcome,
    GetStatus,
    ListTunnels,
    Quit,
    ReloadProfiles,
    Reply,
    Request,
    ShowConnectPalette,
    TunnelDown,
    TunnelRow,
    TunnelUp,
)
from vouch_desktop.core.system.paths import AppPaths

if TYPE_CHECKING:
    from vouch_desktop.core.aws.discovery import DiscoveredInstance
    from vouch_desktop.core.storage.settings import Settings

R = TypeVar("R", bound=Reply)


def say(text: str) -> None:
    print(text, flush=True)


def fail(error: VouchDesktopError, code: ExitCode = ExitCode.FAILED) -> int:
    print(f"vouch-desktop: {error.message}", file=sys.stderr)
    if error.advice:
        print(f"  {error.advice}", file=sys.stderr)
    return code


def report(problems: list[StoreProblem]) -> None:
    """What was wrong with the app's files (each names its file), on stderr: the command goes on."""
    for problem in problems:
        print(f"vouch-desktop: {problem.user_text()}", file=sys.stderr)


def print_tunnels(tunnels: list[TunnelRow]) -> None:
    for tunnel in tunnels:
        port = f"localhost:{tunnel.local_port}" if tunnel.local_port else "-"
        reason = f"  ({tunnel.reason})" if tunnel.reason else ""
        say(f"{tunnel.name:<24} {tunnel.state:<12} {port}{reason}")


class Commands:
    def __init__(self, paths: AppPaths, demo: bool) -> None:
        self.paths = paths
        # `--demo COMMAND` talks to the demo app, whose files live in a temporary home: without the
        # app there is nothing to fall back on
        self.demo = demo

    def ask(self, request: Request[R], timeout: float = 60.0) -> R:
        try:
            return send_request(self.paths.control_endpoint(demo=self.demo), request, timeout=timeout)
        except NotRunning:
            if self.demo:
                raise NotRunning("The demo app is not running.",
                                 advice="Start it with: vouch-desktop --demo &") from None
            raise

    def ask_or_none(self, request: Request[R]) -> R | None:
        """The app's answer, or None when it is not running (and we may do the work ourselves)."""
        try:
            return self.ask(request)
        except NotRunning:
            if self.demo:
                raise
            return None

    def book(self) -> ProfileBook:
        book = ProfileBook(self.paths)
        report(book.load())
        return book

    def settings(self) -> Settings:
        from vouch_desktop.core.storage.settings import SettingsStore

        settings, problems = SettingsStore(self.paths).load()
        report(problems)
        return settings

    def status(self) -> int:
        answer = self.ask_or_none(GetStatus())
        if answer is None:
            from vouch_desktop.core.system.processes import ProcessRegistry
            from vouch_desktop.core.vouch.client import VouchClient
            from vouch_desktop.core.vouch.session_state import evaluate

            settings = self.settings()
            processes = ProcessRegistry()
            try:
                vouch_status = asyncio.run(VouchClient(settings.vouch_path or None, processes=processes).status())
            finally:
                processes.kill_all_now()
            snapshot = evaluate(vouch_status, vouch_status.read_at, settings.notify_lead_minutes * 60)
            say(snapshot.headline)
            say("(the tray app is not running: no tunnels are up)")
            return ExitCode.OK if snapshot.logged_in else ExitCode.NOT_LOGGED_IN
        say(answer.headline)
        say(answer.key)
        print_tunnels(answer.tunnels)
        return ExitCode.OK if answer.logged_in else ExitCode.NOT_LOGGED_IN

    def connect(self, name: str) -> int:
        if not name:
            return self.connect_palette()
        answer = self.ask_or_none(Connect(name))
        if answer is not None:
            if answer.outcome is ConnectOutcome.OPENED:
                say(f"Opened {answer.title}.")
            else:
                say(answer.message or "Cancelled.")
            return ExitCode.OK
        return self.connect_here(name)

    def connect_palette(self) -> int:
        """No name: the running app opens its palette (type to find an instance, Enter connects)."""
        try:
            self.ask(ShowConnectPalette())
        except NotRunning as exc:
            return fail(NotRunning("Vouch Desktop is not running: the Connect… palette lives in the tray app.",
                                   advice=exc.advice or "Start it, or name a profile: vouch-desktop connect NAME"),
                        ExitCode.NOT_RUNNING)
        say("The Connect… palette is open: type to find an instance, Enter connects.")
        return ExitCode.OK

    def connect_here(self, name: str) -> int:
        from vouch_desktop.core.aws.discovery import InstanceDiscovery
        from vouch_desktop.core.aws.sessions import AwsSessions
        from vouch_desktop.core.connect.connector import Connector
        from vouch_desktop.core.storage.history import History
        from vouch_desktop.core.system.processes import ProcessRegistry
        from vouch_desktop.core.vouch.client import VouchClient

        settings = self.settings()
        profile = self.book().require(name, InstanceProfile)

        async def first_match(profile: InstanceProfile, matches: list[DiscoveredInstance]) -> DiscoveredInstance:
            say(f"{len(matches)} instances match {profile.target}; using {matches[0].label}.")
            return matches[0]

        aws = AwsSessions()
        processes = ProcessRegistry()
        connector = Connector(VouchClient(settings.vouch_path or None, processes=processes), aws,
                              InstanceDiscovery(aws), History(self.paths.history_file), processes)
        try:
            connection = asyncio.run(connector.connect(profile, settings, first_match))
        finally:
            processes.kill_all_now()
        assert connection is not None  # first_match always chooses
        say(f"Opened {connection.title}.")
        return ExitCode.OK

    def tunnel(self, action: str, name: str) -> int:
        if action == "list":
            answer = self.ask_or_none(ListTunnels())
            print_tunnels(answer.tunnels if answer is not None else
                          [TunnelRow(t.name, "off", t.local_port) for t in self.book().tunnels])
            return ExitCode.OK
        if not name:
            raise VouchDesktopError(f"Say which tunnel (or group): vouch-desktop tunnel {action} NAME")
        try:
            answer = self.ask(TunnelUp(name) if action == "up" else TunnelDown(name))
        except NotRunning as exc:
            return fail(NotRunning("Vouch Desktop is not running: tunnels live in the tray app.",
                                   advice=exc.advice), ExitCode.NOT_RUNNING)
        print_tunnels(answer.tunnels)
        return ExitCode.FAILED if any(t.state == "failed" for t in answer.tunnels) else ExitCode.OK

    def profiles(self, action: str, file: str, apply: bool, on_conflict: str) -> int:
        from vouch_desktop.core.storage.profile_io import apply_import, export_profiles, plan_import

        if self.demo:
            raise VouchDesktopError("Profile files work on your own profiles, not the demo's: run this without --demo.")
        book = self.book()
        if action == "export":
            say(f"Wrote {export_profiles(book, Path(file))} profiles to {file}.")
            return ExitCode.OK
        plan = plan_import(book, Path(file))
        say(plan.preview())
        if plan.invalid:
            say("Nothing was imported.")
            return ExitCode.FAILED
        if not apply:
            say("Nothing changed yet: add --apply to import" +
                (f" (conflicting ones: --on-conflict {on_conflict})." if plan.conflicts else "."))
            return ExitCode.OK
        for line in apply_import(book, plan, on_conflict):
            say(line)
        self.ask_or_none(ReloadProfiles())  # so the running app does not save over the import
        return ExitCode.OK

    def quit(self) -> int:
        self.ask(Quit(), timeout=30)
        say("Vouch Desktop has quit.")
        return ExitCode.OK


def run_command(args: argparse.Namespace) -> int:
    commands = Commands(AppPaths.default().ensure(), args.demo)
    try:
        if args.command == "status":
            return commands.status()
        if args.command == "connect":
            return commands.connect(args.name)
        if args.command == "tunnel":
            return commands.tunnel(args.action, args.name)
        if args.command == "profiles":
            return commands.profiles(args.action, args.file, args.apply, args.on_conflict)
        return commands.quit()
    except UnknownProfile as exc:
        return fail(exc, ExitCode.UNKNOWN_PROFILE)
    except NotRunning as exc:
        return fail(exc, ExitCode.NOT_RUNNING)
    except VouchDesktopError as exc:
        return fail(exc)
