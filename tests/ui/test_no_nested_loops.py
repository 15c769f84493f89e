"""No nested event loop anywhere in ui/ (issue #16): no dialog ``exec()``, no static QMessageBox /
QInputDialog / QFileDialog helper (they call exec()), no ``processEvents`` loop, no QEventLoop.
Inside a coroutine (or anything one awaits) such a loop stalls every other task and keeps Quit
from working; dialogs are awaited as futures instead (ui/windows/ask.py). A pure AST check: no display."""

from __future__ import annotations

import ast
from pathlib import Path

import vouch_desktop

UI = Path(vouch_desktop.__file__).parent / "ui"
STATIC_DIALOGS = {
    "QMessageBox": {"information", "warning", "critical", "question", "about", "aboutQt"},
    "QInputDialog": {"getText", "getMultiLineText", "getItem", "getInt", "getDouble"},
    "QFileDialog": {"getOpenFileName", "getOpenFileNames", "getSaveFileName", "getExistingDirectory",
                    "getOpenFileUrl", "getOpenFileUrls", "getSaveFileUrl", "getExistingDirectoryUrl"},
    "QColorDialog": {"getColor"},
    "QFontDialog": {"getFont"},
}
# before the asyncio loop runs there is no coroutine to stall: start-up may wait for the tray and,
# when there is none, show its message modally on the way out
ALLOWED = {("app.py", "wait_for_system_tray", "processEvents"), ("app.py", "report_no_tray", "QMessageBox.critical")}


def nested_loop_calls(source: str) -> list[tuple[str, str, int]]:
    """(enclosing function, call, line) for every call that runs a nested event loop."""
    found: list[tuple[str, str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
                attribute, owner = child.func.attr, child.func.value
                if attribute in ("exec", "exec_", "processEvents"):
                    found.append((function, attribute, child.lineno))
                elif isinstance(owner, ast.Name) and attribute in STATIC_DIALOGS.get(owner.id, ()):
                    found.append((function, f"{owner.id}.{attribute}", child.lineno))
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Name) and child.func.id == "QEventLoop":
                found.append((function, "QEventLoop", child.lineno))
            visit(child, name)

    visit(ast.parse(source), "<module>")
    return found


def test_ui_runs_no_nested_event_loop():
    files = sorted(UI.rglob("*.py"))
    assert len(files) > 20
    offenders = [f"{path.relative_to(UI)}:{line} {call} in {function}()"
                 for path in files for function, call, line in nested_loop_calls(path.read_text(encoding="utf-8"))
                 if (str(path.relative_to(UI)), function, call) not in ALLOWED]
    assert offenders == []


def test_the_check_catches_each_kind_of_nested_loop():
    sample = """
async def chooser():
    QInputDialog.getItem(None, "t", "l", ["a"], 0, False)
def boxes(dialog, app):
    QMessageBox.question(None, "t", "q")
    QFileDialog.getSaveFileName(None)
    dialog.exec()
    while True:
        app.processEvents()
    QEventLoop().exec()
"""
    calls = [call for _, call, _ in nested_loop_calls(sample)]
    assert calls == ["QInputDialog.getItem", "QMessageBox.question", "QFileDialog.getSaveFileName", "exec",
                     "processEvents", "exec", "QEventLoop"]


def test_every_message_box_is_made_where_its_modality_is_set():
    """A QMessageBox is application-modal by default: shown (even without exec()), it blocks every
    window and the tray's until answered. ui/windows/ask.py's ``message_box`` sets each box's modality;
    nothing else constructs one."""
    made = [f"{path.relative_to(UI)}:{node.lineno}" for path in sorted(UI.rglob("*.py"))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "QMessageBox"]
    assert len(made) == 1 and made[0].startswith("windows/ask.py:"), made
