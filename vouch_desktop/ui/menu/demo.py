"""Extras for --demo: a "Demo" menu to unplug the key, end the session soon, or drop tunnels,
and a couple of ready-made profiles so there is something to click."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMenu

from vouch_desktop.core.storage.profiles import InstanceProfile, ProfileBook, TunnelProfile
from vouch_desktop.demo.fake_vouch_config import DemoKeyDetector
from vouch_desktop.demo.world import DEMO_PROFILE, DemoWorld
from vouch_desktop.ui.menu import MenuContext

__all__ = ["DEMO_PROFILE", "DemoKeyDetector", "demo_section", "seed_demo_profiles"]


def seed_demo_profiles(profiles: ProfileBook, world: DemoWorld) -> None:
    inventory = world.inventory
    web = inventory.instance_named("web-1")
    profiles.add(InstanceProfile("web-1 (demo)", web, "eu-west-1", ssh_user="ec2-user"))
    profiles.add(InstanceProfile("any web server", "Name=web-*", "eu-west-1"))
    orders = next(host for region, host, port in inventory.db_endpoints if host.startswith("orders-db"))
    profiles.add(TunnelProfile("orders-db", "Name=bastion-eu", 5432, "eu-west-1", orders, local_port=0,
                               group="demo"))


def demo_section(world: DemoWorld) -> Callable[[QMenu, MenuContext], None]:
    def section(menu: QMenu, ui: MenuContext) -> None:
        demo = menu.addMenu("Demo")
        state = world.vouch_state
        if state.key_present:
            demo.addAction("Unplug the YubiKey").triggered.connect(lambda: state.configure(key_present=False))
        else:
            demo.addAction("Plug in the YubiKey").triggered.connect(lambda: state.configure(key_present=True))

        def expire_soon(seconds: int) -> None:
            state.log_in(seconds)
            ui.service.monitor.poke()

        # labels say what happens: the warning comes when the session is within the lead time of Settings
        lead = max(1, int(ui.service.monitor.lead_time // 60))
        demo.addAction(f"Session ends in {lead} minutes: the expiry warning shows now").triggered.connect(
            lambda: expire_soon(lead * 60 - 5))
        demo.addAction("Session ends in 1 minute: the warning now, expired a minute later").triggered.connect(
            lambda: expire_soon(60))

        def drop_sessions() -> None:
            for session in world.fake_aws.active_sessions():
                world.fake_aws.drop_session(session.session_id)

        demo.addAction("Drop every SSM session: the tunnels reconnect").triggered.connect(drop_sessions)
        demo.addAction("PIN is 123456").setEnabled(False)

    return section
