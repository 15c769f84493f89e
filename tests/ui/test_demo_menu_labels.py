"""The Demo menu's labels say what happens, and it happens when they say: "the expiry warning shows
now" makes the session expiring at the next look, whatever the lead time in Settings."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QMenu

from tests.app.parts import make_service
from vouch_desktop.core.vouch.session_state import SessionState
from vouch_desktop.ui.menu.demo import demo_section


def action(menu: QMenu, starts: str):
    demo = next(a.menu() for a in menu.actions() if a.text() == "Demo")
    return next(a for a in demo.actions() if a.text().startswith(starts))


@pytest.mark.parametrize("lead_minutes", [15, 5])
def test_the_warning_shows_when_the_label_says(qapp, tmp_path, fake_vouch, lead_minutes):
    service = make_service(tmp_path, fake_vouch.path)
    service.monitor.set_lead_time(lead_minutes * 60)
    fake_vouch.log_in(8 * 3600)
    notices = []
    service.notices.connect(notices.append)
    asyncio.run(service.monitor.refresh_now())
    assert service.monitor.snapshot.state is SessionState.VALID
    world = SimpleNamespace(vouch_state=fake_vouch.state, fake_aws=None, vouch_agent=SimpleNamespace(running=False))
    menu = QMenu()
    demo_section(world)(menu, SimpleNamespace(service=service))  # type: ignore[arg-type]
    warn = action(menu, f"Session ends in {lead_minutes} minutes")
    assert warn.text() == f"Session ends in {lead_minutes} minutes: the expiry warning shows now"
    warn.trigger()
    asyncio.run(service.monitor.refresh_now())  # the monitor's next look (poke asks for it at once)
    assert service.monitor.snapshot.state is SessionState.EXPIRING
    assert [n.summary.split(" (")[0] for n in notices] == ["Vouch session ends soon"]
    assert action(menu, "Drop every SSM session").text() == "Drop every SSM session: the tunnels reconnect"
