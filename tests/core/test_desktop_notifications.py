"""Notifications go over the real session bus to a notification server, actions come back."""

from __future__ import annotations

import asyncio
import os

import pytest

from vouch_desktop.core.system.notifications import DesktopNotification, FreedesktopNotifier

pytestmark = pytest.mark.desktop  # needs the session bus that scripts/test provides


@pytest.fixture
def notification_server():
    from tests.fixtures.notification_server import FakeNotificationServer

    server = FakeNotificationServer()
    yield server
    server.close()


async def _wait_for(predicate, seconds=5.0):
    deadline = asyncio.get_running_loop().time() + seconds
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def test_notify_with_action_and_action_comes_back(notification_server):
    async def scenario():
        notifier = FreedesktopNotifier()
        assert await notifier.start()
        assert notifier.supports_actions
        clicked = []
        notifier.action_invoked.connect(clicked.append)
        nid = await notifier.notify(DesktopNotification(
            "Vouch session expires in 15 min", "Log in again to keep your AWS access.",
            actions=(("login", "Log in again"),), urgency=1))
        call = notification_server.calls[-1]
        assert call.summary == "Vouch session expires in 15 min"
        assert call.actions == ["login", "Log in again"]
        assert call.app_name == "Vouch Desktop"
        notification_server.invoke_action(nid, "login")
        await _wait_for(lambda: clicked)
        assert clicked[0].action_key == "login" and clicked[0].notification_id == nid
        # an action on a notification someone else sent is not ours
        notification_server.invoke_action(nid + 100, "login")
        await asyncio.sleep(0.2)
        assert len(clicked) == 1
        await notifier.close()

    asyncio.run(scenario())


def test_server_without_actions_gets_none(notification_server):
    notification_server.capabilities = ["body"]

    async def scenario():
        notifier = FreedesktopNotifier()
        assert await notifier.start()
        assert not notifier.supports_actions
        await notifier.notify(DesktopNotification("s", "b", actions=(("login", "Log in again"),)))
        assert notification_server.calls[-1].actions == []
        await notifier.close()

    asyncio.run(scenario())


def test_no_server_means_fallback(monkeypatch):
    async def scenario():
        notifier = FreedesktopNotifier()
        return await notifier.start()

    # no notification server owns the name on this private bus
    assert asyncio.run(scenario()) is False
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + os.devnull + ".nothing-here")
    assert asyncio.run(scenario()) is False
