"""Where the app keeps its files (platformdirs), in one place."""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

if TYPE_CHECKING:
    from vouch_desktop.core.system.ipc_transport import Endpoint

APP_NAME = "vouch-desktop"


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    state_dir: Path
    cache_dir: Path
    log_dir: Path
    runtime_dir: Path

    @classmethod
    def default(cls) -> AppPaths:
        dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
        with warnings.catch_warnings():
            # without XDG_RUNTIME_DIR platformdirs warns and falls back to /tmp/runtime-$UID,
            # which is fine for a socket that only this user reads
            warnings.simplefilter("ignore", platformdirs.RuntimeDirWarning)
            runtime_dir = Path(dirs.user_runtime_dir)
        return cls(
            config_dir=Path(dirs.user_config_dir),
            data_dir=Path(dirs.user_data_dir),
            state_dir=Path(dirs.user_state_dir),
            cache_dir=Path(dirs.user_cache_dir),
            log_dir=Path(dirs.user_log_dir),
            runtime_dir=runtime_dir,
        )

    @classmethod
    def under(cls, root: Path) -> AppPaths:
        """Everything below one folder: the demo's temporary home and the tests use this."""
        return cls(
            config_dir=root / "config",
            data_dir=root / "data",
            state_dir=root / "state",
            cache_dir=root / "cache",
            log_dir=root / "log",
            runtime_dir=root / "run",
        )

    def ensure(self) -> AppPaths:
        """Make the folders that are missing. One that cannot be made (a file where it should be, no
        permission) is left for the reads and writes in it to report, each naming its file: the app
        still starts."""
        for path in (self.config_dir, self.data_dir, self.state_dir, self.cache_dir, self.log_dir):
            with contextlib.suppress(OSError):
                path.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            self.runtime_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def profiles_file(self) -> Path:
        return self.config_dir / "profiles.json"

    @property
    def history_file(self) -> Path:
        return self.state_dir / "history.jsonl"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "vouch-desktop.log"

    def socket_path(self, demo: bool = False) -> Path:
        """The control socket (where the control channel is a Unix socket); the demo has its own, so it
        can run beside the real app."""
        return self.runtime_dir / ("vouch-desktop-demo.sock" if demo else "vouch-desktop.sock")

    def control_endpoint(self, demo: bool = False, transport: str | None = None) -> Endpoint:
        """Where the control channel is, over this platform's transport (or ``transport``: "unix", "tcp")."""
        from vouch_desktop.core.system.ipc_transport import endpoint_in

        return endpoint_in(self.runtime_dir, "vouch-desktop-demo" if demo else "vouch-desktop", transport)
