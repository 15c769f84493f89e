"""Settings, terminal part: installed terminals first, what "Automatic" picks, the keep-open option, and
the custom command line's warnings as the user types."""

from __future__ import annotations

from vouch_desktop.core.connect.terminals import CUSTOM, registry
from vouch_desktop.core.storage.settings import Settings
from vouch_desktop.ui.windows.settings_window import SettingsWindow


def test_installed_terminals_come_first_and_automatic_says_which(qtbot):
    saved: list[Settings] = []
    window = SettingsWindow(Settings(), profiles=["vouch"], terminals=registry("linux"), save=saved.append,
                            test_terminal=lambda s: None, installed={"xterm", "konsole"},
                            automatic="Konsole: KDE's own terminal")
    qtbot.addWidget(window)
    combo = window.terminal
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert texts[:4] == ["Automatic (Konsole: KDE's own terminal)", "Konsole", "xterm", "Custom command line…"]
    assert "GNOME Terminal (not installed)" in texts and "Ptyxis (not installed)" in texts
    missing = texts.index("GNOME Terminal (not installed)")
    assert not combo.model().item(missing).isEnabled()  # listed, not choosable
    assert combo.currentData() == ""
    assert window.keep_open.isChecked()  # the default: a failed session stays readable
    window.keep_open.setChecked(False)
    combo.setCurrentIndex(combo.findData(CUSTOM))
    window.template.setText("sh -c '{command}'")
    assert window.template_warning.isVisibleTo(window) and "quotes around {command}" in window.template_warning.text()
    window.template.setText("myterm --title {title} -e {command}")
    assert not window.template_warning.isVisibleTo(window)
    window.try_save()
    assert saved[0].terminal == CUSTOM and saved[0].keep_open_on_error is False
    assert saved[0].terminal_template == "myterm --title {title} -e {command}"


def test_nothing_found(qtbot):
    window = SettingsWindow(Settings(), profiles=["vouch"], terminals=registry("linux"), save=lambda s: None,
                            test_terminal=lambda s: None, installed=set(), automatic="")
    qtbot.addWidget(window)
    assert window.terminal.itemText(0) == "Automatic (none found)"
