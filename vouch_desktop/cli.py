"""Command line entry point: the tray app, and sub-commands that work with or without it running.

`--version` and `--help` answer without importing Qt or botocore, so they stay fast and work on a
machine without a display.
"""

from __future__ import annotations

import argparse
import sys

from vouch_desktop import __version__

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NO_TRAY, EXIT_NOT_LOGGED_IN, EXIT_NOT_RUNNING, EXIT_UNKNOWN = range(7)
EXIT_CODES = f"""exit codes:
  {EXIT_OK} ok   {EXIT_FAILED} failed   {EXIT_USAGE} bad usage   {EXIT_NO_TRAY} no system tray
  {EXIT_NOT_LOGGED_IN} not logged in to Vouch (status)   {EXIT_NOT_RUNNING} the tray app is not running (tunnel up/down)
  {EXIT_UNKNOWN} no such profile"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vouch-desktop",
        description="System-tray companion for Vouch: login state, SSM shells and RDS tunnels. "
                    "Without a command it starts the tray app (a second start hands over to the first).",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"vouch-desktop {__version__}")
    parser.add_argument(
        "--log-level", type=str.upper, choices=LOG_LEVELS, default=None,
        help="how much to write to the log file (default: from settings, INFO)",
    )
    parser.add_argument(
        "--demo", action="store_true",
        help="run against a built-in fake AWS and a fake vouch CLI, in a temporary home",
    )
    parser.add_argument(
        "--demo-without-plugin", action="store_true",
        help="the demo with no session-manager-plugin on PATH: tunnels use the built-in backend",
    )
    parser.add_argument("--self-check", action="store_true",
                        help="check that this installation is whole (Qt plugins, keyring, AWS SDK, demo) and exit")
    # started by the session at login: wait longer for the panel's tray to appear
    parser.add_argument("--autostart", action="store_true", help=argparse.SUPPRESS)
    # for smoke tests and benchmarks: quit by itself after this many seconds once ready
    parser.add_argument("--quit-after", type=float, default=None, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("status", help="login state, key and tunnels")
    connect = sub.add_parser("connect", help="open an SSM shell for a saved instance profile in your terminal")
    connect.add_argument("name")
    tunnel = sub.add_parser("tunnel", help="list, start or stop saved tunnels (or a group)")
    tunnel.add_argument("action", choices=["list", "up", "down"])
    tunnel.add_argument("name", nargs="?", default="")
    profiles = sub.add_parser("profiles", help="share profiles as a TOML file")
    profiles.add_argument("action", choices=["export", "import"])
    profiles.add_argument("file")
    profiles.add_argument("--apply", action="store_true", help="import: do it (without it, only show what would change)")
    profiles.add_argument("--on-conflict", choices=["keep", "replace", "rename"], default="keep",
                          help="import: what to do with a profile of the same name (default: keep yours)")
    sub.add_parser("quit", help="stop the running tray app")
    return parser


def ssm_session(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="vouch-desktop ssm-session",
                                     description="Start an SSM session and hand it to session-manager-plugin.")
    parser.add_argument("--target", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--profile", default="")
    parser.add_argument("--document-name", default="")
    parser.add_argument("--parameters", default="")
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
        from vouch_desktop.core.system.detached import run

        return run()
    if argv[:1] == ["terminal-run"]:  # inside a terminal: the command carried through it untouched
        from vouch_desktop.core.connect.terminals.carrier import run

        return run(argv[1:])
    if argv[:1] == ["demo-tool"]:  # the demo's launchers for its fake vouch and plugin (demo/fake_tools.py)
        from vouch_desktop.demo.fake_tools import run

        return run(argv[1:])
    args = build_parser().parse_args(argv)
    if args.self_check:
        from vouch_desktop.self_check import run

        return run()
    if args.command:
        from vouch_desktop.commands import run_command

        return run_command(args)
    from vouch_desktop.ui.app import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
