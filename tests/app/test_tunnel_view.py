"""What a tunnel's state looks like in the menu (core/app/tunnel_view.py): short whatever the error,
the full reason and advice kept for the tooltip and the details."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from vouch_desktop.core.app.tunnel_view import SHORT_REASON, count_text, details, short_state, shorten, tooltip
from vouch_desktop.core.tunnels.backends import TunnelBackend
from vouch_desktop.core.tunnels.state import TunnelState, TunnelStatus


@given(st.text(max_size=2000))
def test_a_failed_tunnels_state_is_short_whatever_the_error(reason):
    status = TunnelStatus("db", TunnelState.FAILED, reason=reason, advice="Do this.")
    assert len(short_state(status)) <= len("failed: ") + SHORT_REASON
    assert "\n" not in short_state(status)
    assert reason.strip() == "" or reason in tooltip(status)


def test_short_states():
    assert shorten("gave up after 8 attempts: TargetNotConnected: i-0123 is not connected.") \
        == "gave up after 8 attempts…"
    assert shorten("Access denied. Ask for the role.") == "Access denied"
    up = TunnelStatus("db", TunnelState.UP, 5432, backend=TunnelBackend.BUILTIN)
    assert short_state(up) == "up on localhost:5432 · built-in"
    assert short_state(TunnelStatus("db", TunnelState.RECONNECTING, attempts=3, reason="x" * 500)) \
        == "reconnecting (attempt 3)…"
    assert short_state(TunnelStatus("db"), local_port=15432) == "off · localhost:15432"


def test_count_text():
    states = [TunnelState.UP, TunnelState.UP, TunnelState.FAILED, TunnelState.STOPPED, TunnelState.STARTING]
    assert count_text(TunnelStatus(str(i), s) for i, s in enumerate(states)) == "2 up, 1 connecting, 1 failed"
    assert count_text([TunnelStatus("a")]) == ""


def test_details_carry_the_full_reason_and_advice():
    status = TunnelStatus("db", TunnelState.FAILED, reason="Local port 5432 is already in use by postgres (pid 1).",
                          advice="Stop it, or pick another port.", attempts=2, target="i-0abc", since=1000.0)
    remote = "db.example.com:5432 through i-0abc (eu-west-1)"
    rows = dict(details(status, remote, now=1000.0 + 125))
    assert rows == {"State": "failed", "Since": "2 min ago", "Forwards": remote,
                    "Through": "i-0abc", "Attempts": "2", "Reason": status.reason, "What to do": status.advice}
