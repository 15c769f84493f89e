"""Instance discovery: SSM-managed instances joined with their EC2 data, across regions.

Regions are queried in parallel (threads: botocore is blocking), every call paginated, in a worker process
when the app has one (core/aws/discovery_worker.py). Each region is reported as soon as it is done; one
that fails (access denied, unreachable) or says nothing for 10 s is reported beside the others' results
instead of spoiling or holding them up.
"""

from __future__ import annotations

import asyncio
import fnmatch
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from vouch_desktop.core.aws.sessions import AwsSessions, translate

if TYPE_CHECKING:
    from vouch_desktop.core.aws.discovery_worker import DiscoveryWorker

MANAGED_ONLINE = "Online"
T = TypeVar("T")


@dataclass(frozen=True)
class DiscoveredInstance:
    instance_id: str
    region: str
    name: str = ""
    state: str = ""  # EC2 state: running, stopped, ... ("" for hybrid mi- nodes)
    private_ip: str = ""
    platform: str = ""
    managed: bool = False
    ping_status: str = ""  # SSM: Online, ConnectionLost, Inactive
    agent_version: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.instance_id})" if self.name else self.instance_id

    @property
    def connectable(self) -> bool:
        return self.managed and self.ping_status == MANAGED_ONLINE and self.state in ("running", "")

    @property
    def reason(self) -> str:
        """Why one cannot connect, in plain words ("" when one can)."""
        if self.state and self.state != "running":
            return f"instance is {self.state}"
        if not self.managed:
            return "not managed by Systems Manager (no SSM agent or no instance profile)"
        if self.ping_status != MANAGED_ONLINE:
            return f"SSM agent is not connected ({self.ping_status or 'unknown'})"
        return ""


@dataclass(frozen=True)
class RegionFailure:
    region: str
    message: str
    advice: str = ""


@dataclass
class DiscoveryResult:
    profile: str
    regions: list[str]
    instances: list[DiscoveredInstance]
    failures: list[RegionFailure]
    fetched_at: datetime

    def age_text(self, now: datetime | None = None) -> str:
        minutes = int(((now or datetime.now(UTC)) - self.fetched_at).total_seconds() // 60)
        if minutes < 1:
            return "updated just now"
        if minutes < 120:
            return f"updated {minutes} min ago"
        return f"updated {minutes // 60} h ago"


def _name_tag(tags: list[dict] | None) -> tuple[str, dict[str, str]]:
    mapping = {str(t.get("Key", "")): str(t.get("Value", "")) for t in tags or [] if isinstance(t, dict)}
    return mapping.get("Name", ""), mapping


def join_region(region: str, information: list[dict], reservations: list[dict]) -> list[DiscoveredInstance]:
    """Join DescribeInstanceInformation with DescribeInstances; tolerant of missing fields."""
    managed = {i["InstanceId"]: i for i in information if isinstance(i, dict) and i.get("InstanceId")}
    found: dict[str, DiscoveredInstance] = {}
    for reservation in reservations:
        for inst in reservation.get("Instances", []) or []:
            instance_id = inst.get("InstanceId")
            if not instance_id:
                continue
            state = (inst.get("State") or {}).get("Name", "")
            if state in ("terminated", "shutting-down"):
                continue
            info = managed.get(instance_id, {})
            name, tags = _name_tag(inst.get("Tags"))
            found[instance_id] = DiscoveredInstance(
                instance_id=instance_id, region=region, name=name, state=state,
                private_ip=inst.get("PrivateIpAddress", "") or info.get("IPAddress", ""),
                platform=inst.get("PlatformDetails") or inst.get("Platform") or info.get("PlatformName", ""),
                managed=bool(info), ping_status=info.get("PingStatus", ""),
                agent_version=info.get("AgentVersion", ""), tags=tags,
            )
    for instance_id, info in managed.items():
        if instance_id not in found:  # hybrid (mi-) nodes have no EC2 record
            found[instance_id] = DiscoveredInstance(
                instance_id=instance_id, region=region, name=info.get("ComputerName", ""),
                private_ip=info.get("IPAddress", ""), platform=info.get("PlatformName", ""),
                managed=True, ping_status=info.get("PingStatus", ""), agent_version=info.get("AgentVersion", ""),
            )
    return sorted(found.values(), key=lambda i: (not i.connectable, i.name.lower() or "~", i.instance_id))


SILENCE_LIMIT = 10.0  # a region that sends nothing for this long is reported, and the others are not held up

Progress = Callable[[], None]
RegionDone = Callable[[str, list[T], "RegionFailure | None"], None]


async def across_regions(profile: str, regions: list[str], work: Callable[[str, Progress], list[T]], what: str,
                         on_region: RegionDone[T] | None = None,
                         silence_limit: float = SILENCE_LIMIT) -> tuple[list[T], list[RegionFailure]]:
    """Runs blocking ``work(region, progress)`` for every region at once. Each region is reported to
    ``on_region`` as soon as it is done, so a window can show it while others load; one that fails is
    reported, not fatal, and one that sends nothing for ``silence_limit`` s (``work`` calls ``progress``
    for every page it receives) is reported as not answering: its thread runs on to its clients' own
    time-outs (see ``AwsSessions.client(quick=True)``) and its late answer is dropped."""

    async def one(region: str) -> list[T] | RegionFailure:
        heard = [time.monotonic()]  # set by the worker thread: a float store is atomic

        def progress() -> None:
            heard[0] = time.monotonic()

        job = asyncio.ensure_future(asyncio.to_thread(work, region, progress))
        found: list[T] = []
        failure: RegionFailure | None = None
        try:
            while not job.done():
                quiet = time.monotonic() - heard[0]
                if quiet >= silence_limit:
                    job.cancel()
                    failure = RegionFailure(
                        region, f"AWS did not answer within {silence_limit:g} s (listing {what} in {region}).",
                        "The region may be out of reach from this network (a firewall or proxy), or AWS is slow "
                        "there. The other regions are shown; try Refresh later.")
                    break
                await asyncio.wait({job}, timeout=silence_limit - quiet)
            else:
                found = job.result()
        except Exception as exc:
            error = translate(exc, profile=profile, action=f"listing {what} in {region}")
            failure = RegionFailure(region, error.message, error.advice)
        if on_region is not None:
            on_region(region, found, failure)
        return failure or found

    results = await asyncio.gather(*(one(r) for r in regions))
    return ([item for r in results if isinstance(r, list) for item in r],
            [r for r in results if isinstance(r, RegionFailure)])


def pages(paginator: Any, key: str, progress: Progress, **arguments: Any) -> list[dict]:
    """Every item of a paginated call, telling ``progress`` of each page as it arrives."""
    items = []
    for page in paginator.paginate(**arguments):
        progress()
        items += page.get(key, [])
    return items


class InstanceDiscovery:
    """Lists instances in a worker process when it has one (core/aws/discovery_worker.py: botocore's parsing
    then never competes with the UI thread for the GIL), and whatever the worker could not list here."""

    def __init__(self, aws: AwsSessions, worker: DiscoveryWorker | None = None) -> None:
        self.aws = aws
        self.worker = worker
        if worker is not None:
            aws.forgotten.connect(worker.forget)  # a new login: the worker reads credentials again too

    def warm(self) -> None:
        """The user is heading for the instance window: start the worker, so that the first list does not
        wait for it (it stops after a while unless the window holds it)."""
        if self.worker is not None:
            self.worker.warm()

    def hold(self) -> None:
        """The instance window opened: have the worker ready, and keep it so while the window is open."""
        if self.worker is not None:
            self.worker.hold()

    def release(self) -> None:
        if self.worker is not None:
            self.worker.release()

    async def stop(self) -> None:
        """Quitting: end the worker the way it expects (before the app stops its other children)."""
        if self.worker is not None:
            await self.worker.stop()

    def _region(self, profile: str, region: str, progress: Progress = lambda: None) -> list[DiscoveredInstance]:
        ssm = self.aws.client("ssm", profile, region, quick=True)
        ec2 = self.aws.client("ec2", profile, region, quick=True)
        information = pages(ssm.get_paginator("describe_instance_information"), "InstanceInformationList", progress)
        # botocore parses only the fields join_region reads (core/aws/trimmed_models.py): a fraction of the
        # work of whole EC2 records, and thousands of whole records alive at once would make every full
        # garbage collection (which holds the GIL, and so stalls the UI thread) scan millions of objects
        reservations = pages(ec2.get_paginator("describe_instances"), "Reservations", progress,
                             PaginationConfig={"PageSize": 200})
        return join_region(region, information, reservations)

    async def discover(self, profile: str, regions: list[str],
                       on_region: RegionDone[DiscoveredInstance] | None = None) -> DiscoveryResult:
        """Every region's instances; ``on_region(region, instances, failure)`` hears of each region as it is done."""
        instances: list[DiscoveredInstance] = []
        failures: list[RegionFailure] = []

        def done(region: str, found: list[DiscoveredInstance], failure: RegionFailure | None) -> None:
            instances.extend(found)
            if failure is not None:
                failures.append(failure)
            if on_region is not None:
                on_region(region, found, failure)

        left = list(regions)
        if self.worker is not None:
            left = await self.worker.instances(profile, left, done)
        if left:
            await across_regions(profile, left, lambda r, p: self._region(profile, r, p), "instances", done)
        order = {region: n for n, region in enumerate(regions)}  # the regions' order, each region's own kept
        instances.sort(key=lambda i: order.get(i.region, len(order)))
        failures.sort(key=lambda f: order.get(f.region, len(order)))
        return DiscoveryResult(profile, list(regions), instances, failures, datetime.now(UTC))

    async def resolve(self, profile: str, region: str, tag_filter: str) -> list[DiscoveredInstance]:
        """The connectable instances a tag filter such as ``Name=web-*`` matches, at connect time."""
        key, _, pattern = tag_filter.partition("=")
        try:
            instances = await asyncio.to_thread(self._region, profile, region)
        except Exception as exc:
            raise translate(exc, profile=profile, action=f"looking up {tag_filter} in {region}") from exc
        return [i for i in instances
                if i.connectable and fnmatch.fnmatchcase(i.tags.get(key.strip(), ""), pattern.strip())]
