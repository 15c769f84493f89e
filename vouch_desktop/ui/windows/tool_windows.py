"""The tools: diagnostics, history, settings (with "Test terminal"), about."""

from __future__ import annotations

from vouch_desktop.core.app.service import AppService
from vouch_desktop.core.app.tasks import Tasks
from vouch_desktop.core.aws.sessions import available_profiles
from vouch_desktop.core.connect.terminals import TerminalLauncher, choices, registry
from vouch_desktop.core.storage.settings import Settings
from vouch_desktop.ui.windows.about_dialog import AboutDialog
from vouch_desktop.ui.windows.ask import Boxes
from vouch_desktop.ui.windows.diagnostics_window import DiagnosticsWindow
from vouch_desktop.ui.windows.history_window import HistoryWindow
from vouch_desktop.ui.windows.settings_window import SettingsWindow


class ToolWindows:
    def __init__(self, service: AppService, tasks: Tasks, boxes: Boxes) -> None:
        self.service, self.tasks, self.boxes = service, tasks, boxes
        self.diagnostics_window: DiagnosticsWindow | None = None

    def show_diagnostics(self) -> None:
        if self.diagnostics_window is None:
            self.diagnostics_window = DiagnosticsWindow(rerun=self.run_diagnostics)
        self.boxes.keeper.show(self.diagnostics_window)
        self.run_diagnostics()

    def run_diagnostics(self) -> None:
        window = self.diagnostics_window
        assert window is not None

        async def run() -> None:
            window.set_running()
            window.set_results(await self.service.diagnostics().run_all())

        self.tasks.spawn(run(), what="diagnostics", on_error=lambda e: self.boxes.error("Diagnostics", e))

    def show_history(self) -> None:
        self.boxes.keeper.show(HistoryWindow(self.service.history, self.service.paths.log_dir))

    def show_settings(self) -> None:
        automatic = TerminalLauncher().automatic()  # what "Automatic" picks on this desktop, and why
        self.boxes.keeper.show(SettingsWindow(self.service.settings.current, profiles=available_profiles(),
                                              terminals=registry(), save=self.service.apply_settings,
                                              test_terminal=self.test_terminal,
                                              installed={spec.id for spec, found in choices() if found},
                                              automatic=f"{automatic.spec.name}: {automatic.reason}"
                                              if automatic else ""))

    def test_terminal(self, settings: Settings) -> None:
        self.tasks.spawn(self.service.test_terminal(settings), what="terminal test",
                         on_error=lambda e: self.boxes.error("Test terminal", e))

    def show_about(self) -> None:
        self.boxes.keeper.show(AboutDialog(self.service.paths, self.show_diagnostics))
