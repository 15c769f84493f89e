"""The command line's exit codes (documented in `vouch-desktop --help`)."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2  # argparse's own
    NO_TRAY = 3
    NOT_LOGGED_IN = 4
    NOT_RUNNING = 5
    UNKNOWN_PROFILE = 6


HELP = f"""exit codes:
  {ExitCode.OK} ok   {ExitCode.FAILED} failed   {ExitCode.USAGE} bad usage   {ExitCode.NO_TRAY} no system tray
  {ExitCode.NOT_LOGGED_IN} not logged in to Vouch (status)   {ExitCode.NOT_RUNNING} the tray app is not running \
(tunnel up/down)
  {ExitCode.UNKNOWN_PROFILE} no such profile"""
