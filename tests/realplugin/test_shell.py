"""An interactive shell through AWS's plugin in a terminal: what "Connect" opens in the demo."""

from __future__ import annotations

import time

import pexpect

from tests.realplugin.conftest import managed_instance

PROMPT = r"sh-[\d.]+[$#] "


def test_an_interactive_shell_runs_commands_and_ends_with_exit(aws_cli, fake_aws):
    target = managed_instance(fake_aws)
    shell, session_id = aws_cli.start_shell(target)
    shell.expect(f"Starting session with SessionId: {session_id}")
    shell.expect(PROMPT)  # the agent skips the handshake for shells; its first output sets the type
    shell.sendline("echo $((6 * 7)) $USER")
    shell.expect(r"42 ssm-user")
    shell.expect(PROMPT)
    shell.sendline("stty size")  # the plugin sends the terminal's size, the agent sets it on its terminal
    shell.expect(r"24 100")
    shell.expect(PROMPT)
    assert fake_aws.agent.session(session_id).channel.handshake_skipped
    shell.sendline("exit")
    shell.expect(f"Exiting session with sessionId: {session_id}")
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0
    assert fake_aws.sessions()[0].status == "Terminated"


def test_ctrl_c_in_a_shell_interrupts_the_command_not_the_session(aws_cli, fake_aws):
    target = managed_instance(fake_aws)
    shell, session_id = aws_cli.start_shell(target)
    shell.expect(PROMPT)
    shell.sendline("sleep 30; echo $((1 + 1))-done")  # its output (2-done) differs from its echo
    time.sleep(0.5)
    shell.sendintr()  # the terminal's Ctrl-C: the plugin sends it to the instance's terminal as \x03
    shell.expect(PROMPT, timeout=10)
    assert b"2-done" not in shell.before
    shell.sendline("echo still here")
    shell.expect("still here")
    assert [s.session_id for s in fake_aws.active_sessions()] == [session_id]
    shell.sendline("exit")
    shell.expect(pexpect.EOF)
