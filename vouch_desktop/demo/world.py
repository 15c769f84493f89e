"""The demo world: a temporary home, a fake AWS with an inventory, "databases", and the fake CLIs.

``DemoWorld`` never changes ``os.environ`` itself: it returns the environment (``env``) that points
HOME, XDG folders, the AWS config, PATH and ``AWS_ENDPOINT_URL`` at the fake world, and the
caller applies it (the app for ``--demo``; tests through monkeypatch).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from vouch_desktop.demo import leftovers
from vouch_desktop.demo.echo_server import EchoServer
from vouch_desktop.demo.fake_aws import FakeAws
from vouch_desktop.demo.fake_tools import PLUGIN, VOUCH, install_alias, install_launchers
from vouch_desktop.demo.fake_vouch_agent import FakeVouchAgent
from vouch_desktop.demo.fake_vouch_config import FakeVouchState
from vouch_desktop.demo.seed import DemoInventory, seed_demo_world

DEMO_PROFILE = "vouch-demo"
DEMO_ROLE = "arn:aws:iam::123456789012:role/VouchDemo"
DEMO_SESSION_SECONDS = 20 * 60  # short, so the expiry warning (15 min before) shows within minutes
REAL_PLUGIN_ENV = "VOUCH_DEMO_PLUGIN"  # a real session-manager-plugin (AWS's) for the demo, instead of its relay


class DemoWorld:
    def __init__(self, root: Path | None = None, session_seconds: int = DEMO_SESSION_SECONDS,
                 with_plugin: bool = True, plugin: str | None = None) -> None:
        self._own_root = root is None
        self.with_plugin = with_plugin  # without it, no session-manager-plugin is on PATH: built-in tunnels
        # AWS's own plugin in the demo relay's place (shells for Connect and tunnels, against the fake agent)
        self.real_plugin = plugin if plugin is not None else os.environ.get(REAL_PLUGIN_ENV) or None
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix=leftovers.PREFIX))
        if self._own_root:  # so that the next start removes it, should this process die without cleaning up
            leftovers.mark(self.root)
        self.session_seconds = session_seconds
        self.home = self.root / "home"
        self.fake_aws = FakeAws()
        self.databases: list[EchoServer] = []
        self.inventory = DemoInventory()
        self.env: dict[str, str] = {}
        self.vouch_state = FakeVouchState(self.root / "vouch-state")
        # the demo's vouch agent (off until started from the Demo menu); its socket is the demo's own, so
        # neither the app nor the fake vouch ever meets a real agent of the user's
        self.vouch_agent = FakeVouchAgent(self.vouch_state, Path(tempfile.mkdtemp(prefix="vd-agent-")) / "agent.sock")

    def agent_sockets(self) -> list[Path]:
        """Where the app looks for the vouch agent in the demo: the demo's own."""
        return [self.vouch_agent.socket_path]

    def start(self) -> DemoWorld:
        try:
            return self._start()
        except BaseException:  # a failure or a signal half-way: remove what was made (servers, the temporary home)
            self.stop()
            raise

    def _start(self) -> DemoWorld:
        for sub in (".config", ".local/share", ".local/state", ".cache", ".aws"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        (self.home / ".ssh").mkdir(mode=0o700, exist_ok=True)
        self.fake_aws.start()
        self.fake_aws.reset()  # moto's state is global to the process: start from an empty world
        self.inventory = seed_demo_world(self.fake_aws)
        for _region, host, port in self.inventory.db_endpoints:
            server = EchoServer().start()
            self.databases.append(server)
            self.fake_aws.add_route(host, port, server.address)
        relay = self.with_plugin and not self.real_plugin
        launchers = install_launchers(self.root / "bin", [VOUCH, PLUGIN] if relay else [VOUCH])
        if self.with_plugin and self.real_plugin:
            install_alias(self.root / "bin", PLUGIN, self.real_plugin)
        aws_config = self.home / ".aws" / "config"
        aws_config.write_text(
            f"[profile {DEMO_PROFILE}]\nregion = eu-west-1\n"
            f'credential_process = "{launchers[VOUCH]}" credential aws --role {DEMO_ROLE}\n',
            encoding="utf-8")
        self.vouch_state.configure(session_seconds=self.session_seconds, touch_seconds=1.5)
        self.vouch_state.log_in(self.session_seconds)
        self.env = {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_DATA_HOME": str(self.home / ".local/share"),
            "XDG_STATE_HOME": str(self.home / ".local/state"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "AWS_CONFIG_FILE": str(aws_config),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.home / ".aws" / "credentials"),
            "AWS_PROFILE": DEMO_PROFILE,
            "AWS_ENDPOINT_URL": self.fake_aws.endpoint_url,
            "PATH": os.pathsep.join([str(self.root / "bin"), *self._user_path()]),
            "VOUCH_DEMO_STATE_DIR": str(self.vouch_state.dir),
            "VOUCH_DEMO_AGENT_SOCKET": str(self.vouch_agent.socket_path),
            "VOUCH_DESKTOP_DEMO": "1",
        }
        return self

    def _user_path(self) -> list[str]:
        folders = [f for f in os.environ.get("PATH", "").split(os.pathsep) if f]
        if self.with_plugin:
            return folders
        return [f for f in folders if not shutil.which(PLUGIN, path=f)]  # not even a real one

    @property
    def regions(self) -> list[str]:
        return ["eu-west-1", "us-east-1", "eu-central-1"]

    def stop(self) -> None:
        # each server takes up to its poll interval (0.5 s) to notice the shutdown: stop them all at once
        servers = [*self.databases, self.fake_aws]
        with ThreadPoolExecutor(max_workers=len(servers), thread_name_prefix="demo-stop") as pool:
            list(pool.map(lambda server: server.stop(), servers))
        self.databases.clear()
        self.vouch_agent.stop()
        shutil.rmtree(self.vouch_agent.socket_path.parent, ignore_errors=True)
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> DemoWorld:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
