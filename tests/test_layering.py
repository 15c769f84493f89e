"""core/ is the library: it must never import Qt, so it stays testable and reusable without a GUI."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.skipif(sys.platform == "win32", reason="isolated_home: platformdirs does not read HOME on Windows")
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


# What an idle app must not hold (issue 23): each is loaded when its work first comes, and costs an idle
# tray icon memory for nothing (docs/performance.md has the figures).
NOT_WHEN_IDLE = {
    "fido2": "key presence is read from sysfs on Linux; python-fido2 only asks a key what it is",
    "cryptography": "python-fido2's, and the data channel's digests",
    "ssl": "OpenSSL: asyncio is imported without it until the first TLS connection (core/system/deferred_ssl.py)",
    "_hashlib": "OpenSSL again (hashlib, hmac, secrets): the data channel's digests, a sign-in file's name",
    "botocore": "AWS: the first client or the first translated error",
    "boto3": "never used by the app",
    "pexpect": "vouch login in a pty",
    "psutil": "never needed by the app itself",
    "websockets": "the built-in tunnels' data channel",
    # (the start-up look for a killed demo's leftover home, demo/leftovers.py, is light and allowed)
    "vouch_desktop.demo.world": "the fake world: --demo only",
    "vouch_desktop.demo.fake_aws": "the fake world: --demo only",
    "moto": "the fake world: --demo only",
    "vouch_desktop.core.tunnels.datachannel.port_forwarding": "the first built-in tunnel",
    "vouch_desktop.core.connect.diagnostics": "the first connection or the Diagnostics window",
    "vouch_desktop.core.connect.connector": "the first connection",
    "vouch_desktop.core.connect.ssh_config": "SSH set-up, or the menu's SSH line",
    "vouch_desktop.core.databases.sign_in": "the first database client or password",
    "vouch_desktop.core.databases.passwords": "the first database password",
    "vouch_desktop.core.databases.clients": "the Databases menu",
    "vouch_desktop.core.aws.databases": "the first list of databases (the tunnel dialog)",
    "jeepney": "D-Bus: the first desktop notification reaches the notification server",
    "vouch_desktop.core.system.ipc_protocol": "the control protocol's messages: the first command",
    "vouch_desktop.core.app.control": "the control channel's handlers: the first command",
    "vouch_desktop.core.connect.terminals": "the first terminal",
    "vouch_desktop.core.storage.profile_io": "profile import and export",
    "vouch_desktop.ui.windows.instance_windows": "the windows: loaded when the menu first opens",
    "vouch_desktop.ui.windows.session_windows": "the windows: loaded when the menu first opens",
    "vouch_desktop.ui.windows.profile_windows": "the windows: loaded when the menu first opens",
    "vouch_desktop.ui.windows.tool_windows": "the windows: loaded when the menu first opens",
    "importlib.resources": "the icons are found by their path (core/system/resources.py)",
    "vouch_desktop.core.system.win_processes": "Windows' job objects: only on Windows",
    "ctypes": "Windows' job objects: only on Windows",
}
IDLE_PROBE = """
import importlib.machinery, json, linecache, sys, threading

def record_then_quit(original):
    def request_quit(self):  # --quit-after: the app has been idle since it was ready
        with open(sys.argv[1], "w") as out:
            json.dump({"modules": sorted(sys.modules), "linecache": len(linecache.cache),
                       "threads": [t.name for t in threading.enumerate()]}, out)
        original(self)
    return request_quit

class Watch:  # a meta path finder and loader (not importlib.abc's: it imports importlib.resources)
    # patches the composition root when the app imports it (importing it here would change what is measured)
    def find_spec(self, name, path=None, target=None):
        if name != "vouch_desktop.ui.composition":
            return None
        sys.meta_path.remove(self)
        self.spec = importlib.machinery.PathFinder.find_spec(name, path)
        self.spec.loader, self.loader = self, self.spec.loader
        return self.spec
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        self.loader.exec_module(module)
        module.VouchDesktop.request_quit = record_then_quit(module.VouchDesktop.request_quit)

sys.meta_path.insert(0, Watch())
from vouch_desktop.cli import main
sys.exit(main(["--quit-after", "3"]))
"""


@pytest.mark.desktop
def test_an_idle_app_holds_only_what_the_icon_and_its_watchers_need(isolated_home, tmp_path):
    """The real app, started as a user's (saved settings, a Vouch AWS profile, vouch on PATH), idle for 3 s after
    ready (the key watch and the session monitor have run): what it has imported, what linecache holds (PySide6's
    import hook would keep every module's source there: ui/pyside_sources.py) and its threads."""
    import shutil
    import tempfile

    from vouch_desktop.core.storage.settings import Settings, SettingsStore
    from vouch_desktop.core.system.paths import AppPaths

    SettingsStore(AppPaths.default().ensure()).save(Settings(regions=["eu-west-1", "us-east-1"]))
    (isolated_home / ".aws" / "config").write_text(
        "[profile vouch]\nregion = eu-west-1\n"
        "credential_process = vouch credential aws --role arn:aws:iam::123456789012:role/dev\n")
    runtime = tempfile.mkdtemp(prefix="vd-", dir="/tmp")  # its own control socket (AF_UNIX paths stay short)
    report = tmp_path / "idle.json"
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime, VOUCH_DEMO_STATE_DIR=str(tmp_path / "vouch"),
               PATH=f"{PACKAGE / 'demo' / 'bin'}{os.pathsep}{os.environ['PATH']}")
    try:
        subprocess.run([sys.executable, "-c", IDLE_PROBE, str(report)], env=env, capture_output=True, text=True,
                       timeout=90, check=True)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
    idle = json.loads(report.read_text())
    loaded = {name: why for name, why in NOT_WHEN_IDLE.items()
              if any(m == name or m.startswith(name + ".") for m in idle["modules"])}
    assert loaded == {}, "loaded by an idle app (defer them to their first use)"
    assert idle["linecache"] <= 5, "source files kept in linecache"
    assert len(idle["threads"]) <= 3, idle["threads"]  # the main thread and at most a couple of workers
