"""Quick connect's candidates and ranking (core/app/quick_connect.py), without Qt: fuzzy by name, id,
tag and region; saved, recent and discovered folded into one list without duplicates."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from vouch_desktop.core.app.quick_connect import CandidateKind, candidates_from, fuzzy_score, rank, score
from vouch_desktop.core.aws.discovery import DiscoveredInstance
from vouch_desktop.core.storage.history import HistoryEntry
from vouch_desktop.core.storage.profiles import InstanceProfile


def instance(name: str, number: int, region: str = "eu-west-1", state: str = "running", **tags: str):
    return DiscoveredInstance(f"i-0{number:016x}", region, name, state, managed=True, ping_status="Online",
                              tags={"Name": name, **tags})


INSTANCES = [instance("web-1", 1, role="frontend"), instance("web-2", 2, role="frontend"),
             instance("bastion-eu", 3, role="bastion"), instance("bastion-us", 4, "us-east-1", role="bastion"),
             instance("db-admin", 5, "eu-central-1", role="ops"), instance("old-worker", 6, state="stopped"),
             instance("", 7, "ap-south-1")]
PROFILES = [InstanceProfile("web-1 (prod)", INSTANCES[0].instance_id, "eu-west-1", ssh_user="ec2-user"),
            InstanceProfile("any web server", "Name=web-*", "eu-west-1")]
RECENT = [HistoryEntry(datetime.now(UTC), "connect", "", INSTANCES[4].instance_id, "eu-central-1"),
          HistoryEntry(datetime.now(UTC), "connect", "", INSTANCES[0].instance_id, "eu-west-1")]


def everything():
    return candidates_from(PROFILES, RECENT, INSTANCES)


def titles(query: str) -> list[str]:
    return [c.title for c in rank(everything(), query)]


def test_saved_recent_and_discovered_are_folded_without_duplicates():
    found = everything()
    kinds = [CandidateKind.PROFILE] * 2 + [CandidateKind.RECENT] + [CandidateKind.INSTANCE] * 5
    assert [c.kind for c in found] == kinds
    keys = [c.key for c in found]
    assert len(keys) == len(set(keys))
    web = found[0]
    # the saved profile for web-1 carries what discovery knows of it; web-1 is not listed again
    assert web.tags["role"] == "frontend" and web.instance is INSTANCES[0]
    assert sum(1 for c in found if INSTANCES[0].instance_id in (c.instance_id, c.target)) == 1
    recent = found[2]
    assert recent.title == "db-admin" and recent.region == "eu-central-1"  # named by discovery
    tag_filter = found[1]
    assert tag_filter.instance_id == "" and tag_filter.ssh_command() == ""
    assert web.ssh_command() == f"ssh ec2-user@{INSTANCES[0].instance_id}"
    stopped = next(c for c in found if c.title == "old-worker")
    assert not stopped.connectable and stopped.reason == "instance is stopped"
    unnamed = next(c for c in found if c.instance_id == INSTANCES[6].instance_id)
    assert unnamed.title == INSTANCES[6].instance_id


def test_ranking_by_name_id_tag_and_region():
    assert titles("web") == ["web-1 (prod)", "web-2", "any web server"]  # saved first among near ties
    assert titles("bastion")[:2] == ["bastion-eu", "bastion-us"]
    assert titles("bas us")[0] == "bastion-us"  # every word must match: "us" fits eu-west-1 only loosely
    assert titles("bastion us-east") == ["bastion-us"]
    assert titles("w2") == ["web-2"]  # letters in order
    assert titles(INSTANCES[3].instance_id[-6:]) == ["bastion-us"]  # by id
    assert titles("central") == ["db-admin"]  # by region
    assert titles("role=ops") == ["db-admin"]  # by tag
    assert titles("ap-south")[0] == INSTANCES[6].instance_id
    assert titles("WEB-2") == ["web-2"]  # case does not matter
    assert titles("zzz") == []
    # with no query: saved first, then recent, then the instances one can reach before those one cannot
    assert titles("")[:3] == ["web-1 (prod)", "any web server", "db-admin"]
    assert titles("")[-1] == "old-worker"


def test_a_prefix_ranks_above_a_match_inside_a_word_and_above_scattered_letters():
    assert fuzzy_score("bast", "bastion-eu") > fuzzy_score("bast", "my-bastion") > fuzzy_score("bast", "xbastion")
    assert fuzzy_score("bast", "xbastion") > fuzzy_score("bast", "b-a-s-t")
    assert fuzzy_score("web-1", "web-1") > fuzzy_score("web-1", "web-10")


letters = st.text(alphabet="abcdefghij-1234", max_size=12)


def subsequence(query: str, text: str) -> bool:
    rest = iter(text.lower())
    return all(char in rest for char in query.lower())


@given(letters, letters)
def test_a_query_matches_exactly_when_its_letters_are_in_the_text_in_order(query, text):
    assert (fuzzy_score(query, text) is not None) == subsequence(query, text)


@given(st.lists(st.sampled_from(["web", "w", "bas", "eu", "1", "us-east", "role", "zz", "i-0", "ops"]),
                max_size=3).map(" ".join))
def test_ranked_results_all_match_and_come_best_first(query):
    ranked = rank(everything(), query)
    scores = [score(c, query) for c in ranked]
    assert all(s is not None for s in scores)
    assert scores == sorted(scores, reverse=True)
    left_out = [c for c in everything() if c not in ranked]
    assert all(score(c, query) is None for c in left_out) or not query.strip()
