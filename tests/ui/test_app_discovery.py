"""The instance window while one region does not answer (issue 15.7): the others' instances show as soon
as their regions are done, and the silent one is reported after 10 s."""

from __future__ import annotations

import argparse
import socket

import pytest

from tests.core.test_discovery import SILENT, OneRegionSilent
from tests.ui.conftest import until
from tests.ui.test_app_end_to_end import demo, running  # noqa: F401 (fixtures)
from vouch_desktop.core.aws.discovery import InstanceDiscovery
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.ui.composition import VouchDesktop

pytestmark = pytest.mark.desktop


def test_the_instance_window_shows_each_region_as_it_answers(qapp, qloop, demo, reliability):  # noqa: F811
    desktop = VouchDesktop(qapp, AppPaths.default().ensure(), argparse.Namespace(quit_after=None), demo)
    service, windows = desktop.service, desktop.windows
    blackhole = socket.socket()  # accepts (the kernel completes the handshakes), never answers
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(64)
    service.discovery = InstanceDiscovery(OneRegionSilent(f"http://127.0.0.1:{blackhole.getsockname()[1]}"))
    service.settings.current.regions = [SILENT, *demo.regions]

    def rows_by_region() -> dict[str, int]:
        model = windows.instances.browser.model
        counts: dict[str, int] = {}
        for row in range(model.rowCount()):
            counts[model.item(row, 2).text()] = counts.get(model.item(row, 2).text(), 0) + 1
        return counts

    async def scenario():
        async with running(desktop):
            loop = qloop
            started = loop.time()
            windows.instances.show_browser()
            browser = windows.instances.browser
            await until(lambda: set(rows_by_region()) == set(demo.regions), timeout=8, what="the answering regions")
            others = loop.time() - started
            assert browser.progress.isVisible()  # still loading: the silent region is not done
            await until(lambda: SILENT in browser.errors_label.text(), timeout=15, what="the silent region reported")
            silent = loop.time() - started
            await until(lambda: not browser.progress.isVisible(), timeout=5)
            assert browser.errors_label.isVisible()
            assert f"{SILENT}: AWS did not answer within 10 s" in browser.errors_label.text()
            assert rows_by_region() == {r: n for r, n in rows_by_region().items() if r in demo.regions}
            assert len(browser.result.instances) == browser.model.rowCount() > 0
            return others, silent

    try:
        others, silent = qloop.run_until_complete(scenario())
    finally:
        blackhole.close()
    reliability(answering_regions_shown_after_s=round(others, 1), silent_region_reported_after_s=round(silent, 1))
    assert others < silent
