"""Shows desktop notifications: D-Bus with an action button where there is a notification server,
the tray balloon (clicked = the action) elsewhere. Never steals focus: neither path raises a window."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from PySide6.QtWidgets import QSystemTrayIcon

from vouch_desktop.core.system.notifications import ActionInvoked, DesktopNotification, FreedesktopNotifier

log = logging.getLogger(__name__)

Action = Callable[[], None]
BRIEF_MS = 2500  # how long brief feedback ("Copied") stays


class Notifier:
    def __init__(self, tray: QSystemTrayIcon, dbus: FreedesktopNotifier | None) -> None:
        self._tray = tray
        self._dbus = dbus
        self._dbus_ready = False
        self._actions: dict[int, Action] = {}
        self._balloon_action: Action | None = None
        self._reached: asyncio.Task[None] | None = None  # done once it is known which way notifications go
        tray.messageClicked.connect(self._balloon_clicked)
        if dbus is not None:
            dbus.action_invoked.connect(self._dbus_action)

    async def _reach_server(self) -> None:
        if self._dbus is not None:
            try:
                self._dbus_ready = await self._dbus.start()
            except Exception as exc:  # (start says False for no bus or no server: this would be a bug there)
                log.warning("the notification server could not be reached (%s)", exc)
        log.info("notifications via %s", "D-Bus" if self._dbus_ready else "tray balloon")

    async def show(self, summary: str, body: str, action_label: str = "", action: Action | None = None,
                   critical: bool = False, brief: bool = False) -> None:
        """``brief``: feedback that needs no attention ("Copied"): low urgency, gone after BRIEF_MS. The first
        notification reaches the notification server (not the start: most runs have nothing to say early, and the
        server may come up after the app at session start); those asked for meanwhile wait for it."""
        if self._reached is None:
            self._reached = asyncio.ensure_future(self._reach_server())
        await asyncio.shield(self._reached)  # (shielded: one caller cancelled does not cancel it for all)
        if self._dbus_ready and self._dbus is not None:
            actions = (("default", action_label), ("run", action_label)) if action else ()
            urgency = 2 if critical else 0 if brief else 1
            try:
                nid = await self._dbus.notify(DesktopNotification(summary, body, actions=actions, urgency=urgency,
                                                                  timeout_ms=BRIEF_MS if brief else -1))
            except Exception as exc:  # the server went away: fall back for this and later ones
                log.warning("D-Bus notification failed (%s); using the tray balloon", exc)
                self._dbus_ready = False
            else:
                if action is not None:
                    self._actions[nid] = action
                return
        self._balloon_action = action
        icon = QSystemTrayIcon.MessageIcon.Critical if critical else QSystemTrayIcon.MessageIcon.Warning
        if brief:
            icon = QSystemTrayIcon.MessageIcon.Information
        hint = f"\n(Click to {action_label.lower()})" if action and action_label else ""
        self._tray.showMessage(summary, body + hint, icon, BRIEF_MS if brief else 15000)

    def _dbus_action(self, invoked: ActionInvoked) -> None:
        action = self._actions.pop(invoked.notification_id, None)
        if action is not None:
            action()

    def _balloon_clicked(self) -> None:
        action, self._balloon_action = self._balloon_action, None
        if action is not None:
            action()

    async def close(self) -> None:
        if self._reached is not None:
            await asyncio.gather(self._reached, return_exceptions=True)  # (a connection on its way is closed too)
        if self._dbus is not None:
            await self._dbus.close()
