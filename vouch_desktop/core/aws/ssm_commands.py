"""Command lines for SSM sessions: `aws ssm start-session`, the plugin's own argv, and ssh.

All of them are argument lists; nothing here is ever joined into a shell string.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field

from vouch_desktop.core.system.own_command import own_command

PLUGIN_NAME = "session-manager-plugin"
RESPONSE_ENV = "AWS_SSM_START_SESSION_RESPONSE"


@dataclass(frozen=True)
class SessionRequest:
    target: str
    region: str
    profile: str
    document: str = ""
    parameters: dict[str, list[str]] = field(default_factory=dict)

    def api_arguments(self) -> dict:
        """The StartSession arguments (also what the plugin gets as its request JSON)."""
        body: dict = {"Target": self.target}
        if self.document:
            body["DocumentName"] = self.document
        if self.parameters:
            body["Parameters"] = self.parameters
        return body

    def request_json(self) -> str:
        return json.dumps(self.api_arguments(), separators=(",", ":"))


@dataclass(frozen=True)
class ToolPaths:
    aws: str | None
    plugin: str | None


def find_tools(plugin_setting: str = "") -> ToolPaths:
    plugin = plugin_setting if plugin_setting and os.access(plugin_setting, os.X_OK) else shutil.which(PLUGIN_NAME)
    return ToolPaths(aws=shutil.which("aws"), plugin=plugin)


def aws_cli_argv(req: SessionRequest, aws: str = "aws") -> list[str]:
    argv = [aws, "ssm", "start-session", "--target", req.target, "--region", req.region]
    if req.profile:
        argv += ["--profile", req.profile]
    if req.document:
        argv += ["--document-name", req.document]
    if req.parameters:
        argv += ["--parameters", json.dumps(req.parameters, separators=(",", ":"))]
    return argv


def plugin_argv(plugin: str, response: dict, req: SessionRequest, endpoint_url: str,
                use_env: bool = True) -> tuple[list[str], dict[str, str]]:
    """The argv the AWS CLI gives the plugin, and the environment to run it with.

    With ``use_env`` the StartSession response (which holds the session token) travels in an
    environment variable instead of the process list, which newer plugins support.
    """
    # only what the plugin needs from the StartSession reply (not its ResponseMetadata)
    response_json = json.dumps({k: response[k] for k in ("SessionId", "TokenValue", "StreamUrl")},
                               separators=(",", ":"))
    env = dict(os.environ)
    first = response_json
    if use_env:
        env[RESPONSE_ENV] = response_json
        first = RESPONSE_ENV
    argv = [plugin, first, req.region, "StartSession", req.profile, req.request_json(), endpoint_url]
    return argv, env


def session_command(req: SessionRequest, tools: ToolPaths) -> list[str]:
    """What a terminal runs for a shell: the AWS CLI when present, else our own helper that starts
    the session with botocore and hands it to the plugin (``vouch-desktop ssm-session``)."""
    if tools.aws:
        return aws_cli_argv(req, tools.aws)
    argv = [*own_command(), "ssm-session", "--target", req.target, "--region", req.region]
    if req.profile:
        argv += ["--profile", req.profile]
    if req.document:
        argv += ["--document-name", req.document, "--parameters", json.dumps(req.parameters, separators=(",", ":"))]
    return argv


def ssh_argv(instance_id: str, user: str = "", ssh: str = "ssh", options: list[str] | None = None) -> list[str]:
    """ssh through the `Host i-* mi-*` ProxyCommand block (see core.connect.ssh_config); ``options``: what
    ssh needs to read that file (``-F FILE`` when it is not the one ssh reads on its own)."""
    return [ssh, *(options or []), f"{user}@{instance_id}" if user else instance_id]
