"""What the vouch CLI prints that the app recognises, in one place (read from vouch-sh/vouch: the en-US
catalogue ``crates/vouch-cli/i18n/en-US/vouch-cli.ftl``, ``fido2/unix.rs``, ``exit_code.rs``).

The CLI exits 1 for every PIN problem, so only its words tell a wrong PIN from a blocked one; the app
runs vouch with ``VOUCH_LANG=en-US`` so that these are the words it prints. tests/vouch holds these
against the facts and the fake vouch against the same facts.
"""

from __future__ import annotations

import re

EXIT_CODES = {"GENERAL": 1, "NOT_AUTHENTICATED": 2, "HARDWARE_NOT_FOUND": 3, "NETWORK_ERROR": 4,
              "PERMISSION_DENIED": 5, "CONFIG_ERROR": 6, "STEP_UP_REQUIRED": 7, "RATE_LIMITED": 8}
LOGIN_TIMEOUT_DEFAULT = 60  # `vouch login --timeout`: seconds to wait for a key to be plugged in

CONTACTING_SERVER = "Contacting server"
INSERT_PROMPT = "Please insert your YubiKey..."
PIN_PROMPT = "YubiKey PIN:"
NEW_PIN_PROMPT = "New PIN (minimum 8 characters):"
NO_PIN_INTRO = "Your YubiKey does not have a PIN configured."
TOUCH_PROMPT = "Touch your YubiKey..."
PIN_INVALID = "Incorrect PIN. Please try again."
PIN_BLOCKED = "Your YubiKey PIN is blocked due to too many incorrect attempts."
PIN_AUTH_BLOCKED = "PIN authentication is temporarily blocked."
PIN_AUTH_INVALID = "PIN authentication failed. Please try again."
NOT_REGISTERED = "This YubiKey is not registered with the server."
NO_CREDENTIALS = "No credentials found for this service."
WEBAUTHN_CANCELLED = "Authentication cancelled."

# the environment vouch runs with: its words in English (parsed above), no log lines mixed into stdout
LANGUAGE = {"VOUCH_LANG": "en-US"}
REMOVED_VARIABLES = ("RUST_LOG",)

# a count of attempts, should a version print one ("7 attempts remaining", "3 retries left")
ATTEMPTS_LEFT = re.compile(r"(\d+)\s+(?:attempts?|tries|retries)\s+(?:remaining|left)", re.IGNORECASE)
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def plain(text: str) -> str:
    """The text without terminal colour codes (vouch colours its output on a terminal)."""
    return ANSI_ESCAPE.sub("", text).replace("\r\n", "\n")


def child_environment(base: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in base.items() if k not in REMOVED_VARIABLES}
    env.update(LANGUAGE)
    return env
