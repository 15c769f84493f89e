"""Background coroutines started on behalf of the user (a click, a command), owned by the app: kept
alive until they end, their errors logged and handed to whoever shows them, all cancelled at quit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from vouch_desktop.core.errors import VouchDesktopError

log = logging.getLogger(__name__)
ErrorHandler = Callable[[VouchDesktopError], object]  # what it returns is ignored


class Tasks:
    def __init__(self) -> None:
        self._running: set[asyncio.Task[Any]] = set()  # strong references: the loop keeps only weak ones

    def spawn(self, coro: Coroutine[Any, Any, Any], *, what: str = "",
              on_error: ErrorHandler | None = None) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._running.add(task)

        def done(finished: asyncio.Task[Any]) -> None:
            self._running.discard(finished)
            if finished.cancelled():
                return
            exc = finished.exception()
            if exc is None:
                return
            if isinstance(exc, VouchDesktopError):
                log.info("%s failed: %s", what or "task", exc.message)
                error = exc
            else:
                log.error("%s crashed", what or "task", exc_info=exc)
                error = VouchDesktopError(f"Something went wrong{': ' + what if what else ''}.", detail=str(exc))
            if on_error is not None:
                on_error(error)

        task.add_done_callback(done)
        return task

    @property
    def running(self) -> int:
        return len(self._running)

    async def cancel_all(self) -> None:
        tasks = list(self._running)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
