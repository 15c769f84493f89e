"""Quick connect: the "Connect…" palette (from the tray's first item and `vouch-desktop connect`
without a name), filled from the saved profiles and recent connections at once and from discovery
as it arrives (off the UI thread, with progress); what the palette's keys do."""

from __future__ import annotations

import time

from vouch_desktop.core.app.quick_connect import Candidate, candidates_from
from vouch_desktop.core.app.service import AppService
from vouch_desktop.core.app.tasks import Tasks
from vouch_desktop.core.aws.discovery import DiscoveredInstance, RegionFailure
from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.ui.windows.ask import Boxes
from vouch_desktop.ui.windows.connect_palette import ConnectPalette
from vouch_desktop.ui.windows.instance_windows import InstanceWindows

RECENT = 10  # recent connections offered
FRESH_FOR = 300.0  # seconds discovery's result is used as it is; older, it is refreshed behind the palette


class QuickConnect:
    def __init__(self, service: AppService, tasks: Tasks, instances: InstanceWindows, boxes: Boxes) -> None:
        self.service, self.tasks, self.instances, self.boxes = service, tasks, instances, boxes
        self.palette: ConnectPalette | None = None
        self._discovering = False
        self._discovered_at = 0.0

    def show(self) -> None:
        if self.palette is None:
            self.palette = ConnectPalette(self)
        self.palette.set_candidates(self.candidates())
        self.palette.present()
        stale = self.service.instances is None or time.monotonic() - self._discovered_at > FRESH_FOR
        if stale and not self._discovering:
            self.tasks.spawn(self.discover(), what="discovery for Connect…", on_error=self.discovery_failed)

    def discovery_failed(self, error: VouchDesktopError) -> None:
        if self.palette is not None:
            self.palette.say(f"Instances could not be listed: {error.message} {error.advice}".strip())

    def candidates(self) -> list[Candidate]:
        found = self.service.instances.instances if self.service.instances is not None else []
        return candidates_from(self.service.profiles.instances, self.service.history.recent_connections(RECENT), found)

    async def discover(self) -> None:
        palette = self.palette
        assert palette is not None
        regions = self.service.settings.current.regions
        done: list[str] = []

        def region_done(region: str, found: list[DiscoveredInstance], failure: RegionFailure | None) -> None:
            done.append(f"{region}: {'failed' if failure is not None else len(found)}")
            palette.set_loading(f"Looking for instances in {len(regions)} region{'s' if len(regions) > 1 else ''}… "
                                f"({', '.join(done)})")

        self._discovering = True
        palette.set_loading(f"Looking for instances in {', '.join(regions)}…")
        try:
            result = await self.service.load_instances(region_done)
        finally:
            self._discovering = False
            palette.set_loading("")
        self._discovered_at = time.monotonic()
        palette.set_candidates(self.candidates())
        if result.failures:
            palette.say("; ".join(f"{f.region}: {f.message}" for f in result.failures))

    # ---------------------------------------------------------------- the palette's actions
    def connect(self, candidate: Candidate) -> None:
        self.instances.connect_profile(candidate.as_profile())

    def open_ssh(self, candidate: Candidate) -> None:
        self.tasks.spawn(self._open_ssh(candidate), what=f"ssh {candidate.title}",
                         on_error=lambda error: self.boxes.error(f"Open SSH: {candidate.title}", error))

    async def _open_ssh(self, candidate: Candidate) -> None:
        instance = candidate.instance or DiscoveredInstance(candidate.instance_id, candidate.region, candidate.title)
        if not candidate.instance_id:  # a profile's tag filter: resolved now (asking when several match)
            profile = candidate.as_profile()
            settings = self.service.settings.current
            connector = self.service.connector
            target = await connector.resolve(profile, connector.aws_profile(profile, settings),
                                             self.instances.choose_instance)
            if target is None:
                return
            instance = DiscoveredInstance(target, candidate.region, candidate.title)
        if not self.service.ssh_routed() and not await self.instances.set_up_ssh():
            return
        await self.service.open_ssh(instance, candidate.ssh_user)
