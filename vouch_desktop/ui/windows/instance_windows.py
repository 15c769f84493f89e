"""Instances: the browser, connecting (with "Which one?" when a tag filter matches several), SSH
over SSM (set up after a confirmation), saving an instance as a profile."""

from __future__ import annotations

import asyncio

from vouch_desktop.core.app.service import AppService
from vouch_desktop.core.app.tasks import ErrorHandler, Tasks
from vouch_desktop.core.aws.discovery import DiscoveredInstance, DiscoveryResult
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.storage.profiles import InstanceProfile
from vouch_desktop.ui.windows.ask import Boxes, choose, confirm
from vouch_desktop.ui.windows.instance_browser import InstanceBrowser
from vouch_desktop.ui.windows.profile_dialogs import InstanceProfileDialog


class InstanceWindows:
    def __init__(self, service: AppService, tasks: Tasks, boxes: Boxes) -> None:
        self.service, self.tasks, self.boxes = service, tasks, boxes
        self.browser: InstanceBrowser | None = None

    def report(self, title: str) -> ErrorHandler:
        return lambda error: self.boxes.error(title, error)

    # ---- the browser
    def show_browser(self) -> None:
        if self.browser is None:
            self.browser = InstanceBrowser(refresh=self.refresh, connect=self.connect_instance,
                                           save_profile=self.save_instance_profile, open_ssh=self.open_ssh,
                                           ssh_user=lambda instance: "", ssh_command=self.service.ssh_command_line)
        self.boxes.keeper.show(self.browser)
        if self.service.instances is None:
            self.refresh()
        else:
            self.browser.set_result(self.service.instances)

    def refresh(self) -> None:
        self.tasks.spawn(self.load_instances(), what="discovery", on_error=self.report("Instances"))

    async def load_instances(self) -> DiscoveryResult:
        browser = self.browser
        shown: list[asyncio.Future[None]] = []  # each region's rows, shown as soon as that region is done
        if browser is not None:
            browser.set_loading(True)
        try:
            result = await self.service.load_instances(
                on_region=None if browser is None else lambda region, instances, failure: shown.append(
                    asyncio.ensure_future(browser.show_region(region, instances, failure))))
            await asyncio.gather(*shown)
        finally:
            if browser is not None:
                browser.set_loading(False)
        if browser is not None:
            browser.finish_regions(result)
        return result

    # ---- connecting
    def connect_instance(self, instance: DiscoveredInstance) -> None:
        self.connect_profile(self.service.draft_profile(instance))

    def connect_profile(self, profile: InstanceProfile) -> None:
        self.tasks.spawn(self.service.connect(profile, self.choose_instance), what=f"connect {profile.name}",
                         on_error=self.report(f"Connect to {profile.name}"))

    async def choose_instance(self, profile: InstanceProfile,
                              matches: list[DiscoveredInstance]) -> DiscoveredInstance | None:
        labels = [m.label for m in matches]
        index = await choose(f"Connect: {profile.name}",
                             f"{len(matches)} instances match {profile.target}. Which one?", labels)
        return matches[index] if index is not None else None

    # ---- SSH over SSM
    def open_ssh(self, instance: DiscoveredInstance) -> None:
        self.tasks.spawn(self._open_ssh(instance), what="ssh", on_error=self.report("Open SSH"))

    async def _open_ssh(self, instance: DiscoveredInstance) -> None:
        if not self.service.ssh_routed() and not await self.set_up_ssh():
            return
        await self.service.open_ssh(instance)

    def offer_ssh_setup(self) -> None:
        self.tasks.spawn(self.set_up_ssh(), what="SSH setup", on_error=self.report("SSH over SSM"))

    async def set_up_ssh(self) -> bool:
        """Ask, then add the block to ~/.ssh/config; whether ssh now reaches instances through SSM."""
        editor = self.service.ssh_config
        profile = self.service.settings.current.aws_profile
        warning = editor.status().warning  # lines that would shadow ours: said before any change
        kept = ("A copy of the file as it is now is kept beside it." if editor.path.exists()
                else "The file does not exist yet: it will be created.")
        told = (f"\n(ssh is run with -F {editor.path}: it reads this file, not your own ~/.ssh/config.)"
                if editor.explicit else "")
        question = (f"Add a 'Host i-* mi-*' block to {editor.where} so that ssh reaches instances through Systems "
                    f"Manager (profile '{profile}')?\n{kept}{told}" + (f"\n\n{warning}" if warning else ""))
        if not await confirm("SSH over SSM", question):
            return False
        try:
            outcome = self.service.set_up_ssh()
        except VouchDesktopError as exc:  # read-only, unparsable, unreadable: nothing was changed
            self.boxes.warn("SSH over SSM", exc.message, exc.advice)
            return False
        self.boxes.inform("SSH over SSM", outcome.text)
        return self.service.ssh_routed()

    # ---- profiles from instances
    def save_instance_profile(self, instance: DiscoveredInstance) -> None:
        self.boxes.keeper.show(InstanceProfileDialog(self.service.draft_profile(instance),
                                                     self.service.settings.current.regions,
                                                     self.service.profiles.add, title="Save instance profile"))
