"""The log: a rotating file in the log folder, and a filter that masks anything secret-looking.

Code must not log secrets in the first place; the filter is the second line of defence.

At INFO the log holds the app's own lines: the libraries' (botocore's "Found endpoint for ssm via:
environment_global." on every client, websockets, asyncio) only from WARNING up, and all of them at
DEBUG, where they help most.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from collections.abc import Callable
from pathlib import Path

_PATTERNS = [
    # AWS access key ids
    (re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{12,}\b"), r"\1****"),
    # JSON fields and Python reprs: "SecretAccessKey": "…", 'SessionToken': '…', "TokenValue", "pin", "password"
    (re.compile(r"""(["'](?:SecretAccessKey|SessionToken|TokenValue|Token|pin|PIN|password|Password)["']\s*:\s*"""
                r"""(["']))(?:\\.|(?!\2).)*(\2)"""), r"\1****\3"),
    # key=value and key: value forms
    (re.compile(r"\b((?:aws_secret_access_key|aws_session_token|secret_access_key|session_token|token_value|"
                r"token|pin|password)\s*[=:]\s*)\S+", re.IGNORECASE), r"\1****"),
]
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    def __init__(self, clean: Callable[[str], str] = redact) -> None:
        super().__init__()
        self.clean = clean

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class OwnLinesFilter(logging.Filter):
    """Lines of other packages below WARNING pass only while the log level is DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING or record.name.split(".")[0] == APP_LOGGER:
            return True
        return logging.getLogger().getEffectiveLevel() <= logging.DEBUG


APP_LOGGER = "vouch_desktop"
_MARK = "_vouch_desktop_handler"


def configure_logging(log_file: Path, level: str = "INFO", *, stderr: bool = True) -> None:
    """Idempotent: calling it again replaces our handlers instead of adding more."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    handlers: list[logging.Handler] = []
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.handlers.RotatingFileHandler(log_file, maxBytes=1_000_000, backupCount=5,
                                                             encoding="utf-8"))
    except OSError as exc:  # a read-only or damaged log folder: log to stderr only, and say so there
        stderr = True
        unwritable = f"cannot write the log file {log_file}: {exc.strerror or exc}"
    else:
        unwritable = ""
    if stderr:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        setattr(handler, _MARK, True)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler.addFilter(OwnLinesFilter())
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    root.setLevel(level)
    if unwritable:
        logging.getLogger(__name__).warning("%s", unwritable)
    logging.getLogger("botocore").setLevel(max(logging.INFO, logging.getLevelName(level)))
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    logging.getLogger("qasync").setLevel(logging.INFO)  # its debug lines print every thread's result (AWS replies)


def redact_known_secrets(clean: Callable[[str], str]) -> None:
    """Also pass every record of our handlers through ``clean`` (``core.system.redaction.KnownSecrets.redact``:
    the exact secrets the app holds). Called by the composition root once it holds them."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, _MARK, False):
            for old in [f for f in handler.filters if getattr(f, _MARK, False)]:
                handler.removeFilter(old)  # the app's earlier holder of secrets (tests build several apps)
            known = RedactingFilter(clean)
            setattr(known, _MARK, True)
            handler.addFilter(known)
