"""The application service's rules, without Qt or a display: the session → tunnels rule, applying
settings (all or nothing), notices, the login gate, tunnels by name or group."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.app.parts import FakeAutostart, make_service
from vouch_desktop.core.aws.discovery import DiscoveryResult
from vouch_desktop.core.errors import ValidationErrors
from vouch_desktop.core.storage.profiles import TunnelProfile, UnknownProfile
from vouch_desktop.core.storage.settings import Settings, SettingsStore
from vouch_desktop.core.tunnels.backends import TunnelBackend
from vouch_desktop.core.vouch.session_state import Notice, SessionSnapshot, SessionState
from vouch_desktop.core.vouch.yubikey import KeyPresence


@pytest.fixture
def service(tmp_path, fake_vouch):
    return make_service(tmp_path, fake_vouch.path)


def snapshot(state: SessionState) -> SessionSnapshot:
    return SessionSnapshot(state, email="a@b.c")


@settings(max_examples=100, deadline=None)
@given(states=st.lists(st.sampled_from(list(SessionState)), min_size=1, max_size=12))
def test_tunnels_run_only_while_logged_in_and_aws_forgets_after_each_login(tmp_path_factory, states):
    from vouch_desktop.demo.fake_tools import fake_vouch_path

    service = make_service(tmp_path_factory.mktemp("app"), str(fake_vouch_path()))
    forgets = []
    service.aws.forget = lambda profile=None: forgets.append(profile)  # type: ignore[method-assign]
    valid, expected_forgets = True, 0  # tunnels may run until told otherwise
    for state in states:
        service.monitor.changed.emit(snapshot(state))
        if state in (SessionState.VALID, SessionState.EXPIRING):
            expected_forgets += 0 if valid else 1  # new credentials after a login: re-read them
            valid = True
        elif state in (SessionState.EXPIRED, SessionState.LOGGED_OUT):
            valid = False
        # UNKNOWN and ERROR (vouch not answering) change nothing
        assert service.tunnels.credentials_valid is valid
    assert len(forgets) == expected_forgets


def test_applying_settings_validates_saves_and_tells_every_part(service, tmp_path):
    changes, old = [], service.settings.current
    service.settings.changed.connect(changes.append)
    service.instances = DiscoveryResult("vouch", ["eu-west-1"], [], [], datetime.now(UTC))
    levels: list[str] = []
    service.set_log_level = levels.append
    new = dataclasses.replace(old, vouch_path=str(tmp_path / "other-vouch"), notify_lead_minutes=30, log_level="DEBUG",
                              tunnel_backend=TunnelBackend.BUILTIN, start_at_login=True)
    service.apply_settings(new)
    assert service.settings.current == new and [(c.old, c.new) for c in changes] == [(old, new)]
    assert SettingsStore(service.paths).load() == (new, [])  # saved
    assert service.vouch.executable == str(tmp_path / "other-vouch")
    assert service.monitor.lead_time == 30 * 60 and levels == ["DEBUG"]
    assert service.autostart.is_enabled()
    assert service.instances is not None  # same profile and regions: the instance list still holds
    service.apply_settings(dataclasses.replace(new, regions=["us-east-1"]))
    assert service.instances is None  # another region: discovered again when next needed


@pytest.mark.parametrize("bad, field", [
    ({"regions": []}, "regions"),
    ({"notify_lead_minutes": 0}, "notify_lead_minutes"),
    ({"aws_profile": " "}, "aws_profile"),
    ({"terminal": "custom", "terminal_template": "myterm --title {title}"}, "terminal_template"),
    ({"log_level": "LOUD"}, "log_level"),
])
def test_settings_that_do_not_validate_change_nothing(service, bad, field):
    changes, before = [], service.settings.current
    service.settings.changed.connect(changes.append)
    with pytest.raises(ValidationErrors) as error:
        service.apply_settings(dataclasses.replace(before, **bad))
    assert field in error.value.by_field()
    assert service.settings.current is before and changes == [] and not service.paths.settings_file.exists()


def test_start_at_login_that_cannot_be_set_is_reported_beside_the_field(tmp_path, fake_vouch):
    service = make_service(tmp_path, fake_vouch.path, autostart=FakeAutostart(fail=True))
    before = service.settings.current
    with pytest.raises(ValidationErrors) as error:
        service.apply_settings(dataclasses.replace(before, start_at_login=True))
    assert "Cannot change start at login" in error.value.by_field()["start_at_login"]
    assert service.settings.current is before and not service.paths.settings_file.exists()


def test_notices_go_out_only_when_the_user_wants_them(service):
    notices: list[Notice] = []
    service.notices.connect(notices.append)
    service.monitor.snapshot = SessionSnapshot(SessionState.EXPIRED)
    service.on_transition((SessionState.VALID, SessionState.EXPIRED))
    assert [n.summary for n in notices] == ["Vouch session expired"]
    service.settings.replace(dataclasses.replace(service.settings.current, notify_enabled=False))
    service.on_transition((SessionState.VALID, SessionState.EXPIRED))
    assert len(notices) == 1


def test_login_is_blocked_only_without_a_key_that_we_could_look_for(service):
    keys: list[KeyPresence] = []
    service.key_changed.connect(keys.append)
    for presence, allowed, reason in [(KeyPresence(False), False, "plug in your YubiKey"),
                                      (KeyPresence(False, known=False), False, ""),
                                      (KeyPresence(True, "YubiKey"), False, ""),
                                      (KeyPresence(False), True, "")]:
        service.settings.replace(dataclasses.replace(service.settings.current, allow_login_without_key=allowed))
        service.on_key(presence)
        assert service.login_blocked_reason() == reason
    assert len(keys) == 4


def test_log_in_and_out_are_recorded_and_re_read(service, fake_vouch):
    fake_vouch.log_in(3600)

    async def scenario():
        await service.monitor.refresh_now()
        assert service.monitor.snapshot.logged_in
        service.after_login(True)
        service.after_login(False)
        await service.log_out()
        return service.monitor.snapshot

    assert asyncio.run(scenario()).state is SessionState.LOGGED_OUT
    assert [e.kind for e in service.history.recent(limit=10)] == ["logout", "login"]


def test_tunnels_by_name_or_group(service):
    for name, group in (("orders", "prod"), ("billing", "prod"), ("scratch", "")):
        service.profiles.add(TunnelProfile(name, "i-0123456789abcdef0", 5432, "eu-west-1", "db.example.com",
                                           group=group))
    assert [t.name for t in service.tunnels_named("prod")] == ["orders", "billing"]
    assert [t.name for t in service.tunnels_named("scratch")] == ["scratch"]
    with pytest.raises(UnknownProfile, match="no tunnel profile named 'nope'"):
        service.tunnels_named("nope")


def test_the_holder_hands_out_the_settings_of_the_moment(service):
    seen = []
    service.tunnels.backend = lambda: service.settings.current.tunnel_backend
    service.settings.changed.connect(lambda change: seen.append(service.tunnels.backend()))
    service.settings.replace(Settings(tunnel_backend=TunnelBackend.PLUGIN))
    assert seen == [TunnelBackend.PLUGIN]


def test_sign_in_files_a_killed_run_left_behind_go_once_the_next_run_has_started(tmp_path, fake_vouch):
    killed = make_service(tmp_path, fake_vouch.path)  # wrote a password file for a client, then was killed
    left = killed.databases_sign_in.files.write("*:*:*:app:hunter2\n", ".pgpass")
    an_hour_ago = time.time() - 3600
    os.utime(left, (an_hour_ago, an_hour_ago))
    service = make_service(tmp_path, fake_vouch.path)

    async def run() -> None:
        await service.start()
        await service.tidy_up()  # the composition root's next step once the app is ready
        assert not left.exists()
        await service.stop()

    asyncio.run(run())
