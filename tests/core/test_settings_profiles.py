"""Settings and profiles: validation with specific messages, round-trips, ordering, migration."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from vouch_desktop.core.errors import ValidationErrors
from vouch_desktop.core.storage.profiles import InstanceProfile, ProfileBook, TunnelProfile
from vouch_desktop.core.storage.settings import Settings, SettingsStore
from vouch_desktop.core.storage.validation import INSTANCE_ID_RE
from vouch_desktop.core.system.paths import AppPaths


@pytest.fixture
def paths(tmp_path):
    return AppPaths.under(tmp_path).ensure()


def test_settings_round_trip_and_validation(paths):
    store = SettingsStore(paths)
    settings, problems = store.load()
    assert settings == Settings() and problems == []
    settings.regions = ["eu-west-1", "us-east-1"]
    settings.notify_lead_minutes = 30
    store.save(settings)
    assert store.load()[0] == settings
    settings.notify_lead_minutes = 0
    settings.regions = ["mars-north-1"]
    with pytest.raises(ValidationErrors) as err:
        store.save(settings)
    assert err.value.by_field() == {
        "notify_lead_minutes": "Notification lead time must be between 1 and 240 minutes.",
        "regions": "'mars-north-1' is not an AWS region (for example: eu-west-1).",
    }
    assert store.load()[0].notify_lead_minutes == 30  # nothing was saved


def test_unknown_but_well_formed_region_is_accepted():
    assert Settings(regions=["ap-southeast-9"]).validate() == []


def test_settings_from_format_zero_migrate_with_backup(paths):
    paths.settings_file.write_text(json.dumps({"warn_minutes": 5, "region": "eu-west-1", "aws_profile": "work"}))
    settings, problems = SettingsStore(paths).load()
    assert (settings.notify_lead_minutes, settings.regions, settings.aws_profile) == (5, ["eu-west-1"], "work")
    assert problems[0].backup.exists()


def test_hand_edited_nonsense_setting_falls_back_with_a_message(paths):
    paths.settings_file.write_text(json.dumps({"kind": "settings", "schema_version": 1, "notify_lead_minutes": 9999,
                                               "aws_profile": "work"}))
    settings, problems = SettingsStore(paths).load()
    assert settings.notify_lead_minutes == 15 and settings.aws_profile == "work"
    assert "between 1 and 240" in problems[0].user_text() and str(paths.settings_file) in problems[0].user_text()
    assert problems[0].backup.read_bytes() == paths.settings_file.read_bytes()  # the file as it was, kept


def web(name="web", target="i-0123456789abcdef0", region="eu-west-1"):
    return InstanceProfile(name=name, target=target, region=region)


def test_profile_messages_are_specific(paths):
    book = ProfileBook(paths)
    book.add(web())
    cases = [
        (web(), {"name": "A profile named 'web' already exists."}),
        (web("x", "i-xyz"),
         {"target": "'i-xyz' is not an instance id: they look like i-0123456789abcdef0 or mi-0123456789abcdef0."}),
        (web("x", "Name="), {"target": "'Name=' is not a tag filter: write Key=pattern, for example Name=web-*."}),
        (web("x", region="moon-1"), {"region": "'moon-1' is not an AWS region (for example: eu-west-1)."}),
        (web(" x"), {"name": "The profile name must not start or end with spaces."}),
        (TunnelProfile("db", "i-0123456789abcdef0", 70000, "eu-west-1", "db..host", local_port=-1), {
            "remote_port": "Port must be a whole number from 1 to 65535.",
            "local_port": "Port must be a whole number from 0 to 65535 (0 picks a free one).",
            "remote_host": "'db..host' is not a valid host name or IP address."}),
    ]
    for profile, expected in cases:
        with pytest.raises(ValidationErrors) as err:
            book.add(profile)
        assert err.value.by_field() == expected
    assert [p.name for p in book.instances] == ["web"]


def test_profiles_persist_in_order_with_reorder_duplicate_delete_undo(paths):
    book = ProfileBook(paths)
    for name in ("a", "b", "c"):
        book.add(web(name))
    book.add(TunnelProfile("orders", "Name=bastion-*", 5432, "eu-west-1",
                           "orders.cluster-x.eu-west-1.rds.amazonaws.com", local_port=15432, group="prod"))
    book.move("c", -2)
    copy = book.duplicate("a")
    assert copy.name == "a (2)"
    removed, index = book.delete("b")
    again = ProfileBook(paths)
    assert again.load() == []
    assert [p.name for p in again.instances] == ["c", "a", "a (2)"]
    assert again.tunnels[0].local_port == 15432 and again.groups() == ["prod"]
    again.restore(removed, index)
    assert [p.name for p in again.instances] == ["c", "a", "a (2)", "b"]  # back where it was
    again.update("c", web("c-renamed"))
    assert again.find("c") is None and again.find("c-renamed") is not None


def test_a_bad_entry_in_the_file_is_skipped_and_reported(paths):
    paths.profiles_file.write_text(json.dumps({"kind": "profiles", "schema_version": 1, "instances": [
        {"name": "ok", "target": "i-0123456789abcdef0", "region": "eu-west-1"},
        {"name": "bad", "target": "nonsense", "region": "eu-west-1"}]}))
    book = ProfileBook(paths)
    problems = book.load()
    assert [p.name for p in book.instances] == ["ok"]
    [problem] = problems
    assert "instance 2 ('bad'): 'nonsense' is not an instance id" in problem.user_text()
    assert json.loads(problem.backup.read_text())["instances"][1]["name"] == "bad"  # kept: the next save drops it


@hsettings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_text_as_target_is_either_valid_or_gets_a_message(text):
    errors = web(target=text).validate()
    if INSTANCE_ID_RE.match(text):
        assert errors == []
    elif "=" not in text:
        assert errors and errors[0].field == "target"
