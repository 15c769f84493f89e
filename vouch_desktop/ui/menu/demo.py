"""Extras for --demo: a "Demo" menu to unplug the key, end the session soon, or drop tunnels, to make the
fake vouch behave as the real one does on its other paths (a key without a PIN, a blocked PIN, an
unreachable server, step-up, rate limits, its agent, the Windows security prompt), and a couple of
ready-made profiles so there is something to click."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMenu

from vouch_desktop.core.storage.profiles import InstanceProfile, ProfileBook, TunnelProfile
from vouch_desktop.demo.fake_vouch_config import DemoKeyDetector, FakeVouchState
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


def _toggle(menu: QMenu, text: str, on: bool, change: Callable[[bool], None]) -> None:
    action = menu.addAction(text)
    action.setCheckable(True)
    action.setChecked(on)
    action.toggled.connect(change)


def vouch_paths(menu: QMenu, state: FakeVouchState, world: DemoWorld, poke: Callable[[], None]) -> None:
    """The real vouch's other paths, one click each (demo/bin/vouch knobs)."""
    knobs = state.knobs()
    paths = menu.addMenu("vouch behaves like…")
    _toggle(paths, "A YubiKey without a PIN", knobs.get("pin_set", True) is False,
            lambda on: state.configure(pin_set=not on))
    blocked = paths.addAction("Block the YubiKey's PIN (no retries left)")
    blocked.triggered.connect(lambda: state.set_pin_retries(0))
    paths.addAction("Give the PIN its 8 retries back").triggered.connect(lambda: state.set_pin_retries(8))

    def network(on: bool) -> None:
        state.configure(network_down=on)
        poke()

    _toggle(paths, "Vouch server unreachable (status says authenticated: false)", bool(knobs.get("network_down")),
            network)
    def fault(code: int) -> Callable[[bool], None]:
        def change(on: bool) -> None:
            state.configure(exit_code=code if on else 0)
            poke()

        return change

    current = int(knobs.get("exit_code") or 0)
    for code, text in ((7, "Every command: step-up required (exit 7)"), (8, "Every command: rate limited (exit 8)")):
        _toggle(paths, text, current == code, fault(code))
    _toggle(paths, "Log in as on Windows (the system's security prompt)", bool(knobs.get("webauthn")),
            lambda on: state.configure(webauthn=on))
    def prompt_ends(result: str) -> Callable[[bool], None]:
        def change(on: bool) -> None:
            if on:
                state.configure(webauthn_result=result)

        return change

    if knobs.get("webauthn"):
        for result, text in (("ok", "…the prompt completes"), ("cancelled", "…the prompt is cancelled"),
                             ("timeout", "…the prompt times out")):
            _toggle(paths, text, knobs.get("webauthn_result", "ok") == result, prompt_ends(result))
    agent = world.vouch_agent

    def agent_running(on: bool) -> None:
        if on:
            agent.start()
        else:
            agent.stop()
        poke()

    _toggle(paths, "The Vouch agent runs (the session is read from its socket)", agent.running, agent_running)


def demo_section(world: DemoWorld) -> Callable[[QMenu, MenuContext], None]:
    def section(menu: QMenu, ui: MenuContext) -> None:
        demo = menu.addMenu("De&mo")
        state = world.vouch_state
        key = demo.addAction("YubiKey plugged in")
        key.setCheckable(True)
        key.setChecked(state.key_present)
        key.toggled.connect(lambda present: state.configure(key_present=present))

        def poke() -> None:
            ui.service.monitor.poke()

        def expire_soon(seconds: int) -> None:
            state.log_in(seconds)
            poke()

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
        vouch_paths(demo, state, world, poke)
        demo.addAction(f"PIN is {state.knobs().get('pin', '123456')}").setEnabled(False)

    return section
