"""The Demo menu's vouch entries: each sets the fake vouch's knob for one of the real CLI's paths."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

from PySide6.QtWidgets import QMenu

from vouch_desktop.demo.fake_vouch_agent import FakeVouchAgent
from vouch_desktop.demo.fake_vouch_config import FakeVouchState
from vouch_desktop.ui.menu.demo import demo_section


def entries(menu: QMenu) -> dict:
    found = {}
    for action in menu.actions():
        if action.menu() is not None:
            found.update(entries(action.menu()))
        elif action.text():
            found[action.text()] = action
    return found


def test_each_vouch_path_is_one_click(qapp, tmp_path):
    state = FakeVouchState(tmp_path / "state")
    folder = Path(tempfile.mkdtemp(prefix="vd-dm-", dir="/tmp"))
    pokes = []
    world = SimpleNamespace(vouch_state=state, vouch_agent=FakeVouchAgent(state, folder / "agent.sock"), fake_aws=None)
    ui = SimpleNamespace(service=SimpleNamespace(monitor=SimpleNamespace(poke=lambda: pokes.append(1),
                                                                         lead_time=15 * 60)))

    def click(text: str) -> None:
        menu = QMenu()
        demo_section(world)(menu, ui)
        entries(menu)[text].trigger()

    try:
        click("A YubiKey without a PIN")
        assert state.knobs()["pin_set"] is False
        click("Block the YubiKey's PIN (no retries left)")
        assert (state.dir / "pin.json").read_text().startswith('{"retries": 0')
        click("Vouch server unreachable (status says authenticated: false)")
        assert state.knobs()["network_down"] is True and pokes
        click("Every command: step-up required (exit 7)")
        assert state.knobs()["exit_code"] == 7
        click("Every command: rate limited (exit 8)")
        assert state.knobs()["exit_code"] == 8
        click("Log in as on Windows (the system's security prompt)")
        click("…the prompt is cancelled")
        assert state.knobs()["webauthn"] is True and state.knobs()["webauthn_result"] == "cancelled"
        click("The Vouch agent runs (the session is read from its socket)")
        assert world.vouch_agent.running and world.vouch_agent.socket_path.exists()
        click("The Vouch agent runs (the session is read from its socket)")
        assert not world.vouch_agent.running
    finally:
        world.vouch_agent.stop()
        shutil.rmtree(folder, ignore_errors=True)
