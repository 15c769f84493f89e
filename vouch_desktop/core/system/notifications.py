"""Desktop notifications over the freedesktop D-Bus interface (Linux/BSD desktops), with actions.

Qt's ``QSystemTrayIcon.showMessage`` cannot carry an action button, and "Log in again" right in
the notification is what users want, so on desktops with a notification server we speak
``org.freedesktop.Notifications`` ourselves through jeepney (pure Python, already pulled in by
keyring's Secret Service backend). Where there is no such server the UI falls back to the tray
balloon, whose click stands in for the action.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vouch_desktop.core.events import Event

if TYPE_CHECKING:
    from jeepney import MatchRule
    from jeepney.io.asyncio import DBusRouter, open_dbus_router

log = logging.getLogger(__name__)

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"


@dataclass(frozen=True)
class ActionInvoked:
    notification_id: int
    action_key: str


@dataclass(frozen=True)
class DesktopNotification:
    summary: str
    body: str
    # (key, label) pairs; "default" is the key most servers use for a click on the bubble itself
    actions: tuple[tuple[str, str], ...] = ()
    urgency: int = 1  # 0 low, 1 normal, 2 critical
    icon: str = ""
    timeout_ms: int = -1  # the server's default
    hints: dict[str, str] = field(default_factory=dict)


class FreedesktopNotifier:
    """One long-lived session-bus connection; ``action_invoked`` fires when the user clicks an action."""

    def __init__(self, app_name: str = "Vouch Desktop", desktop_entry: str = "vouch-desktop") -> None:
        self.app_name = app_name
        self.desktop_entry = desktop_entry
        self.action_invoked: Event[ActionInvoked] = Event()
        self.supports_actions = False
        self._router_cm: open_dbus_router | None = None
        self._router: DBusRouter | None = None
        self._listener: asyncio.Task | None = None
        self._sent: set[int] = set()

    async def start(self) -> bool:
        """Connect; False (and the UI falls back) when there is no bus or no notification server."""
        from jeepney import DBusAddress, MatchRule, message_bus, new_method_call
        from jeepney.io.asyncio import Proxy, open_dbus_router

        try:
            self._router_cm = router_cm = open_dbus_router(bus="SESSION")
            self._router = router = await router_cm.__aenter__()
            bus = Proxy(message_bus, router)
            (has_owner,) = await bus.NameHasOwner(BUS_NAME)
            if not has_owner:
                await self.close()
                return False
            address = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=INTERFACE)
            reply = await router.send_and_get_reply(new_method_call(address, "GetCapabilities"))
            self.supports_actions = "actions" in (reply.body[0] if reply.body else [])
            rule = MatchRule(type="signal", interface=INTERFACE, member="ActionInvoked", path=OBJECT_PATH)
            await bus.AddMatch(rule)
            self._listener = asyncio.ensure_future(self._listen(router, rule))
            return True
        except (OSError, KeyError, EOFError, ValueError, RuntimeError) as exc:
            # no session bus (DBUS_SESSION_BUS_ADDRESS unset), refused, or a broken server
            log.info("desktop notifications over D-Bus unavailable: %s", exc)
            await self.close()
            return False

    async def _listen(self, router: DBusRouter, rule: MatchRule) -> None:
        with router.filter(rule, bufsize=20) as queue:
            while True:
                message = await queue.get()
                notification_id, action_key = message.body
                if notification_id in self._sent:
                    self.action_invoked.emit(ActionInvoked(notification_id, action_key))

    async def notify(self, notification: DesktopNotification, replaces_id: int = 0) -> int:
        from jeepney import DBusAddress, new_method_call

        if self._router is None:
            raise RuntimeError("notifier not started")
        actions: list[str] = []
        if self.supports_actions:
            for key, label in notification.actions:
                actions += [key, label]
        hints = {"urgency": ("y", notification.urgency), "desktop-entry": ("s", self.desktop_entry)}
        hints.update({k: ("s", v) for k, v in notification.hints.items()})
        address = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=INTERFACE)
        message = new_method_call(
            address, "Notify", "susssasa{sv}i",
            (self.app_name, replaces_id, notification.icon, notification.summary, notification.body,
             actions, hints, notification.timeout_ms),
        )
        reply = await self._router.send_and_get_reply(message)
        notification_id = int(reply.body[0])
        self._sent.add(notification_id)
        return notification_id

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
        if self._router_cm is not None:
            cm, self._router_cm, self._router = self._router_cm, None, None
            with contextlib.suppress(Exception):
                await cm.__aexit__(None, None, None)
