"""What a finished ``vouch login`` means: its exit code and its words, turned into one typed error.

The CLI exits 1 for a wrong PIN, a blocked PIN and a key that wants replugging alike (exit_code.rs
classifies by message), so the words decide here; they are the CLI's own (core/vouch/cli_text.py).
"""

from __future__ import annotations

from vouch_desktop.core.vouch import cli_text
from vouch_desktop.core.vouch.client import error_for
from vouch_desktop.core.vouch.errors import (
    VouchError,
    VouchKeyNotEnrolled,
    VouchLoginCancelled,
    VouchNoKey,
    VouchPinAuthBlocked,
    VouchPinBlocked,
    VouchPinIncorrect,
)

PIN_AGAIN_ADVICE = "Enter your YubiKey PIN again. Too many wrong PINs lock the key."
PIN_BLOCKED_ADVICE = ("Reset the YubiKey's FIDO2 application (Yubico Authenticator, or 'ykman fido reset'; this "
                      "deletes the FIDO2 credentials on the key), then run 'vouch enroll' to register it again.")


def scrub(text: str, secret: str) -> str:
    return text.replace(secret, "****") if secret else text


def login_error(code: int, output: str, *, key_timeout: int) -> VouchError:
    """The error for a ``vouch login`` that exited with ``code`` after printing ``output`` (both streams,
    the PIN already scrubbed from it)."""
    text = cli_text.plain(output)
    detail = "\n".join(line for line in text.strip().splitlines()[-12:] if line.strip())
    if cli_text.PIN_BLOCKED in text:
        return VouchPinBlocked("Your YubiKey's PIN is blocked: too many wrong PINs.", advice=PIN_BLOCKED_ADVICE,
                               detail=detail)
    if cli_text.PIN_AUTH_BLOCKED in text:
        return VouchPinAuthBlocked("Your YubiKey takes no more PINs for now (three wrong PINs in a row).",
                                   advice="Unplug your YubiKey and plug it back in, then log in again.", detail=detail)
    if cli_text.PIN_INVALID in text or cli_text.PIN_AUTH_INVALID in text:
        match = cli_text.ATTEMPTS_LEFT.search(text)
        left = int(match.group(1)) if match else None
        count = f" ({left} attempts left)." if left is not None else "."
        return VouchPinIncorrect("The PIN was not accepted" + count, advice=PIN_AGAIN_ADVICE, detail=detail,
                                 attempts_left=left)
    if cli_text.NOT_REGISTERED in text or cli_text.NO_CREDENTIALS in text:
        return VouchKeyNotEnrolled("This YubiKey is not registered with Vouch.",
                                   advice="Run 'vouch enroll' in a terminal to register it, then log in again.",
                                   detail=detail)
    if cli_text.WEBAUTHN_CANCELLED in text:
        return VouchLoginCancelled("The Windows Security prompt was closed before the login finished.",
                                   advice="Log in again when you are ready.", detail=detail)
    if code == cli_text.EXIT_CODES["HARDWARE_NOT_FOUND"]:
        return VouchNoKey(f"No YubiKey was plugged in within {key_timeout} s.",
                          advice="Insert your YubiKey, then log in again.", detail=detail)
    return error_for(code, text, "login")
