"""Inside the terminal: ``vouch-desktop db-client --secret FILE [--env NAME] -- CLIENT ARGS...``

Runs a database client with its sign-in file and keeps the file exactly as long as the client lives
(core/databases/secret_files.py says why): the file is claimed before the client starts and removed
when it ends — it exits, the window is closed (SIGHUP, passed on to the client), or the carrier is
asked to stop (SIGTERM, passed on). Ctrl-C and Ctrl-\\ are the client's (psql cancels a query), as in a
shell. ``--env NAME`` names the file to the client in that variable (``PGPASSFILE``: a path, not a
secret); a password the user's own environment may hold (``PGPASSWORD``, ``MYSQL_PWD``) is dropped, so
that the client signs in as the tunnel's profile says.

The argv carries no secret: the file's path, the variable's name and the client's own options.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from vouch_desktop.core.databases.secret_files import SecretFileGone, claimed

SUBCOMMAND = "db-client"
DROPPED = ("PGPASSWORD", "MYSQL_PWD")
USAGE = f"usage: vouch-desktop {SUBCOMMAND} --secret FILE [--env NAME] -- CLIENT [ARGS...] (written by Vouch Desktop)"


def carrier_argv(own: Sequence[str], secret: Path | None, env_var: str, client: Sequence[str]) -> list[str]:
    """The command a terminal runs: this app's carrier around ``client`` (no carrier without a file)."""
    if secret is None:
        return list(client)
    return [*own, SUBCOMMAND, "--secret", str(secret), *(["--env", env_var] if env_var else []), "--", *client]


def parse(args: Sequence[str]) -> tuple[Path, str, list[str]]:
    args = list(args)
    if "--" not in args:
        raise ValueError("no client")
    split = args.index("--")
    options, client = args[:split], args[split + 1:]
    values = dict(zip(options[::2], options[1::2], strict=False))
    if len(options) % 2 or set(values) - {"--secret", "--env"} or "--secret" not in values or not client:
        raise ValueError("bad options")
    return Path(values["--secret"]), values.get("--env", ""), client


def run(args: Sequence[str]) -> int:
    try:
        secret, env_var, client = parse(args)
    except ValueError:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        with claimed(secret):
            env = {k: v for k, v in os.environ.items() if k not in DROPPED}
            if env_var:
                env[env_var] = str(secret)
            return _run_client(client, env)
    except SecretFileGone as exc:
        print(f"vouch-desktop: {exc.user_text()}", file=sys.stderr)
        return 1


def _run_client(argv: list[str], env: dict[str, str]) -> int:
    child: subprocess.Popen[bytes] | None = None

    def pass_on(signum: int, frame: FrameType | None) -> None:
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    handled = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    ignored = [signal.SIGINT] + ([signal.SIGQUIT] if hasattr(signal, "SIGQUIT") else [])
    previous = {sig: signal.signal(sig, pass_on) for sig in handled}
    previous.update({sig: signal.signal(sig, signal.SIG_IGN) for sig in ignored})
    try:
        try:
            # the client gets the terminal's default signal handling back (Popen restores SIGINT and SIGPIPE
            # only): it must stop on Ctrl-\ and be interrupted by Ctrl-C like any program started by a shell
            child = subprocess.Popen(argv, env=env, restore_signals=True,
                                     preexec_fn=_default_signals if sys.platform != "win32" else None)
        except OSError as exc:
            print(f"vouch-desktop: cannot run {argv[0]}: {exc.strerror or exc}", file=sys.stderr)
            return 127
        code = child.wait()
        return 128 - code if code < 0 else code
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _default_signals() -> None:
    for name in ("SIGINT", "SIGQUIT", "SIGHUP", "SIGTERM"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
