"""Keeps the login state current without polling every second.

It asks vouch for the status at start, every few minutes (to notice a login or logout made in a
terminal), after a login from the app, and when the state is due to change; in between it only
re-evaluates the pure state machine at the moments the countdown text changes. Sleeps are at most
``max_sleep`` long so that a wall-clock jump (suspend and resume: the monotonic clock stops while
suspended, the wall clock does not) is noticed within that time and handled at once.

It remembers the last session vouch confirmed (``KnownSession``): a later "not authenticated" that may
only mean vouch's server is out of reach (no agent, no expiry given) leaves the state "unconfirmed"
until that session's own end, asking again every ``UNCONFIRMED_RETRY`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.events import Event
from vouch_desktop.core.vouch.session_state import (
    KnownSession,
    SessionSnapshot,
    SessionState,
    evaluate,
    next_check_delay,
)
from vouch_desktop.core.vouch.status import VouchStatus

log = logging.getLogger(__name__)


class StatusSource(Protocol):
    async def status(self) -> VouchStatus: ...


class Clock(Protocol):
    def wall(self) -> float: ...
    def monotonic(self) -> float: ...
    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def wall(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class SessionMonitor:
    def __init__(self, client: StatusSource, clock: Clock | None = None, lead_time: float = 15 * 60, *,
                 status_interval: float = 300.0, max_sleep: float = 30.0, jump_threshold: float = 20.0) -> None:
        self.client = client
        self.clock = clock or SystemClock()
        self.lead_time = lead_time
        self.status_interval = status_interval
        self.max_sleep = max_sleep
        self.jump_threshold = jump_threshold
        self.changed: Event[SessionSnapshot] = Event()
        self.transition: Event[tuple[SessionState, SessionState]] = Event()
        self.clock_jumped: Event[float] = Event()
        self.snapshot = SessionSnapshot(SessionState.UNKNOWN)
        self._status: VouchStatus | None = None
        self._error = ""
        self._was_logged_in = False
        self._known: KnownSession | None = None
        self._status_read_mono = float("-inf")
        self._poke = asyncio.Event()

    def set_lead_time(self, seconds: float) -> None:
        self.lead_time = seconds
        self.evaluate()

    def logged_out_by_user(self) -> None:
        """An explicit logout is "not logged in", not "expired"."""
        self._was_logged_in = False
        self._known = None
        self._status = VouchStatus(authenticated=False, read_at=self.clock.wall())
        self.evaluate()

    def evaluate(self) -> SessionSnapshot:
        snapshot = evaluate(self._status, self.clock.wall(), self.lead_time,
                            was_logged_in=self._was_logged_in, error=self._error, known=self._known)
        if snapshot.logged_in:
            self._was_logged_in = True
        old, self.snapshot = self.snapshot, snapshot
        if snapshot != old:
            self.changed.emit(snapshot)
        if snapshot.state is not old.state:
            log.info("session: %s → %s", old.state.value, snapshot.state.value)
            self.transition.emit((old.state, snapshot.state))
        return snapshot

    async def refresh_now(self) -> SessionSnapshot:
        try:
            self._status = status = await self.client.status()
            self._error = ""
            if status.expires_at is not None:
                self._known = KnownSession(status.email, status.expires_at)
            elif not status.authenticated and not status.may_be_unreachable:  # the agent or vouch said it ended
                self._known = None
        except VouchDesktopError as exc:
            log.warning("vouch status failed: %s", exc.message)
            self._error = exc.message
        self._status_read_mono = self.clock.monotonic()
        return self.evaluate()

    def poke(self) -> None:
        """Wake the loop now (after a login, a settings change)."""
        self._poke.set()

    async def _sleep_or_poke(self, seconds: float) -> bool:
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        poked = asyncio.ensure_future(self._poke.wait())
        try:
            await asyncio.wait({sleeper, poked}, return_when=asyncio.FIRST_COMPLETED)
        finally:  # also when we are cancelled: leave no task behind
            for task in (sleeper, poked):
                task.cancel()
            await asyncio.gather(sleeper, poked, return_exceptions=True)
        was_poked = self._poke.is_set()
        self._poke.clear()
        return was_poked

    async def run(self, refresh_first: bool = True) -> None:
        if refresh_first:
            await self.refresh_now()
        while True:
            now = self.clock.wall()
            delay = min(next_check_delay(self.snapshot, now, self.lead_time), self.max_sleep)
            wall_before, mono_before = now, self.clock.monotonic()
            poked = await self._sleep_or_poke(delay)
            jump = (self.clock.wall() - wall_before) - (self.clock.monotonic() - mono_before)
            if abs(jump) > self.jump_threshold:
                log.info("wall clock jumped by %.0f s (suspend/resume?): refreshing", jump)
                await self.refresh_now()
                self.clock_jumped.emit(jump)
                continue
            due = self.clock.monotonic() - self._status_read_mono >= self.status_interval
            predicted = evaluate(self._status, self.clock.wall(), self.lead_time,
                                 was_logged_in=self._was_logged_in, error=self._error, known=self._known)
            # before announcing "expired", ask vouch: the user may have logged in from a terminal
            expiring_now = predicted.state is SessionState.EXPIRED and self.snapshot.state is not SessionState.EXPIRED
            retrying = self._error or self.snapshot.state is SessionState.UNCONFIRMED
            if poked or due or retrying or expiring_now:
                await self.refresh_now()
            else:
                self.evaluate()
