"""The settings of the moment, shared by everything that reads them, with a ``changed`` event."""

from __future__ import annotations

from dataclasses import dataclass

from vouch_desktop.core.events import Event
from vouch_desktop.core.storage.settings import Settings


@dataclass(frozen=True)
class SettingsChange:
    old: Settings
    new: Settings


class SettingsHolder:
    """Holds the current ``Settings``; ``replace`` swaps them and tells the listeners (old and new)."""

    def __init__(self, settings: Settings) -> None:
        self._current = settings
        self.changed: Event[SettingsChange] = Event()

    @property
    def current(self) -> Settings:
        return self._current

    def replace(self, new: Settings) -> None:
        old, self._current = self._current, new
        self.changed.emit(SettingsChange(old, new))
