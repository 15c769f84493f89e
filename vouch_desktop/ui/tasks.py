"""Running core coroutines from Qt slots on the qasync loop, without losing their errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from vouch_desktop.core.errors import VouchDesktopError

log = logging.getLogger(__name__)
_running: set[asyncio.Task] = set()  # strong references: the loop keeps only weak ones


def spawn(coro: Coroutine[Any, Any, Any], *, on_error: Callable[[VouchDesktopError], None] | None = None,
          what: str = "") -> asyncio.Task:
    task = asyncio.ensure_future(coro)
    _running.add(task)

    def done(finished: asyncio.Task) -> None:
        _running.discard(finished)
        if finished.cancelled():
            return
        exc = finished.exception()
        if exc is None:
            return
        if isinstance(exc, VouchDesktopError):
            log.info("%s failed: %s", what or "task", exc.message)
            if on_error is not None:
                on_error(exc)
        else:
            log.error("%s crashed", what or "task", exc_info=exc)
            if on_error is not None:
                on_error(VouchDesktopError(f"Something went wrong{': ' + what if what else ''}.", detail=str(exc)))

    task.add_done_callback(done)
    return task


def show_error(parent: QWidget | None, title: str) -> Callable[[VouchDesktopError], None]:
    def show(error: VouchDesktopError) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, error.message, QMessageBox.StandardButton.Ok, parent)
        if error.advice:
            box.setInformativeText(error.advice)
        if error.detail:
            box.setDetailedText(error.detail)
        box.show()

    return show


async def cancel_all() -> None:
    for task in list(_running):
        task.cancel()
    await asyncio.gather(*_running, return_exceptions=True)
