"""The state machine and the monitor with a fake clock, including a suspend-sized clock jump."""

from __future__ import annotations

import asyncio

import pytest

from vouch_desktop.core.vouch.client import VouchClient, VouchStatus
from vouch_desktop.core.vouch.session_monitor import SessionMonitor
from vouch_desktop.core.vouch.session_state import SessionState, countdown, evaluate, next_check_delay

LEAD = 15 * 60
T0 = 1_800_000_000.0


def status(seconds, read_at=T0, email="a@b.c"):
    return VouchStatus(authenticated=seconds > 0, email=email, expires_in_seconds=seconds, read_at=read_at)


def test_states_and_texts():
    assert evaluate(None, T0, LEAD).state is SessionState.UNKNOWN
    assert evaluate(status(0), T0, LEAD).headline == "Not logged in"
    valid = evaluate(status(7 * 3600 + 12 * 60), T0, LEAD)
    assert valid.state is SessionState.VALID and valid.headline == "Logged in as a@b.c · 7 h 12 min left"
    expiring = evaluate(status(4 * 60), T0, LEAD)
    assert expiring.state is SessionState.EXPIRING and expiring.countdown_text == "4 min left"
    assert evaluate(status(600), T0 + 600, LEAD, was_logged_in=True).state is SessionState.EXPIRED
    assert evaluate(status(0), T0, LEAD, was_logged_in=True).headline == "Session expired"
    assert evaluate(None, T0, LEAD, error="vouch not found").headline == "Vouch: vouch not found"


@pytest.mark.parametrize("seconds, text", [(2 * 3600 + 5 * 60, "2 h 05 min left"), (7500 - 1, "2 h 05 min left"),
                                           (240, "4 min left"), (61, "2 min left"), (60, "1 min left"),
                                           (59, "less than a minute left")])
def test_countdown_text(seconds, text):
    assert countdown(seconds) == text


def test_next_check_is_when_the_text_or_state_changes():
    snap = evaluate(status(3600), T0, LEAD)
    assert next_check_delay(snap, T0, LEAD) == pytest.approx(60.05)  # 60 min → 59 min
    snap = evaluate(status(3600 + 30), T0, LEAD)
    assert next_check_delay(snap, T0, LEAD) == pytest.approx(30.05)
    snap = evaluate(status(LEAD + 10), T0, LEAD)
    assert next_check_delay(snap, T0, LEAD) == pytest.approx(10.05)  # entering "expiring"
    snap = evaluate(status(20), T0, LEAD)
    assert next_check_delay(snap, T0, LEAD) == pytest.approx(20.05)  # expiry
    assert next_check_delay(evaluate(status(0), T0, LEAD), T0, LEAD) == 300  # logged out: slow poll


class FakeClock:
    """Time moves only when the monitor sleeps (or when the test suspends the machine)."""

    def __init__(self):
        self.wall_now, self.mono_now, self.sleeps = T0, 1000.0, []

    def wall(self):
        return self.wall_now

    def monotonic(self):
        return self.mono_now

    async def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.wall_now += seconds
        self.mono_now += seconds
        await asyncio.sleep(0)

    def suspend(self, seconds):
        self.wall_now += seconds  # the monotonic clock stands still while suspended


def test_monitor_walks_through_the_states_and_notices_a_suspend(fake_vouch, reliability):
    clock = FakeClock()
    fake_vouch.log_in(seconds=24 * 3600)  # the fake's own session is long; the client's clock decides below

    class ClockedClient(VouchClient):
        remaining = 20 * 60

        async def status(self):
            real = await super().status()
            return VouchStatus(real.authenticated, real.email, int(self.remaining - (clock.wall() - T0)),
                               real.agent_running, read_at=clock.wall())

    async def scenario():
        monitor = SessionMonitor(ClockedClient(fake_vouch.path), clock, lead_time=LEAD, status_interval=10**6)
        transitions, jumps = [], []
        monitor.transition.connect(transitions.append)
        monitor.clock_jumped.connect(jumps.append)
        task = asyncio.ensure_future(monitor.run())
        while len(transitions) < 2:
            await asyncio.sleep(0)
        assert transitions == [(SessionState.UNKNOWN, SessionState.VALID), (SessionState.VALID, SessionState.EXPIRING)]
        # 5 minutes to "expiring": a handful of wake-ups of at most 30 s, not a 1 s poll
        assert clock.wall() - T0 == pytest.approx(5 * 60, abs=1)
        assert max(clock.sleeps) <= 30 and len(clock.sleeps) <= 12
        wake_ups = len(clock.sleeps)
        clock.suspend(3600)  # the laptop sleeps through the expiry
        while not jumps:
            await asyncio.sleep(0.01)
        assert jumps[0] == pytest.approx(3600)
        assert transitions[-1] == (SessionState.EXPIRING, SessionState.EXPIRED)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        reliability(clock_jump_s=3600, jumps_noticed=len(jumps), state_after_jump=transitions[-1][1].value,
                    wake_ups_in_5_min=wake_ups)

    asyncio.run(scenario())
