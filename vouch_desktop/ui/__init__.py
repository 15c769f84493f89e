"""The thin Qt layer (docs/ARCHITECTURE.md). The first thing it does: keep PySide6's import hook from
holding the source of every module imported from now on in memory (ui/pyside_sources.py)."""

from vouch_desktop.ui.pyside_sources import read_sources_without_keeping_them

read_sources_without_keeping_them()
