"""AWS's session-manager-plugin, found and run exactly as the AWS CLI runs it.

``aws ssm start-session`` (awscli/customizations/sessionmanager.py) calls StartSession with botocore,
asks the plugin for ``--version``, and runs it with ``RESPONSE REGION StartSession PROFILE
REQUEST_JSON ENDPOINT_URL``: RESPONSE is the JSON of SessionId, TokenValue and StreamUrl, or the name
of the environment variable holding it when the plugin is newer than 1.2.497.0. The CLI ignores the
terminal's SIGINT/SIGQUIT/SIGTSTP itself, so they reach the plugin alone: here the plugin runs in its
own session and a test sends it signals directly.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import boto3
import pexpect

REPO = Path(__file__).resolve().parents[2]
PLUGIN_BESIDE_THE_PROJECT = REPO.parent / "shared" / "tools" / "session-manager-plugin" / "session-manager-plugin"
PLUGIN_ENV = "SESSION_MANAGER_PLUGIN"
RESPONSE_ENV = "AWS_SSM_START_SESSION_RESPONSE"
LAST_PLUGIN_VERSION_WITHOUT_ENV_VAR = (1, 2, 497, 0)


def find_real_plugin() -> tuple[str | None, str]:
    """The plugin's path, or None and where it was looked for."""
    candidates = [Path(os.environ[PLUGIN_ENV])] if os.environ.get(PLUGIN_ENV) else [PLUGIN_BESIDE_THE_PROJECT]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate), ""
    return None, " or ".join(str(c) for c in candidates)


def reads_env(plugin_version: str) -> bool:
    """The CLI's VersionRequirement: the environment variable for plugins newer than 1.2.497.0."""
    version = re.sub(r"\s+", "", plugin_version)
    if not re.fullmatch(r"\d+(\.\d+){0,3}", version):
        return False
    parts = tuple(int(p) for p in version.split("."))
    return parts + (0,) * (4 - len(parts)) > LAST_PLUGIN_VERSION_WITHOUT_ENV_VAR


class PluginRun:
    """A running plugin: its output collected as it comes (so it never blocks on a full pipe)."""

    def __init__(self, process: subprocess.Popen[bytes], session_id: str) -> None:
        self.process = process
        self.session_id = session_id
        self.output = b""
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, name="plugin-output", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        while chunk := self.process.stdout.read1(65536):
            with self._changed:
                self.output += chunk
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (match := re.search(pattern, self.text)):
                if self.process.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(f"the plugin exited ({self.process.returncode}) before {pattern!r}: "
                                         f"{self.text!r}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {pattern!r} from the plugin within {timeout} s: {self.text!r}")
                self._changed.wait(left)
        return match

    def local_port(self) -> int:
        return int(self.wait_for(r"Port (\d+) opened for sessionId").group(1))

    def interrupt(self) -> None:
        """Ctrl-C in the terminal the plugin runs in."""
        self.process.send_signal(signal.SIGINT)

    def wait(self, timeout: float = 15.0) -> int:
        code = self.process.wait(timeout)
        self._reader.join(5)
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self._reader.join(5)
        if self.process.stdout is not None:
            self.process.stdout.close()


class AwsCli:
    """What ``aws ssm start-session --profile P --region R [--document-name D --parameters …]`` does."""

    def __init__(self, plugin: str, profile: str, region: str) -> None:
        self.plugin = plugin
        self.profile = profile
        self.region = region
        self.runs: list[PluginRun] = []
        self.processes: list[subprocess.Popen[bytes]] = []
        self.shells: list[pexpect.spawn] = []
        self.version = subprocess.check_output([plugin, "--version"], text=True)

    def _argv(self, parameters: dict) -> tuple[list[str], dict[str, str], str]:
        client = boto3.Session(profile_name=self.profile).client("ssm", region_name=self.region)
        response = client.start_session(**parameters)
        start_session_response = json.dumps({key: response[key] for key in ("SessionId", "TokenValue", "StreamUrl")})
        env = os.environ.copy()
        if reads_env(self.version):
            env[RESPONSE_ENV], start_session_response = start_session_response, RESPONSE_ENV
        argv = [self.plugin, start_session_response, client.meta.region_name, "StartSession", self.profile,
                json.dumps(parameters), client.meta.endpoint_url]
        return argv, env, response["SessionId"]

    def start_session(self, parameters: dict) -> PluginRun:
        argv, env, session_id = self._argv(parameters)
        process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        run = PluginRun(process, session_id)
        self.runs.append(run)
        return run

    def start_session_piped(self, parameters: dict) -> tuple[subprocess.Popen[bytes], str]:
        """The plugin with its standard input and output as the stream (an ssh ProxyCommand)."""
        argv, env, session_id = self._argv(parameters)
        process = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        self.processes.append(process)
        return process, session_id

    def start_shell(self, target: str) -> tuple[pexpect.spawn, str]:
        """An interactive shell in a terminal: what `aws ssm start-session --target` gives a person."""
        argv, env, session_id = self._argv({"Target": target})
        shell = pexpect.spawn(argv[0], argv[1:], env=env, timeout=20, dimensions=(24, 100))
        self.shells.append(shell)
        return shell, session_id

    def stop_all(self) -> None:
        for run in self.runs:
            run.stop()
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(10)
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()
        for shell in self.shells:
            shell.close(force=True)
