"""The control socket's handlers: each typed request of core/system/ipc_protocol.py answered from
the application service. What only the desktop can do (open the menu, let the user choose, quit)
goes through ``Desktop``, which the tray implements (and tests fake)."""

from __future__ import annotations

from typing import Protocol

from vouch_desktop.core.app.service import AppService
from vouch_desktop.core.aws.discovery import DiscoveredInstance
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.storage.profiles import InstanceProfile, TunnelProfile
from vouch_desktop.core.system.ipc_handlers import Handlers
from vouch_desktop.core.system.ipc_protocol import (
    Connect,
    Connected,
    ConnectOutcome,
    Done,
    GetStatus,
    ListTunnels,
    Quit,
    ReloadProfiles,
    ShowConnectPalette,
    ShowMenu,
    Status,
    TunnelDown,
    TunnelRow,
    Tunnels,
    TunnelUp,
)


class Desktop(Protocol):
    """The desktop side of the app, as the handlers need it."""

    def show_menu(self) -> None: ...

    def show_connect_palette(self) -> None: ...

    def request_quit(self) -> None: ...

    async def choose_instance(self, profile: InstanceProfile,
                              matches: list[DiscoveredInstance]) -> DiscoveredInstance | None: ...

    def show_error(self, title: str, error: VouchDesktopError) -> None: ...


def choose_message(profile: InstanceProfile, count: int) -> str:
    return f"{count} instances match {profile.target}: choose the instance in the window that opened."


class ControlHandlers:
    def __init__(self, service: AppService, desktop: Desktop) -> None:
        self.service = service
        self.desktop = desktop

    def handlers(self) -> Handlers:
        handlers = Handlers()
        handlers.register(GetStatus, self.status)
        handlers.register(ShowMenu, self.show_menu)
        handlers.register(Connect, self.connect)
        handlers.register(ShowConnectPalette, self.show_connect_palette)
        handlers.register(ListTunnels, self.list_tunnels)
        handlers.register(TunnelUp, self.tunnel_up)
        handlers.register(TunnelDown, self.tunnel_down)
        handlers.register(ReloadProfiles, self.reload_profiles)
        handlers.register(Quit, self.quit)
        return handlers

    def rows(self, profiles: list[TunnelProfile] | None = None) -> list[TunnelRow]:
        result = []
        for profile in self.service.profiles.tunnels if profiles is None else profiles:
            status = self.service.tunnel_status(profile)
            result.append(TunnelRow(profile.name, status.state.value, status.local_port or profile.local_port,
                                    status.reason))
        return result

    async def status(self, _: GetStatus) -> Status:
        snapshot = self.service.monitor.snapshot
        return Status(snapshot.headline, snapshot.state.value, snapshot.logged_in, snapshot.email,
                      self.service.key.menu_text, self.rows())

    async def show_menu(self, _: ShowMenu) -> Done:
        self.desktop.show_menu()
        return Done()

    async def show_connect_palette(self, _: ShowConnectPalette) -> Done:
        self.desktop.show_connect_palette()
        return Done()

    async def connect(self, request: Connect) -> Connected:
        """Opens the shell; when several instances match, the choice is made on the desktop and the
        answer comes at once, so the command line (and the socket) never wait for the user."""
        service = self.service
        profile = service.profiles.require(request.name, InstanceProfile)
        matches = await service.connector.candidates(profile, service.settings.current)
        if len(matches) > 1:
            service.tasks.spawn(self._choose_then_connect(profile, matches), what=f"connect {profile.name}",
                                on_error=lambda error: self.desktop.show_error(f"Connect to {profile.name}", error))
            return Connected(ConnectOutcome.CHOOSING, message=choose_message(profile, len(matches)))
        if matches:
            connection = await service.connect_to(profile, matches[0])
        else:
            connection = await service.connector.connect_to(profile, service.settings.current, profile.target)
        return Connected(ConnectOutcome.OPENED, connection.title, connection.target)

    async def _choose_then_connect(self, profile: InstanceProfile, matches: list[DiscoveredInstance]) -> None:
        chosen = await self.desktop.choose_instance(profile, matches)
        if chosen is not None:
            await self.service.connect_to(profile, chosen)

    async def list_tunnels(self, _: ListTunnels) -> Tunnels:
        return Tunnels(self.rows())

    async def tunnel_up(self, request: TunnelUp) -> Tunnels:
        chosen = self.service.tunnels_named(request.name)
        await self.service.bring_up(chosen)
        return Tunnels(self.rows(chosen))

    async def tunnel_down(self, request: TunnelDown) -> Tunnels:
        chosen = self.service.tunnels_named(request.name)
        for profile in chosen:
            await self.service.tunnels.stop(profile.name)
        return Tunnels(self.rows(chosen))

    async def reload_profiles(self, _: ReloadProfiles) -> Done:
        self.service.reload_profiles()
        return Done()

    async def quit(self, _: Quit) -> Done:
        self.desktop.request_quit()  # the app quits once this answer is on its way
        return Done()
