"""The instance window as a user sees it: sorted by name with unnamed instances last, no row numbers,
"5 of 20" while filtered, the selection kept over a refresh, and the keyboard: Down from the filter
into the list, Enter connects, F5 and Ctrl+R refresh."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt

from vouch_desktop.core.aws.discovery import DiscoveredInstance, DiscoveryResult
from vouch_desktop.ui.windows.ask import Keeper
from vouch_desktop.ui.windows.instance_browser import InstanceBrowser

CTRL = Qt.KeyboardModifier.ControlModifier


def instance(n: int, name: str, *, online: bool = True, ip: str = "") -> DiscoveredInstance:
    return DiscoveredInstance(f"i-{n:017x}", "eu-west-1", name, "running" if online else "stopped",
                              ip or f"10.0.{n}.{n}", "Linux", True, "Online" if online else "ConnectionLost")


# 20 instances: 15 named (in no order, mixed case), 5 without a Name tag
NAMES = ["web-3", "db-1", "Bastion", "web-10", "web-1", "cache", "api-2", "api-1", "queue", "Web-2", "batch",
         "mail", "search", "metrics", "logs"]
INSTANCES = [instance(n + 1, name) for n, name in enumerate(NAMES)] + [instance(100 + n, "") for n in range(5)]


def result(instances: list[DiscoveredInstance] = INSTANCES) -> DiscoveryResult:
    return DiscoveryResult("vouch", ["eu-west-1"], list(instances), [], datetime.now(UTC))


def column(browser: InstanceBrowser, col: int) -> list[str]:
    return [browser.proxy.index(row, col).data() for row in range(browser.proxy.rowCount())]


@pytest.fixture
def window(qtbot):
    calls: dict[str, list] = {"connect": [], "refresh": []}
    browser = InstanceBrowser(refresh=lambda: calls["refresh"].append(1), connect=calls["connect"].append,
                              save_profile=lambda i: None, open_ssh=lambda i: None, ssh_user=lambda i: "")
    qtbot.addWidget(browser)
    Keeper().show(browser)
    qtbot.waitExposed(browser)
    browser.activateWindow()
    qtbot.waitUntil(browser.isActiveWindow)
    browser.set_result(result())
    return browser, calls


def test_sorted_by_name_unnamed_last_without_row_numbers(window):
    browser, _ = window
    names = column(browser, 0)
    named = sorted(NAMES, key=str.casefold)
    assert names == named + ["—"] * 5
    assert column(browser, 1)[-5:] == sorted(i.instance_id for i in INSTANCES[-5:])  # unnamed: by id
    assert browser.table.horizontalHeader().sortIndicatorSection() == 0
    assert browser.table.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    assert not browser.table.verticalHeader().isVisible()


def test_the_count_says_how_many_the_filter_shows(qtbot, window):
    browser, _ = window
    assert browser.age_label.text().startswith("20 instances · ")
    qtbot.keyClicks(browser.filter_edit, "web")
    assert browser.proxy.rowCount() == 4
    assert browser.age_label.text().startswith("4 of 20 instances · ")
    browser.filter_edit.clear()
    assert browser.age_label.text().startswith("20 instances · ")


def test_a_refresh_keeps_the_selected_instance_selected(qtbot, window):
    browser, _ = window
    browser.select_instance(INSTANCES[NAMES.index("queue")].instance_id)
    newcomer = instance(50, "aaa-new")  # sorts first: the selected row moves down
    browser.set_result(result([newcomer, *INSTANCES]))
    chosen = browser.selected()
    assert chosen is not None and chosen.name == "queue"
    assert browser.connect_button.isEnabled()


def test_down_from_the_filter_then_enter_connects(qtbot, window):
    browser, calls = window
    browser.filter_edit.setFocus()
    qtbot.keyClicks(browser.filter_edit, "api")
    qtbot.keyClick(browser.filter_edit, Qt.Key.Key_Down)
    assert browser.table.hasFocus() and browser.selected().name == "api-1"
    qtbot.keyClick(browser.table, Qt.Key.Key_Down)
    qtbot.keyClick(browser.table, Qt.Key.Key_Return)
    assert [i.name for i in calls["connect"]] == ["api-2"]


def test_enter_in_the_filter_connects_the_only_match(qtbot, window):
    browser, calls = window
    browser.filter_edit.setFocus()
    qtbot.keyClicks(browser.filter_edit, "metrics")
    qtbot.keyClick(browser.filter_edit, Qt.Key.Key_Return)
    assert [i.name for i in calls["connect"]] == ["metrics"]


def test_enter_does_not_connect_an_instance_that_cannot_connect(qtbot, window):
    browser, calls = window
    offline = instance(60, "old-box", online=False)
    browser.set_result(result([*INSTANCES, offline]))
    browser.select_instance(offline.instance_id)
    browser.table.setFocus()
    qtbot.keyClick(browser.table, Qt.Key.Key_Return)
    assert calls["connect"] == [] and not browser.connect_button.isEnabled()
    assert browser.connect_button.toolTip().startswith("Cannot connect: ")


@pytest.mark.parametrize(("key", "modifier"), [(Qt.Key.Key_F5, Qt.KeyboardModifier.NoModifier),
                                                (Qt.Key.Key_R, CTRL)])
def test_f5_and_ctrl_r_refresh(qtbot, window, key, modifier):
    browser, calls = window
    browser.filter_edit.setFocus()
    qtbot.keyClick(browser.filter_edit, key, modifier)
    assert calls["refresh"] == [1]
    browser.set_loading(True)  # a refresh is running: the keys wait for it
    qtbot.keyClick(browser.filter_edit, key, modifier)
    assert calls["refresh"] == [1]


def test_a_refresh_region_by_region_keeps_the_selected_instance_selected(qtbot, qloop, window):
    browser, _ = window
    browser.select_instance(INSTANCES[NAMES.index("cache")].instance_id)

    async def refresh_by_region():
        other = [instance(70, "frankfurt-1")]
        await browser.show_region("eu-central-1", [dataclasses.replace(other[0], region="eu-central-1")], None)
        await browser.show_region("eu-west-1", INSTANCES, None)
        assert browser.selected().name == "cache"  # as soon as its region is back
        browser.finish_regions(DiscoveryResult("vouch", ["eu-west-1", "eu-central-1"],
                                               [*INSTANCES, dataclasses.replace(other[0], region="eu-central-1")],
                                               [], datetime.now(UTC)))

    qloop.run_until_complete(refresh_by_region())
    assert browser.selected().name == "cache" and browser.proxy.rowCount() == 21
    assert column(browser, 0)[:3] == ["api-1", "api-2", "Bastion"]  # sorted again once every region is in
