"""Quick connect: the "Connect…" palette's candidates and their ranking, Qt-free.

The candidates are the saved instance profiles, the recent connections and the discovered
instances, with duplicates folded (a profile or a recent connection for an instance that discovery
found carries that instance's name and tags). A query is matched fuzzily, fzf-style, against each
candidate's name, instance id, target, region and tags: every word of the query must match one of
them, letters in order; a match at the start of a word, an unbroken run and a short field rank
higher.
"""

from __future__ import annotations

import enum
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field

from vouch_desktop.core.aws.discovery import DiscoveredInstance
from vouch_desktop.core.aws.ssm_commands import ssh_argv
from vouch_desktop.core.storage.history import HistoryEntry
from vouch_desktop.core.storage.profiles import InstanceProfile
from vouch_desktop.core.storage.validation import is_tag_filter

SEPARATORS = frozenset(" -_.:/=@()")
# how much a match in each field counts: the name is what people type
WEIGHTS = {"title": 1.0, "id": 0.9, "target": 0.8, "tags": 0.7, "region": 0.6}
KIND_BONUS = (40.0, 25.0, 0.0)  # saved, recent, discovered: what one chose before comes first among near ties


class CandidateKind(enum.IntEnum):
    PROFILE = 0
    RECENT = 1
    INSTANCE = 2

    @property
    def label(self) -> str:
        return {CandidateKind.PROFILE: "saved", CandidateKind.RECENT: "recent",
                CandidateKind.INSTANCE: "instance"}[self]


@dataclass(frozen=True)
class Candidate:
    kind: CandidateKind
    key: str  # stable identity: the palette keeps the selection on it while results change
    title: str
    target: str  # an instance id, or a profile's tag filter
    region: str
    instance_id: str = ""  # "" while a tag filter is not resolved
    tags: dict[str, str] = field(default_factory=dict)
    ssh_user: str = ""
    reason: str = ""  # why one cannot connect ("" when one can, or when not known)
    profile: InstanceProfile | None = None
    instance: DiscoveredInstance | None = None

    @property
    def connectable(self) -> bool:
        return not self.reason

    @property
    def subtitle(self) -> str:
        parts = [self.target if self.target != self.title else "", self.region, self.kind.label]
        if self.instance_id and self.instance_id != self.target:
            parts.insert(0, self.instance_id)
        return " · ".join(p for p in parts if p)

    def fields(self) -> list[tuple[str, str]]:
        found = [("title", self.title), ("id", self.instance_id), ("target", self.target), ("region", self.region)]
        found += [("tags", f"{k}={v}") for k, v in self.tags.items()]
        return [(name, text) for name, text in found if text]

    def as_profile(self) -> InstanceProfile:
        """The profile to connect with (a draft one for a recent connection or a discovered instance)."""
        if self.profile is not None:
            return self.profile
        return InstanceProfile(self.title, self.instance_id or self.target, self.region, ssh_user=self.ssh_user)

    def ssh_command(self) -> str:
        """The command line that reaches this instance with ssh over SSM ("" for an unresolved tag filter)."""
        return shlex.join(ssh_argv(self.instance_id, self.ssh_user)) if self.instance_id else ""


def fuzzy_score(query: str, text: str) -> float | None:
    """How well ``query`` matches ``text`` (case-insensitive), None when its letters are not all in
    ``text`` in order. Whole text > prefix > substring at a word start > substring > scattered letters."""
    q, t = query.lower(), text.lower()
    if not q:
        return 0.0
    index = t.find(q)
    if index >= 0:
        if index == 0:
            score = 900.0 if len(q) == len(t) else 700.0
        else:
            score = 550.0 if t[index - 1] in SEPARATORS else 400.0
            score -= min(index, 40)
        return score - min(len(t) - len(q), 60) * 0.5
    # scattered letters: the better of a plain greedy walk and one preferring letters that start a word
    scores = [s for s in (_scattered(q, t, False), _scattered(q, t, True)) if s is not None]
    return max(scores) - min(len(t) - len(q), 60) * 0.5 if scores else None


def _scattered(q: str, t: str, prefer_word_starts: bool) -> float | None:
    score, position, previous = 100.0, 0, -2
    for char in q:
        found = t.find(char, position)
        if found < 0:
            return None
        if prefer_word_starts and found != previous + 1:
            start = next((i for i in range(found, min(len(t), found + 12))
                          if t[i] == char and (i == 0 or t[i - 1] in SEPARATORS)), -1)
            found = start if start >= 0 else found
        if found == previous + 1:
            score += 12
        elif found == 0 or t[found - 1] in SEPARATORS:
            score += 8
        else:
            score -= min(found - previous, 10)
        previous, position = found, found + 1
    return score


def score(candidate: Candidate, query: str) -> float | None:
    """Every word of the query must match a field; the candidate's score is the words' best sum."""
    total = 0.0
    for word in query.split():
        best = None
        for name, text in candidate.fields():
            found = fuzzy_score(word, text)
            if found is not None:
                weighted = found * WEIGHTS[name]
                best = weighted if best is None else max(best, weighted)
        if best is None:
            return None
        total += best
    return total + KIND_BONUS[candidate.kind]


def rank(candidates: Iterable[Candidate], query: str, limit: int = 200) -> list[Candidate]:
    """The candidates that match, best first; with no query, in the order given (saved, recent, found)."""
    listed = list(candidates)
    if not query.strip():
        return sorted(listed, key=lambda c: (c.kind, not c.connectable))[:limit]
    scored = [(s, c) for c in listed if (s := score(c, query)) is not None]
    scored.sort(key=lambda pair: (-pair[0], pair[1].kind, not pair[1].connectable, pair[1].title.lower()))
    return [c for _, c in scored[:limit]]


def candidates_from(profiles: Iterable[InstanceProfile], recent: Iterable[HistoryEntry],
                    instances: Iterable[DiscoveredInstance]) -> list[Candidate]:
    """Saved profiles, then recent connections not saved as a profile, then discovered instances
    that neither of them names; each enriched with what discovery knows about its instance."""
    found = {(i.instance_id, i.region): i for i in instances}
    result: list[Candidate] = []
    covered: set[tuple[str, str]] = set()
    for profile in profiles:
        instance = None if is_tag_filter(profile.target) else found.get((profile.target, profile.region))
        covered.add((profile.target, profile.region))
        result.append(Candidate(CandidateKind.PROFILE, f"profile:{profile.name}", profile.name, profile.target,
                                profile.region, "" if is_tag_filter(profile.target) else profile.target,
                                dict(instance.tags) if instance else {}, profile.ssh_user,
                                instance.reason if instance else "", profile, instance))
    for entry in recent:
        if (entry.target, entry.region) in covered or not entry.target:
            continue
        covered.add((entry.target, entry.region))
        instance = found.get((entry.target, entry.region))
        title = entry.profile or (instance.name if instance and instance.name else entry.target)
        result.append(Candidate(CandidateKind.RECENT, f"recent:{entry.target}@{entry.region}", title, entry.target,
                                entry.region, "" if is_tag_filter(entry.target) else entry.target,
                                dict(instance.tags) if instance else {}, "",
                                instance.reason if instance else "", None, instance))
    for (instance_id, region), instance in found.items():
        if (instance_id, region) in covered:
            continue
        result.append(Candidate(CandidateKind.INSTANCE, f"instance:{instance_id}@{region}",
                                instance.name or instance_id, instance_id, region, instance_id, dict(instance.tags),
                                "", instance.reason, None, instance))
    return result
