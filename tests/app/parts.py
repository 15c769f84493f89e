"""An application service on real core objects (files in a temporary home, the fake vouch), with
stand-ins only where the real thing would reach AWS or the desktop: no Qt, no display."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vouch_desktop.core.app.service import AppService
from vouch_desktop.core.app.settings_holder import SettingsHolder
from vouch_desktop.core.app.tasks import Tasks
from vouch_desktop.core.aws.discovery import DiscoveredInstance, InstanceDiscovery
from vouch_desktop.core.aws.sessions import AwsSessions
from vouch_desktop.core.connect.connector import Connection, Connector
from vouch_desktop.core.connect.ssh_config import SshConfigEditor
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.storage.history import History
from vouch_desktop.core.storage.profiles import InstanceProfile, ProfileBook
from vouch_desktop.core.storage.settings import Settings, SettingsStore
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.core.system.processes import ProcessRegistry
from vouch_desktop.core.tunnels.manager import TunnelManager
from vouch_desktop.core.vouch.client import VouchClient
from vouch_desktop.core.vouch.session_monitor import SessionMonitor
from vouch_desktop.core.vouch.yubikey import KeyPresence


class FakeAutostart:
    def __init__(self, fail: bool = False) -> None:
        self.enabled = False
        self.fail = fail

    def is_enabled(self) -> bool:
        return self.enabled

    def enable(self, command: list[str]) -> None:
        if self.fail:
            raise PermissionError(13, "Permission denied", "autostart")
        self.enabled = True

    def disable(self) -> None:
        self.enabled = False

    def describe(self) -> str:
        return "fake"


class FakeKey:
    def __init__(self, present: bool = True) -> None:
        self.presence = KeyPresence(present, "YubiKey 5 (test)" if present else "")

    def present(self) -> KeyPresence:
        return self.presence


class FakeDiscovery(InstanceDiscovery):
    """Tag filters match what ``matches`` says (AWS is not asked)."""

    def __init__(self, aws: AwsSessions) -> None:
        super().__init__(aws)
        self.matches: list[DiscoveredInstance] = []

    async def resolve(self, profile: str, region: str, tag_filter: str) -> list[DiscoveredInstance]:
        return list(self.matches)


class RecordingConnector(Connector):
    """Opens no terminal: records what would have been opened."""

    opened: list[tuple[str, str]]

    async def connect_to(self, profile: InstanceProfile, settings: Settings, target: str) -> Connection:
        self.opened.append((profile.name, target))
        return Connection(target, profile.region, settings.aws_profile, f"{profile.name} ({target}) · SSM", [])


@dataclass
class FakeDesktop:
    """The tray, as the control handlers see it."""

    menus: int = 0
    palettes: int = 0
    quits: int = 0
    errors: list[tuple[str, VouchDesktopError]] = field(default_factory=list)
    asked: list[list[str]] = field(default_factory=list)
    answer: DiscoveredInstance | None = None
    answered: object = None  # an asyncio.Event the test sets when "the user" has chosen

    def show_menu(self) -> None:
        self.menus += 1

    def request_quit(self) -> None:
        self.quits += 1

    def show_connect_palette(self) -> None:
        self.palettes += 1

    async def choose_instance(self, profile: InstanceProfile,
                              matches: list[DiscoveredInstance]) -> DiscoveredInstance | None:
        self.asked.append([m.instance_id for m in matches])
        if self.answered is not None:
            await self.answered.wait()  # type: ignore[attr-defined]
        return self.answer

    def show_error(self, title: str, error: VouchDesktopError) -> None:
        self.errors.append((title, error))


def make_service(root: Path, vouch_path: str, *, autostart: FakeAutostart | None = None,
                 levels: list[str] | None = None) -> AppService:
    paths = AppPaths.under(root).ensure()
    store = SettingsStore(paths)
    settings = Settings(vouch_path=vouch_path, regions=["eu-west-1"])
    profiles = ProfileBook(paths)
    history = History(paths.history_file)
    processes = ProcessRegistry()
    aws = AwsSessions()
    vouch = VouchClient(vouch_path, processes=processes)
    discovery = FakeDiscovery(aws)
    connector = RecordingConnector(vouch, aws, discovery, history, processes)
    connector.opened = []
    service = AppService(
        paths=paths, settings_store=store, settings=SettingsHolder(settings), profiles=profiles, history=history,
        processes=processes, aws=aws, vouch=vouch, monitor=SessionMonitor(vouch), key_detector=FakeKey(),
        discovery=discovery,
        tunnels=TunnelManager(aws, processes, plugin_path=lambda: None, resolve_tag_filter=discovery.resolve),
        autostart=autostart or FakeAutostart(), tasks=Tasks(),
        set_log_level=(levels if levels is not None else []).append)
    service.connector, service.ssh_config = connector, SshConfigEditor(root / "ssh_config")  # its own, not ~/.ssh
    return service
