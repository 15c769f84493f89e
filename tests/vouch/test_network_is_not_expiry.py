"""Network is not expiry: vouch's `authenticated: false` while its server is out of reach (no agent) and the
known expiry is still ahead is "could not confirm", retried, never the critical "expired"; the agent's
"not authenticated" and a known expiry that has passed do end the session."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.vouch.test_session_state import LEAD, T0, FakeClock
from vouch_desktop.core.vouch.agent import VouchAgent
from vouch_desktop.core.vouch.client import VouchClient
from vouch_desktop.core.vouch.session_monitor import SessionMonitor
from vouch_desktop.core.vouch.session_state import (
    UNCONFIRMED_RETRY,
    KnownSession,
    SessionState,
    evaluate,
    next_check_delay,
    notice_for_transition,
)
from vouch_desktop.core.vouch.status import VouchStatus
from vouch_desktop.demo.fake_vouch_agent import FakeVouchAgent


def test_the_state_machine():
    known = KnownSession("a@b.c", T0 + 3600)
    unreachable = VouchStatus(authenticated=False, agent_running=False, read_at=T0)
    snap = evaluate(unreachable, T0 + 60, LEAD, was_logged_in=True, known=known)
    assert snap.state is SessionState.UNCONFIRMED and snap.headline == "Vouch could not confirm your session (offline?)"
    assert snap.email == "a@b.c" and not snap.logged_in
    assert next_check_delay(snap, T0 + 60, LEAD) == UNCONFIRMED_RETRY
    assert notice_for_transition(SessionState.VALID, SessionState.UNCONFIRMED, snap) is None
    # the known expiry has passed: ended, whatever the network
    assert evaluate(unreachable, T0 + 3601, LEAD, was_logged_in=True, known=known).state is SessionState.EXPIRED
    # the agent answered "not authenticated", or vouch said expires_in_seconds 0: ended
    from_agent = VouchStatus(authenticated=False, agent_running=True, read_at=T0)
    assert evaluate(from_agent, T0 + 60, LEAD, was_logged_in=True, known=known).state is SessionState.EXPIRED
    said_expired = VouchStatus(authenticated=False, expires_in_seconds=0, read_at=T0)
    assert evaluate(said_expired, T0 + 60, LEAD, was_logged_in=True, known=known).state is SessionState.EXPIRED
    # nothing known (started offline): not logged in, as far as anyone can tell
    assert evaluate(unreachable, T0, LEAD).state is SessionState.LOGGED_OUT


def test_monitor_with_the_fake_vouch_offline_and_back(fake_vouch):
    fake_vouch.log_in(3600)

    async def scenario():
        monitor = SessionMonitor(VouchClient(fake_vouch.path), lead_time=LEAD)
        transitions = []
        monitor.transition.connect(transitions.append)
        assert (await monitor.refresh_now()).state is SessionState.VALID
        fake_vouch.configure(network_down=True)  # vouch status: {"authenticated": false, "agent_running": false}
        snap = await monitor.refresh_now()
        assert snap.state is SessionState.UNCONFIRMED and snap.email == "demo.user@example.com"
        assert 3500 < snap.remaining <= 3600
        fake_vouch.configure(network_down=False)
        assert (await monitor.refresh_now()).state is SessionState.VALID
        assert SessionState.EXPIRED not in {new for _, new in transitions}
        notices = [notice_for_transition(old, new, monitor.snapshot) for old, new in transitions]
        assert all(n is None or not n.critical for n in notices)

    asyncio.run(scenario())


def test_monitor_retries_while_unconfirmed_then_expires_at_the_known_end(fake_vouch):
    clock = FakeClock()

    class Client(VouchClient):
        online = True
        calls = 0

        async def status(self):
            Client.calls += 1
            if not self.online:
                return VouchStatus(authenticated=False, agent_running=False, read_at=clock.wall())
            return VouchStatus(True, "a@b.c", int(T0 + 20 * 60 - clock.wall()), False, read_at=clock.wall())

    async def scenario():
        client = Client(fake_vouch.path)
        monitor = SessionMonitor(client, clock, lead_time=60, status_interval=10**6)
        transitions, when = [], []
        monitor.transition.connect(transitions.append)
        monitor.transition.connect(lambda change: when.append(clock.wall()))
        await monitor.refresh_now()
        client.online = False
        Client.calls = 0
        task = asyncio.ensure_future(monitor.run(refresh_first=True))
        while not transitions or transitions[-1][1] is not SessionState.EXPIRED:
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert [new for _, new in transitions] == [SessionState.VALID, SessionState.UNCONFIRMED, SessionState.EXPIRED]
        assert when[-1] == pytest.approx(T0 + 20 * 60, abs=1)  # expired at the known end, not before
        assert Client.calls >= (20 * 60) // UNCONFIRMED_RETRY - 1  # asked again every 30 s meanwhile
        assert max(clock.sleeps) <= UNCONFIRMED_RETRY

    asyncio.run(scenario())


def test_the_agents_answer_is_authoritative(fake_vouch):
    folder = tempfile.mkdtemp(prefix="vd-agent-", dir="/tmp")  # AF_UNIX paths stay short
    socket_path = Path(folder) / "agent.sock"
    fake_vouch.log_in(3600)

    async def scenario(agent: FakeVouchAgent):
        client = VouchClient(fake_vouch.path, agent=VouchAgent(lambda: [socket_path]))
        monitor = SessionMonitor(client, lead_time=LEAD)
        assert (await monitor.refresh_now()).state is SessionState.VALID
        assert agent.requests == ["get_session"]  # read from the agent, not by starting vouch
        fake_vouch.log_out()  # logged out in a terminal: the agent knows
        assert (await monitor.refresh_now()).state is SessionState.EXPIRED

    try:
        with FakeVouchAgent(fake_vouch.state, socket_path) as agent:
            asyncio.run(scenario(agent))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
