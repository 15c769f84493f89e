"""Command line entry point (`vouch-desktop`, `vouch_desktop.cli:main`): the tray app, and
sub-commands that work with or without it running.

`--version` and `--help` answer without importing Qt or botocore (only cli/parser.py is loaded
for them), so they stay fast and work on a machine without a display. The modules here import
each other one way only: this one → parser, exit_codes, commands (lazily).
"""

from __future__ import annotations

import sys

from vouch_desktop.cli.parser import build_parser, build_ssm_session_parser

__all__ = ["main"]


def ssm_session(argv: list[str]) -> int:
    parser = build_ssm_session_parser()
    args = parser.parse_args(argv)
    from vouch_desktop.core.aws.ssm_commands import SessionRequest
    from vouch_desktop.core.aws.ssm_session import parse_parameters, start_and_exec

    try:
        parameters = parse_parameters(args.parameters)
    except (ValueError, AttributeError):
        parser.error('--parameters must be JSON, for example {"portNumber": ["22"]}')
    return start_and_exec(SessionRequest(args.target, args.region, args.profile, args.document_name, parameters))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["ssm-session"]:
        return ssm_session(argv[1:])
    if argv[:1] == ["detach"]:  # the intermediate process that starts a terminal window (core/system/detached.py)
        from vouch_desktop.core.system.detached import run as detach

        return detach()
    if argv[:1] == ["terminal-run"]:  # inside a terminal: the command carried through it untouched
        from vouch_desktop.core.connect.terminals.carrier import run as terminal_run

        return terminal_run(argv[1:])
    if argv[:1] == ["demo-tool"]:  # the demo's launchers for its fake vouch and plugin (demo/fake_tools.py)
        from vouch_desktop.demo.fake_tools import run

        return run(argv[1:])
    args = build_parser().parse_args(argv)
    if args.self_check:
        from vouch_desktop.self_check import run as self_check

        return self_check()
    if args.command:
        from vouch_desktop.cli.commands import run_command

        return run_command(args)
    from vouch_desktop.ui.app import run_gui

    return run_gui(args)
