"""The command line's arguments. Imports nothing heavy: `--version` and `--help` answer from here."""

from __future__ import annotations

import argparse

from vouch_desktop import __version__
from vouch_desktop.cli.exit_codes import HELP

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vouch-desktop",
        description="System-tray companion for Vouch: login state, SSM shells and RDS tunnels. "
                    "Without a command it starts the tray app (a second start hands over to the first).",
        epilog=HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
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
    profiles.add_argument("--apply", action="store_true",
                          help="import: do it (without it, only show what would change)")
    profiles.add_argument("--on-conflict", choices=["keep", "replace", "rename"], default="keep",
                          help="import: what to do with a profile of the same name (default: keep yours)")
    sub.add_parser("quit", help="stop the running tray app")
    return parser


def build_ssm_session_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vouch-desktop ssm-session",
                                     description="Start an SSM session and hand it to session-manager-plugin.")
    parser.add_argument("--target", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--profile", default="")
    parser.add_argument("--document-name", default="")
    parser.add_argument("--parameters", default="")
    return parser
