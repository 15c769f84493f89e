"""A minimal observer so that core objects can announce changes without knowing about Qt."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class Event(Generic[T]):
    """Callbacks run synchronously, in the order connected, on the emitting thread.

    Core objects emit from the asyncio loop thread (the Qt thread when running under qasync),
    so UI callbacks may touch widgets directly.  A failing callback is logged and does not stop
    the others.
    """

    def __init__(self) -> None:
        self._callbacks: list[Callable[[T], None]] = []

    def connect(self, callback: Callable[[T], None]) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable[[T], None]) -> None:
        self._callbacks.remove(callback)

    def emit(self, value: T) -> None:
        for callback in list(self._callbacks):
            try:
                callback(value)
            except Exception:  # a broken listener must not break the emitter
                log.exception("event listener %r failed", callback)
