"""The installers' own files, checked as far as this machine can: the Linux menu entry validates,
the macOS Info.plist makes a menu-bar-only app, the Windows Inno Setup script agrees with the app
(executables, start-at-login value), icons render for every platform, the shell scripts parse."""

from __future__ import annotations

import plistlib
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from vouch_desktop.core.system.autostart.macos import LABEL
from vouch_desktop.core.system.autostart.windows import RUN_KEY, VALUE_NAME
from vouch_desktop.core.system.own_command import WINDOWS_EXES

ROOT = Path(__file__).resolve().parents[1]
INSTALLERS = ROOT / "installers"


def test_the_linux_menu_entry_validates():
    result = subprocess.run(["desktop-file-validate", str(INSTALLERS / "linux" / "vouch-desktop.desktop")],
                            capture_output=True, text=True)  # desktop-file-utils: scripts/apt-packages.txt
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_macos_app_lives_in_the_menu_bar_only():
    info = plistlib.loads((INSTALLERS / "macos" / "Info.plist").read_bytes())
    assert info["LSUIElement"] is True  # no Dock icon
    assert info["CFBundleIdentifier"] == LABEL  # the same name as its start-at-login LaunchAgent
    assert info["CFBundleName"] == "Vouch Desktop"


def test_the_windows_installer_agrees_with_the_app():
    iss = (INSTALLERS / "windows" / "vouch-desktop.iss").read_text(encoding="utf-8")
    spec = (ROOT / "build.spec").read_text(encoding="utf-8")
    for console, exe in WINDOWS_EXES.items():  # build.spec makes both executables the app expects
        assert f'executable("{exe.removesuffix(".exe")}", console={console})' in spec
    [run_entry] = [line for line in iss.splitlines() if line.startswith("Root: HKCU")]
    assert f'Subkey: "{RUN_KEY}"' in run_entry and f'ValueName: "{VALUE_NAME}"' in run_entry
    assert f'ValueData: """{{app}}\\{WINDOWS_EXES[False]}"" --autostart"' in run_entry  # as the app writes it
    assert "Tasks: startatlogin" in run_entry  # optional, a box to tick
    assert f'Filename: "{{app}}\\{WINDOWS_EXES[False]}"' in iss  # the Start-menu entry
    assert "PrivilegesRequired=lowest" in iss
    assert re.search(r'^Source: "\.\.\\\.\.\\dist\\vouch-desktop\\\*"', iss, re.M)


def test_icons_render_for_every_platform(tmp_path):
    subprocess.run([sys.executable, str(INSTALLERS / "make_icons.py"), str(tmp_path)], check=True, timeout=60)
    assert (tmp_path / "app.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "app.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    assert (tmp_path / "app.icns").read_bytes()[:4] == b"icns"


@pytest.mark.parametrize("script", ["scripts/build-linux", "installers/linux/build-deb", "installers/macos/build.sh"])
def test_build_scripts_parse(script):
    path = ROOT / script
    assert path.stat().st_mode & 0o111, "executable"
    subprocess.run(["bash", "-n", str(path)], check=True)


def test_the_ci_workflow_for_real_runners_is_valid():
    """The workflow cannot run here: it is checked against GitHub's schema and by actionlint (which also
    knows which action versions still run), and it uses the same scripts as this repository's CI."""
    workflow = ROOT / ".github" / "workflows" / "ci.yml"
    bin_dir = Path(sys.executable).parent
    schema = subprocess.run([str(bin_dir / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                             str(workflow)], capture_output=True, text=True)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    lint = subprocess.run([str(bin_dir / "actionlint"), str(workflow)], capture_output=True, text=True, cwd=ROOT)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    text = workflow.read_text(encoding="utf-8")
    for command in ("bash .ci/run", "scripts/build-linux", "installers/macos/build.sh",
                    "installers\\windows\\build.ps1", "-m portable"):
        assert command in text


class SpecRun:
    """build.spec executed with PyInstaller's build steps recorded instead of run: what it would hand them."""

    def __init__(self) -> None:
        self.exes: list[dict] = []
        self.bundles: list[dict] = []

    def names(self) -> dict:
        run = self

        class Step(types.SimpleNamespace):
            pass

        def analysis(scripts, **kwargs):
            return Step(pure=[], scripts=[], binaries=[], datas=[("botocore/data/ec2/x.json", "", "DATA")])

        def exe(*args, **kwargs):
            run.exes.append(kwargs)
            return Step(**kwargs)

        def collect(*args, **kwargs):
            return Step(console=args[0].console, **kwargs)

        def bundle(*args, **kwargs):
            run.bundles.append(dict(kwargs, collect=args[0]))
            return Step(**kwargs)

        return {"SPECPATH": str(ROOT), "Analysis": analysis, "PYZ": lambda pure: Step(), "EXE": exe,
                "COLLECT": collect, "BUNDLE": bundle, "__file__": str(ROOT / "build.spec")}


def run_spec(monkeypatch, platform: str) -> SpecRun:
    import PyInstaller.utils.hooks as hooks

    monkeypatch.setattr(hooks, "collect_submodules", lambda package: [])
    monkeypatch.setattr(hooks, "collect_data_files", lambda package: [])
    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: None)  # the icons: test_icons_render_…
    spec = SpecRun()
    code = compile((ROOT / "build.spec").read_text(encoding="utf-8"), str(ROOT / "build.spec"), "exec")
    with monkeypatch.context() as patched:
        patched.setattr(sys, "platform", platform)
        exec(code, spec.names())  # noqa: S102  (our own spec file)
    return spec


def test_the_bundles_info_plist_as_pyinstaller_writes_it_makes_a_menu_bar_app(monkeypatch, tmp_path):
    """build.spec on macOS hands BUNDLE the Info.plist of installers/macos; PyInstaller's own BUNDLE code
    (run here up to the point where it has written Contents/Info.plist) merges it over its defaults, and
    the result is a menu-bar app: LSUIElement, and not LSBackgroundOnly (which a console executable gets)."""
    from PyInstaller import config
    from PyInstaller.building.osx import BUNDLE

    from vouch_desktop import __version__
    from vouch_desktop.self_check import menu_bar_only

    spec = run_spec(monkeypatch, "darwin")
    [exe] = spec.exes
    assert exe["name"] == "vouch-desktop" and exe["console"] is False
    [bundle] = spec.bundles
    assert bundle["name"] == "Vouch Desktop.app" and bundle["version"] == __version__
    assert bundle["info_plist"]["LSUIElement"] is True

    class Written(Exception):
        pass

    icon = tmp_path / "app.icns"
    icon.write_bytes(b"icns\x00\x00\x00\x08")
    for key, value in (("workpath", tmp_path / "work"), ("specpath", ROOT), ("distpath", tmp_path / "dist")):
        monkeypatch.setitem(config.CONF, key, str(value))

    def written(toc):
        raise Written

    app = tmp_path / "dist" / "Vouch Desktop.app"
    target = types.SimpleNamespace(name=str(app), icon=str(icon), appname="Vouch Desktop", tocbasename="bundle",
                                   bundle_identifier=bundle["bundle_identifier"], exename="/build/vouch-desktop",
                                   version=bundle["version"], console=bundle["collect"].console,
                                   info_plist=bundle["info_plist"], toc=[], _process_bundle_toc=written)
    with pytest.raises(Written):
        BUNDLE.assemble(target)
    info = plistlib.loads((app / "Contents" / "Info.plist").read_bytes())
    assert menu_bar_only(info) == f"{LABEL} {__version__}, menu bar only"
    assert info["CFBundleExecutable"] == "vouch-desktop" and info["CFBundleIdentifier"] == LABEL
    assert info["CFBundleName"] == "Vouch Desktop" and info["CFBundleVersion"] == __version__


def test_the_self_check_refuses_a_bundle_with_a_dock_icon_or_background_only():
    from vouch_desktop.self_check import CheckFailed, menu_bar_only

    with pytest.raises(CheckFailed, match="Dock icon"):
        menu_bar_only({"CFBundleIdentifier": LABEL})
    with pytest.raises(CheckFailed, match="LSBackgroundOnly"):
        menu_bar_only({"LSUIElement": True, "LSBackgroundOnly": True})


def test_the_spec_builds_two_windows_executables_and_no_bundle(monkeypatch):
    spec = run_spec(monkeypatch, "win32")
    assert [(e["name"], e["console"]) for e in spec.exes] == [("vouch-desktop", False), ("vouch-desktop-cli", True)]
    assert spec.bundles == []
