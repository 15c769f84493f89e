"""Command line entry point.

`--version` and `--help` answer without importing Qt or boto3, so they stay fast and work on a
machine without a display.
"""

from __future__ import annotations

import argparse
import sys

from vouch_desktop import __version__

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vouch-desktop",
        description="System-tray companion for Vouch: login state, SSM shells and RDS tunnels.",
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
    # started by the session at login: wait longer for the panel's tray to appear
    parser.add_argument("--autostart", action="store_true", help=argparse.SUPPRESS)
    # for smoke tests and benchmarks: quit by itself after this many seconds once ready
    parser.add_argument("--quit-after", type=float, default=None, help=argparse.SUPPRESS)
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
    from vouch_desktop.core.ssm_commands import SessionRequest
    from vouch_desktop.core.ssm_session import parse_parameters, start_and_exec

    try:
        parameters = parse_parameters(args.parameters)
    except (ValueError, AttributeError):
        parser.error("--parameters must be JSON, for example {\"portNumber\": [\"22\"]}")
    return start_and_exec(SessionRequest(args.target, args.region, args.profile, args.document_name, parameters))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["ssm-session"]:
        return ssm_session(argv[1:])
    args = build_parser().parse_args(argv)
    from vouch_desktop.ui.app import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
