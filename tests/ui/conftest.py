"""Qt + asyncio for UI tests: a qasync loop on the test's QApplication."""

from __future__ import annotations

import asyncio

import pytest
import qasync

from tests.fixtures.waiting import until  # noqa: F401 (the UI tests import it from here)


@pytest.fixture
def qloop(qapp):
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    loop.run_until_complete(loop.shutdown_asyncgens())
    asyncio.set_event_loop(None)
    loop.close()
