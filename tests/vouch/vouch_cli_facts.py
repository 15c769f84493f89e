"""What the real vouch CLI and agent do, read from their source (github.com/vouch-sh/vouch), as data.

The team's notes (shared/reference/vouch-cli-facts.md) summarise the same reading; this module keeps
the exact strings and numbers, each with the file it comes from, so that tests can hold the fake
vouch (vouch_desktop/demo/bin/vouch, demo/fake_vouch_agent.py) and the app's own expectations
(core/vouch/cli_text.py) against them. Copied by hand from the sources: when vouch changes, update here.
"""

from __future__ import annotations

# crates/vouch-cli/i18n/en-US/vouch-cli.ftl (the en-US catalogue; the app runs vouch with VOUCH_LANG=en-US)
FTL = {
    "login-starting": "Logging in...",
    "login-contacting-server": "Contacting server ({ $server })...",
    "login-contact-ok": "ok",
    "login-success-as": "Login successful as { $email }!",
    "fido2-insert-prompt": "Please insert your { -yubikey }...",
    "fido2-detected": "detected!",
    "fido2-pin-prompt": "{ -yubikey } PIN:",
    "fido2-pin-prompt-new": "New PIN (minimum 8 characters):",
    "fido2-pin-prompt-confirm": "Confirm PIN:",
    "fido2-setup-pin-intro": "Your { -yubikey } does not have a PIN configured.",
    "fido2-err-pin-invalid": "Incorrect PIN. Please try again.\n"
                             "Hint: Too many wrong attempts will lock your { -yubikey }.",
    "fido2-err-pin-blocked": "Your { -yubikey } PIN is blocked due to too many incorrect attempts.",
    "fido2-err-pin-blocked-last-line": "After reset, run `{ -cmd } enroll` to re-register your { -yubikey }.",
    "fido2-err-pin-auth-blocked": "PIN authentication is temporarily blocked.\n"
                                  "Please unplug your { -yubikey } and plug it back in, then try again.",
    "fido2-err-insert-prompt": "Timed out waiting for { -yubikey } after { $timeout }s.\n"
                               "Insert your key and try again.",
    "webauthn-err-cancelled": "Authentication cancelled.",
    "webauthn-err-device-not-found": "No security key found.\nInsert your { -yubikey } and try again.",
    "webauthn-err-timeout": "Timed out waiting for { -yubikey }.\nInsert your key and try again.",
    "client-err-not-authenticated": "not authenticated — run '{ -cmd } login' first",
    "err-step-up-required": "step-up authentication required — run '{ -cmd } login' "
                            "to re-authenticate with your { -yubikey }",
    "err-rate-limited": "rate limited by server — wait a moment and retry",
    "setup-aws-err-role-required": "Either --role or --discover is required",
    "setup-aws-profile-already-exists": "Profile [{ $profile }] already exists in { $config_path }.",
    "logout-not-logged-in": "Not currently logged in.",
}
FTL_TERMS = {"-yubikey": "YubiKey", "-product": "Vouch", "-cmd": "vouch"}

# crates/vouch-cli/src/fido2/unix.rs: println!("\nTouch your YubiKey...") before authenticate_with_pin
TOUCH_LINE = "Touch your YubiKey..."
# main.rs: eprintln!("Error: {err:#}") and exit_code::classify(&err)
ERROR_PREFIX = "Error: "


def text(message_id: str, **values: object) -> str:
    """A catalogue message with its terms and variables filled in, as the CLI prints it."""
    result = FTL[message_id]
    for term, value in FTL_TERMS.items():
        result = result.replace("{ " + term + " }", value)
    for name, value in values.items():
        result = result.replace("{ $" + name + " }", str(value))
    return result


# crates/vouch-cli/src/exit_code.rs
EXIT_CODES = {"GENERAL": 1, "NOT_AUTHENTICATED": 2, "HARDWARE_NOT_FOUND": 3, "NETWORK_ERROR": 4,
              "PERMISSION_DENIED": 5, "CONFIG_ERROR": 6, "STEP_UP_REQUIRED": 7, "RATE_LIMITED": 8}
# exit_code.rs classify_message: which code each login failure above ends with
LOGIN_EXIT = {"wrong PIN": 1, "blocked PIN": 1, "PIN auth blocked": 1, "no key until the time-out": 3,
              "server unreachable": 4, "Windows prompt cancelled": 1, "Windows prompt timed out": 3}

# main.rs: `Login { #[arg(long, default_value = "60")] timeout: u64 }` (seconds to wait for a key; 0: none)
LOGIN_TIMEOUT_DEFAULT = 60
# main.rs: `Status { #[arg(long, value_enum)] format: Option<OutputFormat> }`; clap rejects others with exit 2
STATUS_FORMATS = ("human", "json", "shell")
CLAP_UNKNOWN_ARGUMENT = "unexpected argument"
# commands/status.rs StatusJson (serde_json::to_string_pretty; None fields skipped)
STATUS_FIELDS = ("authenticated", "email", "expires_in_seconds", "agent_running")
STATUS_LOGGED_OUT = {"authenticated": False, "agent_running": False}  # no token, or the server unreachable

# commands/setup/aws.rs (run, run_explicit_role) and main.rs SetupCommands::Aws
SETUP_AWS_FLAGS = ("--profile", "--role", "--management-role", "--region", "--discover")
SETUP_AWS_WITHOUT_ROLE_EXIT = 6  # CliError::ConfigError(setup-aws-err-role-required)
SETUP_AWS_DEFAULT_PROFILE = "vouch"  # next_vouch_profile_name: "vouch", then "vouch-2", "vouch-3"...
SETUP_AWS_CREDENTIAL_PROCESS = '"{vouch}" credential aws --role {role}'  # region only with --region

# crates/vouch-agent: wire.rs, protocol.rs, server.rs, state.rs; vouch-common/src/paths.rs
AGENT_MAX_FRAME = 1024 * 1024
AGENT_ERRORS = {"PARSE_ERROR": -32700, "METHOD_NOT_FOUND": -32601, "INVALID_PARAMS": -32602,
                "NOT_AUTHENTICATED": -32000, "SESSION_EXPIRED": -32001, "CACHE_MISS": -32002}
AGENT_SESSION_FIELDS = ("user_email", "expires_at", "authenticated_at", "expires_in_seconds")
AGENT_SOCKET_NAME = "agent.sock"  # <XDG_RUNTIME_DIR>/vouch/, else <XDG_CACHE_HOME or ~/.cache>/vouch/; old: ~/.vouch/
AGENT_NOTIFICATIONS = {"thresholds_seconds": (30 * 60, 5 * 60, 0),  # expiry_monitor.rs, not configurable
                       "expiring": "Vouch session expiring", "expired": "Vouch session expired"}
