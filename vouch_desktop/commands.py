"""The command-line sub-commands. They ask the running tray app when there is one (so tunnels and
state are its own), and otherwise do the work here where that makes sense."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from vouch_desktop.cli import EXIT_FAILED, EXIT_NOT_LOGGED_IN, EXIT_NOT_RUNNING, EXIT_OK, EXIT_UNKNOWN
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.storage.profiles import InstanceProfile, ProfileBook, UnknownProfile
from vouch_desktop.core.storage.store import StoreProblem
from vouch_desktop.core.system.ipc_client import NotRunning, send_request
from vouch_desktop.core.system.paths import AppPaths

if TYPE_CHECKING:
    from vouch_desktop.core.storage.settings import Settings


def say(text: str) -> None:
    print(text, flush=True)


def fail(error: VouchDesktopError, code: int = EXIT_FAILED) -> int:
    print(f"vouch-desktop: {error.message}", file=sys.stderr)
    if error.advice:
        print(f"  {error.advice}", file=sys.stderr)
    return code


def report(problems: list[StoreProblem]) -> None:
    """What was wrong with the app's files (each names its file), on stderr: the command goes on."""
    for problem in problems:
        print(f"vouch-desktop: {problem.user_text()}", file=sys.stderr)


def print_tunnels(tunnels: list[dict]) -> None:
    for tunnel in tunnels:
        port = f"localhost:{tunnel['local_port']}" if tunnel.get("local_port") else "-"
        reason = f"  ({tunnel['reason']})" if tunnel.get("reason") else ""
        say(f"{tunnel['name']:<24} {tunnel['state']:<12} {port}{reason}")


class Commands:
    def __init__(self, paths: AppPaths, demo: bool) -> None:
        self.paths = paths
        # `--demo COMMAND` talks to the demo app, whose files live in a temporary home: without the
        # app there is nothing to fall back on
        self.demo = demo

    def ask(self, command: str, args: dict | None = None, timeout: float = 60.0) -> dict:
        try:
            answer = send_request(self.paths.socket_path(demo=self.demo), command, args, timeout=timeout)
        except NotRunning:
            if self.demo:
                raise NotRunning("The demo app is not running.", advice="Start it with: vouch-desktop --demo &") from None
            raise
        if not answer.get("ok"):
            error_cls = UnknownProfile if answer.get("kind") == "UnknownProfile" else VouchDesktopError
            raise error_cls(answer.get("error", "failed"), advice=answer.get("advice", ""))
        return answer

    def ask_or_none(self, command: str, args: dict | None = None) -> dict | None:
        """The app's answer, or None when it is not running (and we may do the work ourselves)."""
        try:
            return self.ask(command, args)
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
        answer = self.ask_or_none("status")
        if answer is None:
            from vouch_desktop.core.vouch.client import VouchClient
            from vouch_desktop.core.vouch.session_state import evaluate

            settings = self.settings()
            vouch_status = asyncio.run(VouchClient(settings.vouch_path or None).status())
            snapshot = evaluate(vouch_status, vouch_status.read_at, settings.notify_lead_minutes * 60)
            say(snapshot.headline)
            say("(the tray app is not running: no tunnels are up)")
            return EXIT_OK if snapshot.logged_in else EXIT_NOT_LOGGED_IN
        say(answer["headline"])
        say(answer["key"])
        print_tunnels(answer["tunnels"])
        return EXIT_OK if answer["logged_in"] else EXIT_NOT_LOGGED_IN

    def connect(self, name: str) -> int:
        answer = self.ask_or_none("connect", {"name": name})
        if answer is not None:
            say(f"Opened {answer['title']}." if answer.get("title") else "Cancelled.")
            return EXIT_OK
        from vouch_desktop.core.aws.discovery import InstanceDiscovery
        from vouch_desktop.core.aws.sessions import AwsSessions
        from vouch_desktop.core.connect.connector import Connector
        from vouch_desktop.core.storage.history import History
        from vouch_desktop.core.vouch.client import VouchClient

        settings = self.settings()
        profile = self.book().require(name, InstanceProfile)

        async def first_match(_profile, matches):
            say(f"{len(matches)} instances match {_profile.target}; using {matches[0].label}.")
            return matches[0]

        aws = AwsSessions()
        connector = Connector(VouchClient(settings.vouch_path or None), aws, InstanceDiscovery(aws),
                              History(self.paths.history_file))
        connection = asyncio.run(connector.connect(profile, settings, first_match))
        say(f"Opened {connection.title}.")
        return EXIT_OK

    def tunnel(self, action: str, name: str) -> int:
        if action == "list":
            answer = self.ask_or_none("tunnel_list")
            tunnels = answer["tunnels"] if answer is not None else [
                {"name": t.name, "state": "off", "local_port": t.local_port} for t in self.book().tunnels]
            print_tunnels(tunnels)
            return EXIT_OK
        if not name:
            raise VouchDesktopError(f"Say which tunnel (or group): vouch-desktop tunnel {action} NAME")
        try:
            answer = self.ask(f"tunnel_{action}", {"name": name})
        except NotRunning as exc:
            return fail(NotRunning("Vouch Desktop is not running: tunnels live in the tray app.",
                                   advice=exc.advice), EXIT_NOT_RUNNING)
        print_tunnels(answer["tunnels"])
        return EXIT_FAILED if any(t["state"] == "failed" for t in answer["tunnels"]) else EXIT_OK

    def profiles(self, action: str, file: str, apply: bool, on_conflict: str) -> int:
        from vouch_desktop.core.storage.profile_io import apply_import, export_profiles, plan_import

        if self.demo:
            raise VouchDesktopError("Profile files work on your own profiles, not the demo's: run this without --demo.")
        book = self.book()
        if action == "export":
            say(f"Wrote {export_profiles(book, Path(file))} profiles to {file}.")
            return EXIT_OK
        plan = plan_import(book, Path(file))
        say(plan.preview())
        if plan.invalid:
            say("Nothing was imported.")
            return EXIT_FAILED
        if not apply:
            say("Nothing changed yet: add --apply to import" +
                (f" (conflicting ones: --on-conflict {on_conflict})." if plan.conflicts else "."))
            return EXIT_OK
        for line in apply_import(book, plan, on_conflict):
            say(line)
        self.ask_or_none("reload_profiles")  # so the running app does not save over the import
        return EXIT_OK

    def quit(self) -> int:
        self.ask("quit", timeout=30)
        say("Vouch Desktop has quit.")
        return EXIT_OK


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
        return fail(exc, EXIT_UNKNOWN)
    except NotRunning as exc:
        return fail(exc, EXIT_NOT_RUNNING)
    except VouchDesktopError as exc:
        return fail(exc)
