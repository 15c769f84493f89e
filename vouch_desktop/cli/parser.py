"""The command line's arguments. Imports nothing heavy: `--version` and `--help` answer from here."""

from __future__ import annotations

import argparse
import textwrap

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

    def command(name: str, summary: str, description: str, example: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=textwrap.fill(description, 78),
                              epilog=f"example:\n  {example}",
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    command("status", "login state, key and tunnels",
            "Print the Vouch login state and, when the tray app runs, the YubiKey and every tunnel. Exits "
            "4 when not logged in, so scripts can test it.", "vouch-desktop status || vouch login")
    connect = command("connect", "open an SSM shell for a saved instance profile in your terminal",
                      "Open a shell on an instance through AWS Systems Manager, in the terminal chosen in Settings. "
                      "With the tray app running it asks there (a tag filter that matches several instances is "
                      "chosen in a window); without it, it connects from here (to the first match). Without a "
                      "name it opens the running app's Connect… palette.",
                      'vouch-desktop connect "web-1 (prod)"')
    connect.add_argument("name", metavar="PROFILE", nargs="?", default="",
                         help="the name of a saved instance profile (Profiles… in the tray menu; quote names with "
                              "spaces); leave it out to search in the Connect… palette")
    tunnel = command("tunnel", "list, start or stop saved tunnels (or a group)",
                     "List the saved tunnels with their state, or start or stop one tunnel, or every tunnel of a "
                     "group. 'up' answers once each tunnel is up or has failed (exit 1 when one failed). Tunnels live "
                     "in the tray app: up and down need it running (exit 5 otherwise).",
                     "vouch-desktop tunnel up orders-db")
    tunnel.add_argument("action", choices=["list", "up", "down"],
                        help="list: every saved tunnel and its state; up: start; down: stop")
    tunnel.add_argument("name", nargs="?", default="", metavar="NAME",
                        help="a saved tunnel's name, or a group's name (every tunnel in it); not for list")
    profiles = command("profiles", "share profiles as a TOML file",
                       "Write your instance and tunnel profiles to a TOML file, or read one in. An import first "
                       "shows what is new, unchanged and in conflict, and changes nothing without --apply; a file "
                       "with any problem is not imported at all.",
                       "vouch-desktop profiles import team.toml --apply --on-conflict rename")
    profiles.add_argument("action", choices=["export", "import"],
                          help="export: write every profile to FILE; import: read the profiles in FILE")
    profiles.add_argument("file", metavar="FILE", help="the TOML file to write or read")
    profiles.add_argument("--apply", action="store_true",
                          help="import: do it (without it, only show what would change)")
    profiles.add_argument("--on-conflict", choices=["keep", "replace", "rename"], default="keep",
                          help="import: what to do with a profile of the same name: keep yours, replace it, or "
                               "import it under a new name (default: keep)")
    command("quit", "stop the running tray app",
            "Quit the running tray app the normal way: its tunnels stop and their AWS sessions end.",
            "vouch-desktop quit")
    return parser


def build_ssm_session_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vouch-desktop ssm-session",
        description="Start an SSM session and hand it to session-manager-plugin (what the terminal runs when you "
                    "connect: the session token never appears in a command line).")
    parser.add_argument("--target", required=True, metavar="INSTANCE_ID", help="the instance, e.g. i-0123456789abcdef0")
    parser.add_argument("--region", required=True, help="the instance's AWS region, e.g. eu-west-1")
    parser.add_argument("--profile", default="", help="the AWS profile (default: the environment's, AWS_PROFILE)")
    parser.add_argument("--document-name", default="", metavar="DOCUMENT",
                        help="an SSM document, e.g. AWS-StartPortForwardingSession (default: a shell)")
    parser.add_argument("--parameters", default="", metavar="JSON",
                        help='the document\'s parameters as JSON, e.g. {"portNumber": ["22"]}')
    return parser
