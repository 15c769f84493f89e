""""Connect" in the demo with AWS's plugin in the demo relay's place (``VOUCH_DEMO_PLUGIN``): the command
the terminal runs (``vouch-desktop ssm-session``, as on a machine without the AWS CLI) opens a shell."""

from __future__ import annotations

import os

import pexpect
import psutil

from vouch_desktop.core.aws.ssm_commands import SessionRequest, ToolPaths, session_command
from vouch_desktop.demo.world import DEMO_PROFILE, DemoWorld


def test_connect_in_the_demo_opens_a_shell_through_aws_plugin(real_plugin, tmp_path):
    world = DemoWorld(root=tmp_path / "demo", plugin=real_plugin).start()
    try:
        env = {**os.environ, **world.env}
        target = next(i for i, (region, name) in world.inventory.instances.items() if name == "bastion-eu")
        argv = session_command(SessionRequest(target, "eu-west-1", DEMO_PROFILE), ToolPaths(aws=None, plugin=None))
        shell = pexpect.spawn(argv[0], argv[1:], env=env, timeout=30, dimensions=(24, 100))
        try:
            shell.expect("Starting session with SessionId: ")
            shell.expect(r"sh-[\d.]+[$#] ")
            assert psutil.Process(shell.pid).exe() == os.path.realpath(real_plugin)  # ssm-session became it
            shell.sendline("echo connected to $((40 + 2))")
            shell.expect("connected to 42")
            shell.sendline("exit")
            shell.expect("Exiting session with sessionId")
            shell.expect(pexpect.EOF)
        finally:
            shell.close(force=True)
        assert shell.exitstatus == 0
        assert [s.status for s in world.fake_aws.sessions()] == ["Terminated"]
    finally:
        world.stop()
