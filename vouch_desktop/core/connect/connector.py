"""From a saved profile to a terminal running its SSM session: resolve, check, build, launch.
Shared by the tray and the command line (`vouch-desktop connect NAME`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from vouch_desktop.core.aws.discovery import DiscoveredInstance, InstanceDiscovery
from vouch_desktop.core.aws.sessions import AwsSessions
from vouch_desktop.core.aws.ssm_commands import SessionRequest, find_tools, session_command
from vouch_desktop.core.connect.diagnostics import Diagnostics
from vouch_desktop.core.connect.terminals import TerminalLauncher
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.storage.history import History
from vouch_desktop.core.storage.profiles import InstanceProfile
from vouch_desktop.core.storage.settings import Settings
from vouch_desktop.core.storage.validation import is_tag_filter
from vouch_desktop.core.system.detached import launch_detached
from vouch_desktop.core.vouch.client import VouchClient

Chooser = Callable[[InstanceProfile, list[DiscoveredInstance]], Awaitable[DiscoveredInstance | None]]


@dataclass(frozen=True)
class Connection:
    target: str
    region: str
    aws_profile: str
    title: str
    terminal_argv: list[str]
    terminal: str = ""  # the terminal's name, for messages


class Connector:
    def __init__(self, vouch: VouchClient, aws: AwsSessions, discovery: InstanceDiscovery, history: History) -> None:
        self.vouch, self.aws, self.discovery, self.history = vouch, aws, discovery, history

    async def resolve(self, profile: InstanceProfile, aws_profile: str, choose: Chooser) -> str | None:
        if not is_tag_filter(profile.target):
            return profile.target
        matches = await self.discovery.resolve(aws_profile, profile.region, profile.target)
        if not matches:
            raise VouchDesktopError(f"No connectable instance matches {profile.target} in {profile.region}.",
                                    advice="Check the tag filter and region; stopped instances are not offered.")
        chosen = matches[0] if len(matches) == 1 else await choose(profile, matches)
        return chosen.instance_id if chosen else None

    async def plan(self, profile: InstanceProfile, settings: Settings, choose: Chooser) -> Connection | None:
        aws_profile = profile.aws_profile or settings.aws_profile
        target = await self.resolve(profile, aws_profile, choose)
        if target is None:
            return None
        tools = find_tools(settings.plugin_path)
        blockers = await Diagnostics(self.vouch, self.aws, lambda: tools, aws_profile, profile.region) \
            .before_connect(target, profile.region)
        if blockers:
            raise VouchDesktopError(blockers[0].message, advice=blockers[0].advice,
                                    detail="\n".join(f"{b.name}: {b.message}" for b in blockers))
        request = SessionRequest(target, profile.region, aws_profile, profile.document, profile.parameters)
        title = f"{profile.name} ({target}) · SSM" if profile.name != target else f"{target} · SSM"
        plan = TerminalLauncher(settings.terminal, settings.terminal_template,
                                hold_on_error=settings.keep_open_on_error).plan(
            session_command(request, tools), title,
            {"target": target, "region": profile.region, "profile": aws_profile})
        return Connection(target, profile.region, aws_profile, title, plan.argv, plan.terminal)

    async def connect(self, profile: InstanceProfile, settings: Settings, choose: Chooser) -> Connection | None:
        connection = await self.plan(profile, settings, choose)
        if connection is None:
            return None
        name = profile.name if profile.name != connection.target else ""
        try:
            # watches the terminal's first seconds: one that dies at once is a failure, told with its own words
            await asyncio.to_thread(launch_detached, connection.terminal_argv, name=connection.terminal)
        except VouchDesktopError as exc:
            self.history.add("connect_failure", profile=name, target=connection.target, region=connection.region,
                             message=exc.message)
            raise
        self.history.add("connect", profile=name, target=connection.target, region=connection.region)
        return connection

