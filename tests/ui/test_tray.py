"""The tray shell: icon per state, menu rebuilt on open with the state line first, tray-less start."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtWidgets import QSystemTrayIcon

from vouch_desktop.core.errors import VouchDesktopError
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

    tray.add_section("Counter", section)
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


FAILURES = [PermissionError(13, "Permission denied", "/home/u/.ssh/config"),
            UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), IsADirectoryError(21, "Is a directory"),
            ValueError("No closing quotation"), KeyError("Host"), RuntimeError("a bug"),
            VouchDesktopError("AWS could not be reached.", advice="Check your network")]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(failing=st.lists(st.sampled_from([None, *range(len(FAILURES))]), min_size=1, max_size=6),
       half_built=st.booleans())
def test_no_section_can_take_the_menu_down(qapp, failing, half_built):
    """Any mix of sections failing, with any error, after adding part of their items or none: each
    failing one is one error line, every other one is whole, and Quit is last."""
    quits = []
    tray = TrayIcon(on_quit=lambda: quits.append(True))
    expected = ["Starting…"]
    for index, failure in enumerate(failing):
        def build(menu, index=index, failure=failure):
            menu.addAction(f"item {index}.1")
            if failure is not None and half_built:
                menu.addMenu(f"submenu {index}")
                raise FAILURES[failure]
            menu.addAction(f"item {index}.2")
            if failure is not None:
                raise FAILURES[failure]

        tray.add_section(f"Section {index}", build, separator=index % 2 == 0)
        if failure is None:
            expected += [f"item {index}.1", f"item {index}.2"]
        else:
            expected.append(f"⚠ Section {index}: cannot be shown (")
    for _ in range(2):  # and again when the menu opens the next time
        tray.menu.aboutToShow.emit()
        texts = tray.menu_texts()
        assert len(texts) == len(expected) + 1
        assert all(text.startswith(prefix) for text, prefix in zip(texts, expected, strict=False))
        errors = [a for a in tray.menu.actions() if a.text().startswith("⚠")]
        assert all(not a.isEnabled() and len(a.text()) < 140 for a in errors)
        assert texts[-1] == "Quit Vouch Desktop"
    tray.menu.actions()[-1].trigger()
    assert quits == [True]


def test_the_error_line_says_what_failed(qapp):
    tray = TrayIcon()
    tray.add_section("Before", lambda menu: menu.addAction("Profiles…"))

    def unreadable_ssh_config(menu):
        raise PermissionError(13, "Permission denied", "/home/u/.ssh/config")

    tray.add_section("SSH over SSM", unreadable_ssh_config)
    tray.add_section("After", lambda menu: menu.addAction("Settings…"))
    tray.menu.aboutToShow.emit()
    assert tray.menu_texts() == ["Starting…", "Profiles…",
                                 "⚠ SSH over SSM: cannot be shown ([Errno 13] Permission denied: "
                                 "'/home/u/.ssh/config')", "Settings…", "Quit Vouch Desktop"]
