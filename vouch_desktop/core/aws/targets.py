"""A profile's target, as AWS needs it: an instance id as it is, a tag filter (``Name=web-*``)
resolved to one connectable instance at the moment of use. The one rule for shells (where the
user picks among several matches) and tunnels (which take the first)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from vouch_desktop.core.aws.discovery import DiscoveredInstance
from vouch_desktop.core.aws.errors import AwsError
from vouch_desktop.core.storage.validation import is_tag_filter

# (aws profile, region, tag filter) → the connectable instances it matches (InstanceDiscovery.resolve)
FindMatches = Callable[[str, str, str], Awaitable[list[DiscoveredInstance]]]
# several matches → the one to use, or None when the user declined to choose
ChooseOne = Callable[[list[DiscoveredInstance]], Awaitable[DiscoveredInstance | None]]


class NoMatchingInstance(AwsError):
    """A tag filter matches no connectable instance (yet: it may match one later)."""


async def first_match(matches: list[DiscoveredInstance]) -> DiscoveredInstance:
    return matches[0]


async def find_candidates(find: FindMatches, aws_profile: str, region: str, target: str) -> list[DiscoveredInstance]:
    """The connectable instances a tag filter matches; NoMatchingInstance when there are none."""
    matches = await find(aws_profile, region, target)
    if not matches:
        raise NoMatchingInstance(f"No connectable instance matches {target} in {region}.",
                                 advice="Check the tag filter and the region: only running instances whose SSM "
                                        "agent is online are offered.")
    return matches


async def resolve_target(find: FindMatches, aws_profile: str, region: str, target: str,
                         choose: ChooseOne = first_match) -> str | None:
    """The instance id to use for ``target``; None when the user declined to choose among several."""
    if not is_tag_filter(target):
        return target
    matches = await find_candidates(find, aws_profile, region, target)
    chosen = matches[0] if len(matches) == 1 else await choose(matches)
    return chosen.instance_id if chosen is not None else None
