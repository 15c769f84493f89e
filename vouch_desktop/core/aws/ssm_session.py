"""`vouch-desktop ssm-session`: what `aws ssm start-session` does, for machines without the AWS CLI.

It starts the session with botocore (credentials through the profile's credential_process) and then
*becomes* the session-manager-plugin (exec), handing it the response through the environment so the
token never shows in the process list. The terminal window runs this.
"""

from __future__ import annotations

import json
import os
import sys

from vouch_desktop.core.aws.sessions import AwsSessions, translate
from vouch_desktop.core.aws.ssm_commands import SessionRequest, find_tools, plugin_argv


def start_and_exec(req: SessionRequest, plugin_setting: str = "") -> int:
    plugin = find_tools(plugin_setting).plugin
    if not plugin:
        print("SessionManagerPlugin is not found. Install the Session Manager plugin for the AWS CLI "
              "and make sure it is on your PATH.", file=sys.stderr)
        return 1
    ssm = AwsSessions().client("ssm", req.profile, req.region)
    try:
        response = ssm.start_session(**req.api_arguments())
    except Exception as exc:
        error = translate(exc, profile=req.profile, target=req.target, action="starting the session")
        print(f"\n{error.user_text()}\n", file=sys.stderr)
        return 1
    argv, env = plugin_argv(plugin, response, req, ssm.meta.endpoint_url)
    sys.stdout.flush()
    os.execve(plugin, argv, env)
    return 0  # not reached


def parse_parameters(text: str) -> dict[str, list[str]]:
    data = json.loads(text) if text else {}
    return {str(k): [str(x) for x in (v if isinstance(v, list) else [v])] for k, v in data.items()}
