"""All pre-flight checks with pass/fail and advice."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from vouch_desktop.core.connect.diagnostics import CheckResult
from vouch_desktop.ui.windows.labels import WrappingLabel


def mark(result: CheckResult) -> str:
    return "✓" if result.ok else ("✗" if result.blocking else "!")


class DiagnosticsWindow(QWidget):
    def __init__(self, rerun: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Diagnostics — Vouch Desktop")
        self.setObjectName("diagnostics")
        self.resize(720, 360)
        self.status = WrappingLabel("Running checks…")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["", "Check", "Result", "What to do"])
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.rerun_button = QPushButton("Run again")
        self.rerun_button.clicked.connect(rerun)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.tree)
        layout.addWidget(self.rerun_button)

    def set_running(self) -> None:
        self.status.setText("Running checks…")
        self.rerun_button.setEnabled(False)

    def set_results(self, results: list[CheckResult]) -> None:
        self.tree.clear()
        for result in results:
            item = QTreeWidgetItem([mark(result), result.name, result.message, result.advice])
            item.setToolTip(3, result.advice)
            self.tree.addTopLevelItem(item)
        for column in range(3):
            self.tree.resizeColumnToContents(column)
        failed = [r for r in results if not r.ok and r.blocking]
        self.status.setText("All checks passed." if not failed else f"{len(failed)} check(s) failed.")
        self.rerun_button.setEnabled(True)

    def rows(self) -> list[tuple[str, str, str]]:
        items = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        return [(item.text(0), item.text(1), item.text(2)) for item in items if item is not None]
