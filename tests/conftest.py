"""Test-wide set-up: offscreen Qt unless a real display is asked for, isolated homes, fakes."""

from __future__ import annotations

import gc
import os

# Widgets render offscreen; tests marked `desktop` run under Xvfb + a tray host (see .ci/run),
# where DISPLAY is set and VOUCH_TEST_DESKTOP=1 keeps the xcb platform.
if os.environ.get("VOUCH_TEST_DESKTOP") != "1":
    os.environ["QT_QPA_PLATFORM"] = "offscreen"

import pytest  # noqa: E402

# Fixtures for the fakes shared by every area of the suite (one copy: vouch_desktop/demo).
pytest_plugins = [
    "tests.fixtures.fake_aws",
    "tests.fixtures.fake_vouch",
    "tests.fixtures.processes",
    "tests.fixtures.postgres",  # a real PostgreSQL cluster (session-wide) behind tunnels
    "tests.fixtures.keyring",  # a real Secret Service (gnome-keyring-daemon), per module
    "tests.fixtures.reliability",  # the "reliability figures" summary at the end of a run
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-hardware", action="store_true", help="run tests that need a real YubiKey")


# Test modules that run on Linux, macOS and Windows: the macOS and Windows jobs of
# .github/workflows/ci.yml run these (`-m portable`). Each was read for what is POSIX-only (a pty, an
# AF_UNIX socket, signals, process groups, /proc, file modes, symlinks and FIFOs, Xvfb, the fake tools
# run as #! scripts, isolated_home, which platformdirs ignores on Windows); a test of that kind inside
# one of them is skipped on Windows in the module itself (the Unix-socket half of the control-channel
# tests, SIGSTOP, SIGKILL, file modes). Not listed: everything that needs the fake vouch or plugin
# scripts, a real peer (the plugin, PostgreSQL, terminals, ssh), the demo app or a tray host.
PORTABLE = (
    "tests/datachannel/",  # the built-in data channel: bytes, an in-memory link, loopback sockets
    "tests/core/test_settings_profiles.py", "tests/core/test_history_logging.py", "tests/core/test_store.py",
    "tests/core/test_log_levels.py",
    "tests/core/test_ipc.py", "tests/core/test_ipc_loopback.py",  # the control channel (both transports)
    "tests/core/test_win_processes.py",  # job objects (the real ones on Windows), process groups elsewhere
    "tests/app/test_quick_connect.py", "tests/app/test_tunnel_view.py",
    "tests/terminals/test_platform_terminals.py",  # the Windows and macOS launchers' argv
    "tests/vouch/test_yubikey.py",  # the real HID enumeration must not crash anywhere
    "tests/demo/test_fake_aws.py",
    "tests/databases/test_database_profiles.py", "tests/databases/test_iam_tokens.py",
    "tests/ui/test_template_icon.py", "tests/ui/test_qt_binding.py", "tests/ui/test_no_nested_loops.py",
    "tests/test_layering.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_hw = pytest.mark.skip(reason="needs a real YubiKey: pass --run-hardware")
    skip_desktop = pytest.mark.skip(reason="needs Xvfb + a tray host: set VOUCH_TEST_DESKTOP=1")
    for item in items:
        if item.nodeid.startswith(PORTABLE):
            item.add_marker(pytest.mark.portable)
        if "hardware" in item.keywords and not config.getoption("--run-hardware"):
            item.add_marker(skip_hw)
        if "desktop" in item.keywords and os.environ.get("VOUCH_TEST_DESKTOP") != "1":
            item.add_marker(skip_desktop)
    # the longest first (the frozen build, the minutes-long ones), so that with workers (scripts/test) the
    # rest fills in around them instead of waiting at the end
    items.sort(key=lambda item: 0 if "packaging" in item.keywords or "slow" in item.keywords else 1)


@pytest.fixture
def isolated_home(tmp_path, monkeypatch):
    """A throw-away HOME and XDG folders, so no test can read or write the real user's files."""
    home = tmp_path / "home"
    for sub in (".config", ".local/share", ".local/state", ".cache", ".aws", ".ssh"):
        (home / sub).mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local/state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws/config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws/credentials"))
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(autouse=True)
def collect_garbage_after_each_test():
    """Collect garbage when each test ends, so a socket, transport or process a test left open is
    reported (ResourceWarning is an error here) against that test, not a random later one."""
    yield
    gc.collect()
