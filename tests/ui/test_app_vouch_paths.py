"""The whole app with the demo world on the real vouch's other paths: its server out of reach (network is
not expiry: tunnels stay, no "expired" alarm), its agent, output it cannot read at start, the Set up AWS
access dialog from the tray, and logging in as on Windows."""

from __future__ import annotations

import argparse
import asyncio
import logging

import pytest

from tests.ui.conftest import until
from tests.ui.test_app_end_to_end import demo, notifications, running  # noqa: F401 (fixtures)
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.core.tunnels.state import TunnelState
from vouch_desktop.core.vouch.session_state import SessionState
from vouch_desktop.ui.composition import VouchDesktop
from vouch_desktop.ui.tray import find_action
from vouch_desktop.ui.windows.aws_setup_dialog import AwsSetupDialog

pytestmark = pytest.mark.desktop
UNCONFIRMED = "Vouch could not confirm your session (offline?)"


def app(qapp, demo_world) -> VouchDesktop:  # noqa: F811
    return VouchDesktop(qapp, AppPaths.default().ensure(), argparse.Namespace(quit_after=None), demo_world)


def test_vouch_server_unreachable_keeps_tunnels_and_raises_no_expiry_alarm(qapp, qloop, demo, notifications):  # noqa: F811
    desktop = app(qapp, demo)
    service, tray = desktop.service, desktop.tray

    async def scenario():
        async with running(desktop):
            await service.set_tunnel(service.profiles.find("orders-db"), True)
            await until(lambda: service.tunnels.status("orders-db").state is TunnelState.UP, timeout=20)
            demo.vouch_state.configure(network_down=True)
            service.monitor.poke()
            await until(lambda: service.monitor.snapshot.state is SessionState.UNCONFIRMED)
            tray.menu.aboutToShow.emit()
            assert tray.menu_texts()[1] == UNCONFIRMED and tray.icon.toolTip().startswith(UNCONFIRMED)  # under Connect…
            await asyncio.sleep(2)  # the tunnel is not torn down for it, and nothing says "expired"
            assert service.tunnels.status("orders-db").state is TunnelState.UP
            assert service.tunnels.credentials_valid
            assert not any("expired" in call.summary.lower() for call in notifications.calls)
            demo.vouch_state.configure(network_down=False)
            service.monitor.poke()
            await until(lambda: service.monitor.snapshot.state is SessionState.VALID)

    qloop.run_until_complete(scenario())


def test_the_session_is_read_from_the_vouch_agent_when_it_runs(qapp, qloop, demo):  # noqa: F811
    desktop = app(qapp, demo)
    service = desktop.service

    async def scenario():
        async with running(desktop):
            demo.vouch_agent.start()
            service.monitor.poke()
            await until(lambda: "get_session" in demo.vouch_agent.requests)
            assert service.monitor.snapshot.state is SessionState.VALID
            demo.vouch_state.log_out()  # logged out in a terminal: the agent says so, and it is not "offline"
            service.monitor.poke()
            await until(lambda: service.monitor.snapshot.state is SessionState.EXPIRED)

    try:
        qloop.run_until_complete(scenario())
    finally:
        demo.vouch_agent.stop()


@pytest.mark.parametrize("output", [b"[" * 30_000 + b"]" * 30_000, b'{"x": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
                                    b'{"authenticated": true, "expires_in_seconds": 1e309}'],
                         ids=["deep-array", "deep-object", "1e309"])
def test_output_it_cannot_read_at_start_is_a_state_not_a_traceback(qapp, qloop, demo, caplog, output):  # noqa: F811
    demo.vouch_state.override_status(output)
    desktop = app(qapp, demo)
    service, tray = desktop.service, desktop.tray

    async def scenario():
        with caplog.at_level(logging.WARNING):
            async with running(desktop):
                snapshot = service.monitor.snapshot
                assert snapshot.state is SessionState.ERROR
                assert snapshot.headline.startswith("Vouch: vouch status gave output this app cannot read")
                tray.menu.aboutToShow.emit()
                assert "Quit" in " ".join(tray.menu_texts())
        assert not [r for r in caplog.records if r.exc_info]  # nothing logged a traceback

    qloop.run_until_complete(scenario())


def test_set_up_aws_access_from_the_tray(qapp, qloop, demo):  # noqa: F811
    desktop = app(qapp, demo)
    service, tray, windows = desktop.service, desktop.tray, desktop.windows

    async def scenario():
        async with running(desktop):
            tray.menu.aboutToShow.emit()
            entry = find_action(tray.menu, "Set up AWS access…")
            entry.trigger()
            dialog = next(w for w in windows.keeper.open_windows if isinstance(w, AwsSetupDialog))
            assert dialog.isVisible() and dialog.profile_edit.text() == service.settings.current.aws_profile
            dialog.profile_edit.setText("team")
            dialog.role_edit.setText("arn:aws:iam::123456789012:role/Team")
            dialog.setup_button.click()
            await until(lambda: "now uses" in dialog.status_label.text(), timeout=20)
            dialog.reject()

    qloop.run_until_complete(scenario())
    assert "[profile team]" in (demo.home / ".aws" / "config").read_text()


def test_logging_in_as_on_windows_asks_for_no_pin(qapp, qloop, demo):  # noqa: F811
    demo.vouch_state.configure(webauthn=True, touch_seconds=0.5)
    demo.vouch_state.log_out()
    desktop = app(qapp, demo)
    service, windows = desktop.service, desktop.windows

    async def scenario():
        async with running(desktop):
            windows.session.show_login()
            dialog = windows.session.login_dialog
            assert dialog.system_prompt and dialog.pin_edit.isHidden()
            dialog.login_button.click()
            await until(lambda: dialog.step_label.text() == "Complete the Windows Security prompt")
            await until(lambda: service.monitor.snapshot.state is SessionState.VALID, timeout=20)

    qloop.run_until_complete(scenario())
