"""The tray shell: icon per state, menu rebuilt on open with the state line first, tray-less start."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

import pytest
from PySide6.QtWidgets import QSystemTrayIcon

from vouch_desktop.ui.icons import STATE_ICONS, tray_icon
from vouch_desktop.ui.tray import TrayIcon


def test_every_state_has_an_icon_with_and_without_badge(qapp):
    for state in STATE_ICONS:
        plain = tray_icon(state).pixmap(32, 32).toImage()
        badged = tray_icon(state, tunnels_up=True).pixmap(32, 32).toImage()
        assert not plain.isNull()
        assert plain != badged, f"badge not visible on {state}"
    assert tray_icon("valid").pixmap(32, 32).toImage() != tray_icon("expired").pixmap(32, 32).toImage()
    with pytest.raises(ValueError):
        tray_icon("bogus")


def test_menu_is_rebuilt_from_current_state_each_time_it_opens(qapp):
    calls = []
    tray = TrayIcon(on_quit=lambda: calls.append("quit"))
    counter = {"n": 0}

    def section(menu):
        counter["n"] += 1
        menu.addAction(f"Section built {counter['n']} times")

    tray.add_section(section)
    tray.set_status("valid", "Logged in as a@b.c · 7 h 12 min left")
    tray.menu.aboutToShow.emit()
    assert tray.menu_texts() == [
        "Logged in as a@b.c · 7 h 12 min left",
        "Section built 1 times",
        "Quit Vouch Desktop",
    ]
    tray.set_status("expired", "Session expired")
    tray.menu.aboutToShow.emit()
    assert tray.menu_texts() == ["Session expired", "Section built 2 times", "Quit Vouch Desktop"]
    assert tray.icon.toolTip() == "Session expired"
    quit_action = tray.menu.actions()[-1]
    quit_action.trigger()
    assert calls == ["quit"]


def test_app_without_a_system_tray_says_so_and_exits_cleanly(isolated_home):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-m", "vouch_desktop"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 3
    assert "No system tray was found" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.desktop
def test_tray_icon_is_embedded_in_a_real_tray_with_the_state_line(qapp, qtbot):
    assert QSystemTrayIcon.isSystemTrayAvailable()
    tray = TrayIcon(on_quit=lambda: None)
    tray.set_status("valid", "Logged in as a@b.c · 7 h 12 min left")
    tray.show()
    try:
        qtbot.waitUntil(lambda: tray.icon.geometry().width() > 0, timeout=5000)
        assert tray.icon.isVisible()
        tray.menu.aboutToShow.emit()
        assert tray.menu_texts()[0] == "Logged in as a@b.c · 7 h 12 min left"
    finally:
        tray.hide()


@pytest.mark.desktop
def test_a_damaged_settings_file_is_reported_at_start(isolated_home, tmp_path):
    settings = isolated_home / ".config" / "vouch-desktop" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text("{broken")
    runtime = tempfile.mkdtemp(prefix="vd-", dir="/tmp")  # AF_UNIX socket paths must stay short
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime)
    try:
        result = subprocess.run([sys.executable, "-m", "vouch_desktop", "--quit-after", "0.5"], env=env,
                                capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
    assert result.returncode == 0, result.stderr
    assert "settings file" in result.stderr and "is damaged" in result.stderr and "A copy was kept at" in result.stderr
    assert [p.name.startswith("settings.json.corrupt-") for p in settings.parent.iterdir()] == [True]
