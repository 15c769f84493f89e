"""Every window fits the screen's free area, also at QT_SCALE_FACTOR=2 and when the size it remembers
is larger than the screen; a window reopens at the size it was closed at; the file that keeps the
sizes is versioned, written atomically, and a damaged one is moved aside and reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QSize

from vouch_desktop.core.storage.ui_state import UiState, WindowSize
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.ui.windows.ask import Keeper
from vouch_desktop.ui.windows.frame import TITLE_SUFFIX
from vouch_desktop.ui.windows.instance_browser import InstanceBrowser

REPO = Path(__file__).resolve().parents[2]
WINDOWS = {"instances", "profiles", "history", "diagnostics", "settings", "instance-profile", "tunnel-profile",
           "login", "about", "aws-setup"}


def probe(root: Path, scale: int) -> dict:
    env = {**os.environ, "QT_SCALE_FACTOR": str(scale)}
    done = subprocess.run([sys.executable, "-m", "tests.ui.window_fit_probe", str(root)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_fits(report: dict) -> None:
    __tracebackhide__ = True
    assert set(report["windows"]) == WINDOWS
    for name, window in report["windows"].items():
        ax, ay, aw, ah = window["area"]
        x, y, w, h = window["frame"]
        assert ax <= x and ay <= y and x + w <= ax + aw and y + h <= ay + ah, (name, window)
        assert window["outside"] == [], (name, window["outside"])  # every button and field can be reached
        assert window["title"].endswith(TITLE_SUFFIX), window["title"]


def test_every_window_fits_the_screen_at_scale_two_also_with_sizes_remembered_at_scale_one(tmp_path):
    at_one = probe(tmp_path, 1)
    assert_fits(at_one)
    remembered = json.loads((tmp_path / "state" / "ui-state.json").read_text())
    assert remembered["schema_version"] == 1 and remembered["window_sizes"]["instances"] == [900, 480]
    at_two = probe(tmp_path, 2)  # the sizes saved at scale 1 are too large for this screen now
    assert at_two["scale"] == 2
    assert_fits(at_two)
    screen_width = at_two["windows"]["instances"]["area"][2]
    assert at_two["windows"]["instances"]["size"][0] < 900 and screen_width < 900


def test_a_window_reopens_at_the_size_it_was_closed_at(qtbot, tmp_path):
    paths = AppPaths.under(tmp_path).ensure()

    def browser() -> InstanceBrowser:
        window = InstanceBrowser(refresh=lambda: None, connect=lambda i: None, save_profile=lambda i: None,
                                 open_ssh=lambda i: None, ssh_user=lambda i: "")
        qtbot.addWidget(window)
        return window

    state = UiState(paths)
    assert state.load() == []
    first = browser()
    Keeper(state).show(first)
    assert first.size() == QSize(900, 480)  # its own default on a screen large enough
    first.resize(700, 400)
    first.close()
    again = UiState(paths)  # as after a restart
    assert again.load() == [] and again.size("instances") == WindowSize(700, 400)
    second = browser()
    Keeper(again).show(second)
    assert second.size() == QSize(700, 400)


def test_a_damaged_sizes_file_is_moved_aside_and_reported(tmp_path):
    paths = AppPaths.under(tmp_path).ensure()
    file = paths.state_dir / "ui-state.json"
    file.write_text("{not json")
    state = UiState(paths)
    problems = state.load()
    assert len(problems) == 1 and "damaged" in problems[0].user_text() and problems[0].backup.exists()
    assert state.size("instances") is None
    file.write_text(json.dumps({"kind": "ui-state", "schema_version": 1,
                                "window_sizes": {"instances": [800, 500], "profiles": [True, "x"],
                                                 "history": [-5, 10**9]}}))
    problems = state.load()
    assert state.size("instances") == WindowSize(800, 500) and state.size("profiles") is None
    assert "'profiles': not a window size" in problems[0].user_text() and problems[0].backup.exists()
    state.remember("history", WindowSize(640, 300))
    saved = json.loads(file.read_text())
    assert saved["window_sizes"] == {"history": [640, 300], "instances": [800, 500]}
