"""core/ is the library: it must never import Qt, so it stays testable and reusable without a GUI."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import vouch_desktop

PACKAGE = Path(vouch_desktop.__file__).parent
FORBIDDEN = ("PySide6", "PySide2", "PyQt5", "PyQt6", "qasync", "shiboken6", "vouch_desktop.ui")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
            names.update(a.value for a in node.args if isinstance(a, ast.Constant))
    return names


def test_core_never_imports_qt():
    offenders = {}
    core_files = sorted((PACKAGE / "core").rglob("*.py"))
    assert core_files, "core package not found"
    for path in core_files:
        bad = {m for m in imported_modules(path) if m.split(".")[0] in FORBIDDEN or m.startswith(FORBIDDEN)}
        if bad:
            offenders[str(path.relative_to(PACKAGE))] = sorted(bad)
    assert offenders == {}


def test_layering_check_catches_a_qt_import(tmp_path):
    # the checker itself must be able to fail
    sample = tmp_path / "bad.py"
    sample.write_text("from PySide6.QtCore import QObject\nimport qasync\n")
    assert {"PySide6.QtCore", "qasync"} <= imported_modules(sample)


def test_no_shell_true_anywhere(reliability):
    # the modules, and the fake executables the demo ships (Python scripts without the .py)
    files = sorted(PACKAGE.rglob("*.py")) + sorted(p for p in (PACKAGE / "demo" / "bin").iterdir() if p.is_file())
    hits = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.keyword) and node.arg == "shell"
                    and not (isinstance(node.value, ast.Constant) and node.value.value is False)):
                hits.append(f"{path.relative_to(PACKAGE)}:{node.value.lineno}")
    reliability(files_checked=len(files), shell_true=len(hits))
    assert len(files) > 50 and hits == []


def test_start_up_imports_only_what_the_icon_and_an_idle_app_need(isolated_home):
    """Before the icon: no asyncio and no botocore, even with saved settings to validate; the running
    app (composition root) leaves botocore's session and its models until AWS is first needed."""
    from vouch_desktop.core.storage.settings import Settings, SettingsStore
    from vouch_desktop.core.system.paths import AppPaths

    SettingsStore(AppPaths.default().ensure()).save(Settings(regions=["eu-west-1", "us-east-1"]))
    probe = ("import sys\n"
             "from vouch_desktop.core.system.paths import AppPaths\n"
             "from vouch_desktop.core.storage.settings import SettingsStore\n"
             "import vouch_desktop.ui.app\n"
             "settings, problems = SettingsStore(AppPaths.default()).load()\n"
             "assert settings.regions == ['eu-west-1', 'us-east-1'] and not problems, problems\n"
             "print(sorted(m for m in ('asyncio', 'botocore.session', 'boto3') if m in sys.modules))\n"
             "import vouch_desktop.ui.composition\n"
             "print(sorted(m for m in ('botocore.session', 'botocore.loaders', 'boto3') if m in sys.modules))\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    lines = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    assert lines == ["[]", "[]"]
