"""From a saved profile to a terminal running its SSM session: resolve, check, build, launch.
Shared by the tray and the command line (`vouch-desktop connect NAME`); the one place that turns
a command into a terminal window (``open_in_terminal``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from vouch_desktop.core.aws.discovery import DiscoveredInstance, InstanceDiscovery
from vouch_desktop.core.aws.sessions import AwsSessions
from vouch_desktop.core.aws.ssm_commands import SessionRequest, find_tools, session_command
from vouch_desktop.core.aws.targets import find_candidates, resolve_target
from vouch_desktop.core.connect.diagnostics import Diagnostics
from vouch_desktop.core.connect.errors import ConnectError
from vouch_desktop.core.connect.terminals import LaunchPlan, TerminalLauncher
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.storage.history import History
from vouch_desktop.core.storage.profiles import InstanceProfile
from vouch_desktop.core.storage.settings import Settings
from vouch_desktop.core.storage.validation import is_tag_filter
from vouch_desktop.core.system.detached import launch_detached
from vouch_desktop.core.system.processes import ProcessRegistry
from vouch_desktop.core.vouch.client import VouchClient

Chooser = Callable[[InstanceProfile, list[DiscoveredInstance]], Awaitable[DiscoveredInstance | None]]


class ConnectBlocked(ConnectError):
    """A pre-flight check failed (not logged in, no plugin, the instance offline…): nothing was started."""


@dataclass(frozen=True)
class Connection:
    target: str
    region: str
    aws_profile: str
    title: str
    terminal_argv: list[str]
    terminal: str = ""  # the terminal's name, for messages


def terminal_plan(settings: Settings, command: list[str], title: str,
                  values: dict[str, str] | None = None) -> LaunchPlan:
    """The command line that opens ``command`` in the terminal chosen in ``settings``, and its name."""
    return TerminalLauncher(settings.terminal, settings.terminal_template,
                            hold_on_error=settings.keep_open_on_error).plan(command, title, values)


def terminal_argv(settings: Settings, command: list[str], title: str,
                  values: dict[str, str] | None = None) -> list[str]:
    return terminal_plan(settings, command, title, values).argv


async def open_in_terminal(settings: Settings, command: list[str], title: str,
                           values: dict[str, str] | None = None) -> None:
    """Open ``command`` in a terminal window of the user's, which outlives the app; a terminal that
    closes at once (within the launcher's watch) raises ``ExitedAtOnce`` with its own words."""
    plan = terminal_plan(settings, command, title, values)
    await asyncio.to_thread(launch_detached, plan.argv, name=plan.terminal)


class Connector:
    def __init__(self, vouch: VouchClient, aws: AwsSessions, discovery: InstanceDiscovery, history: History,
                 processes: ProcessRegistry) -> None:
        self.vouch, self.aws, self.discovery, self.history = vouch, aws, discovery, history
        self.processes = processes

    @staticmethod
    def aws_profile(profile: InstanceProfile, settings: Settings) -> str:
        return profile.aws_profile or settings.aws_profile

    async def candidates(self, profile: InstanceProfile, settings: Settings) -> list[DiscoveredInstance]:
        """The instances the profile may reach: one for an instance id is not looked up (empty list)."""
        if not is_tag_filter(profile.target):
            return []
        return await find_candidates(self.discovery.resolve, self.aws_profile(profile, settings), profile.region,
                                     profile.target)

    async def resolve(self, profile: InstanceProfile, aws_profile: str, choose: Chooser) -> str | None:
        async def choose_for_profile(matches: list[DiscoveredInstance]) -> DiscoveredInstance | None:
            return await choose(profile, matches)

        return await resolve_target(self.discovery.resolve, aws_profile, profile.region, profile.target,
                                    choose_for_profile)

    async def plan_for(self, profile: InstanceProfile, settings: Settings, target: str) -> Connection:
        """The checks and the terminal command for one instance (``target`` resolved already)."""
        aws_profile = self.aws_profile(profile, settings)
        tools = find_tools(settings.plugin_path)
        blockers = await Diagnostics(self.vouch, self.aws, lambda: tools, aws_profile, profile.region,
                                     processes=self.processes).before_connect(target, profile.region)
        if blockers:
            raise ConnectBlocked(blockers[0].message, advice=blockers[0].advice,
                                 detail="\n".join(f"{b.name}: {b.message}" for b in blockers))
        request = SessionRequest(target, profile.region, aws_profile, profile.document, profile.parameters)
        title = f"{profile.name} ({target}) · SSM" if profile.name != target else f"{target} · SSM"
        plan = terminal_plan(settings, session_command(request, tools), title,
                             {"target": target, "region": profile.region, "profile": aws_profile})
        return Connection(target, profile.region, aws_profile, title, plan.argv, plan.terminal)

    async def connect(self, profile: InstanceProfile, settings: Settings, choose: Chooser) -> Connection | None:
        """Resolve (asking ``choose`` when several instances match), check, open the terminal; None if not chosen."""
        target = await self.resolve(profile, self.aws_profile(profile, settings), choose)
        if target is None:
            return None
        return await self.connect_to(profile, settings, target)

    async def connect_to(self, profile: InstanceProfile, settings: Settings, target: str) -> Connection:
        connection = await self.plan_for(profile, settings, target)
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
