"""Profiles: the profiles window, and the dialogs that add or edit an instance or tunnel profile."""

from __future__ import annotations

from collections.abc import Callable

from vouch_desktop.core.app.service import AppService
from vouch_desktop.core.app.tasks import Tasks
from vouch_desktop.core.storage.profiles import InstanceProfile, Profile, TunnelProfile
from vouch_desktop.ui.windows.ask import Keeper
from vouch_desktop.ui.windows.profile_dialogs import InstanceProfileDialog, TunnelProfileDialog
from vouch_desktop.ui.windows.profiles_window import ProfilesWindow


class ProfileWindows:
    def __init__(self, service: AppService, tasks: Tasks, keeper: Keeper) -> None:
        self.service, self.tasks, self.keeper = service, tasks, keeper
        self.window: ProfilesWindow | None = None

    def show_profiles(self) -> None:
        if self.window is None:
            self.window = ProfilesWindow(self.service.profiles, self.edit_instance, self.edit_tunnel)
        self.keeper.show(self.window)

    def _saver(self, profile: Profile | None) -> Callable[[Profile], None]:
        """Where the dialog saves: a new profile is added, an edited one replaces its old self; then the
        profiles window (when open) selects it, under its new name."""
        book = self.service.profiles

        def save(new: Profile) -> None:
            if profile is None:
                book.add(new)
            else:
                book.update(profile.name, new)
            if self.window is not None and self.window.isVisible():
                self.window.show_profile(new)

        return save

    def edit_instance(self, profile: InstanceProfile | None) -> None:
        regions = self.service.settings.current.regions
        draft = profile or InstanceProfile("", "", regions[0])
        self.keeper.show(InstanceProfileDialog(draft, regions, self._saver(profile),
                                               title="New instance profile" if profile is None
                                               else "Edit instance profile"))

    def edit_tunnel(self, profile: TunnelProfile | None) -> None:
        regions = self.service.settings.current.regions
        draft = profile or TunnelProfile("", "", 5432, regions[0])
        dialog = TunnelProfileDialog(draft, regions, self._saver(profile),
                                     title="New tunnel" if profile is None else "Edit tunnel")
        self.keeper.show(dialog)

        async def fill_databases() -> None:
            dialog.add_databases(await self.service.database_endpoints())

        async def fill_bastions() -> None:
            dialog.bastions.set_loading()
            dialog.bastions.set_result(self.service.instances or await self.service.load_instances())

        self.tasks.spawn(fill_databases(), what="RDS discovery")
        self.tasks.spawn(fill_bastions(), what="bastion discovery",
                         on_error=lambda error: dialog.bastions.set_failed(error.message))
