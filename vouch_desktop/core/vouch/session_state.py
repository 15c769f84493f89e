"""The login state, as a pure function of the last vouch status and the time: no I/O, no timers.

logged out → valid → expiring (within the lead time) → expired. The expiry is an absolute wall-clock
time fixed when the status was read, so the countdown stays right between refreshes.

Network is not expiry: without its agent, vouch says ``authenticated: false`` also when its server
cannot be reached. While the expiry the app last knew is still ahead, that is "unconfirmed" (retried,
tunnels kept, no "expired" alarm), not "expired"; once that expiry has passed the session has ended anyway.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from vouch_desktop.core.vouch.status import VouchStatus

UNCONFIRMED_RETRY = 30.0  # seconds between attempts while vouch cannot confirm the session


class SessionState(enum.Enum):
    UNKNOWN = "unknown"  # not read yet
    LOGGED_OUT = "logged-out"
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    UNCONFIRMED = "unconfirmed"  # vouch said "not authenticated" without its agent, before the known expiry
    ERROR = "error"  # vouch could not be asked


@dataclass(frozen=True)
class SessionSnapshot:
    state: SessionState
    email: str = ""
    expires_at: float | None = None
    remaining: float = 0.0
    error: str = ""

    @property
    def countdown_text(self) -> str:
        if self.expires_at is None or self.state not in (SessionState.VALID, SessionState.EXPIRING):
            return ""
        return countdown(self.remaining)

    @property
    def headline(self) -> str:
        if self.state in (SessionState.VALID, SessionState.EXPIRING):
            who = f"Logged in as {self.email}" if self.email else "Logged in"
            return f"{who} · {self.countdown_text}" if self.countdown_text else who
        return {SessionState.LOGGED_OUT: "Not logged in", SessionState.EXPIRED: "Session expired",
                SessionState.UNKNOWN: "Checking Vouch…",
                SessionState.UNCONFIRMED: "Vouch could not confirm your session (offline?)",
                SessionState.ERROR: f"Vouch: {self.error}" if self.error else "Vouch is not answering"}[self.state]

    @property
    def logged_in(self) -> bool:
        return self.state in (SessionState.VALID, SessionState.EXPIRING)


def countdown(seconds: float) -> str:
    if seconds < 60:
        return "less than a minute left"
    minutes = math.ceil(seconds / 60)  # "1 min left" until the last minute, never "0 min"
    if minutes < 60:
        return f"{minutes} min left"
    return f"{minutes // 60} h {minutes % 60:02d} min left"


@dataclass(frozen=True)
class KnownSession:
    """The last session vouch confirmed: who, and until when."""

    email: str
    expires_at: float


def evaluate(status: VouchStatus | None, now: float, lead_time: float, *, was_logged_in: bool = False,
             error: str = "", known: KnownSession | None = None) -> SessionSnapshot:
    """``was_logged_in`` tells "expired" (we saw a session end) from "logged out" (no session); ``known``
    is the session last confirmed, which a "not authenticated" that may be a network failure does not end."""
    if error:
        return SessionSnapshot(SessionState.ERROR, error=error)
    if status is None:
        return SessionSnapshot(SessionState.UNKNOWN)
    expires_at = status.expires_at
    if status.authenticated and expires_at is None:  # vouch did not say until when
        return SessionSnapshot(SessionState.VALID, email=status.email)
    if not status.authenticated or expires_at is None:
        if status.may_be_unreachable and known is not None and known.expires_at > now:
            return SessionSnapshot(SessionState.UNCONFIRMED, email=known.email, expires_at=known.expires_at,
                                   remaining=known.expires_at - now)
        return SessionSnapshot(SessionState.EXPIRED if was_logged_in else SessionState.LOGGED_OUT)
    remaining = expires_at - now
    if remaining <= 0:
        return SessionSnapshot(SessionState.EXPIRED, email=status.email, expires_at=expires_at)
    state = SessionState.EXPIRING if remaining <= lead_time else SessionState.VALID
    return SessionSnapshot(state, email=status.email, expires_at=expires_at, remaining=remaining)


def next_check_delay(snapshot: SessionSnapshot, now: float, lead_time: float, *, idle_poll: float = 300.0) -> float:
    """Seconds until something the user sees changes: the countdown's next minute, the start of
    "expiring", or the expiry; while logged out, a slow poll notices a login made in a terminal; while
    unconfirmed, the next attempt to reach vouch."""
    if snapshot.state is SessionState.UNCONFIRMED and snapshot.expires_at is not None:
        return max(0.5, min(UNCONFIRMED_RETRY, snapshot.expires_at - now + 0.05))
    if snapshot.expires_at is None or not snapshot.logged_in:
        return idle_poll
    remaining = snapshot.expires_at - now
    candidates = [remaining]  # expiry
    if remaining > lead_time:
        candidates.append(remaining - lead_time)  # entering "expiring"
    if remaining >= 60:
        # the text shows whole minutes rounded up: it changes when remaining crosses a multiple of 60
        candidates.append(remaining - 60 * math.floor((remaining - 1e-6) / 60))
    delay = min(c for c in candidates if c > 0) if any(c > 0 for c in candidates) else 0.0
    return max(0.5, min(delay + 0.05, idle_poll))


@dataclass(frozen=True)
class Notice:
    summary: str
    body: str
    critical: bool = False


def notice_for_transition(old: SessionState, new: SessionState, snapshot: SessionSnapshot) -> Notice | None:
    """What to tell the user when the state changes; each change is announced once, by construction."""
    if new is SessionState.EXPIRING and old in (SessionState.VALID, SessionState.UNKNOWN, SessionState.UNCONFIRMED):
        return Notice(f"Vouch session ends soon ({snapshot.countdown_text})",
                      "Log in again with your YubiKey to keep your AWS access; running sessions stay up.")
    if new is SessionState.EXPIRED:
        return Notice("Vouch session expired", "Your AWS access has ended. Log in again with your YubiKey.",
                      critical=True)
    return None
