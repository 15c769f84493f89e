"""Running vouch for a short answer: its environment, a time limit, a limit on how much it may print.

vouch runs with ``VOUCH_LANG=en-US`` (the app reads its words) and without ``RUST_LOG`` (log lines on
stdout before the JSON). A vouch that prints without end is stopped once it passed ``MAX_OUTPUT``: its
answer cannot be one the app would use.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from vouch_desktop.core.errors import ExternalToolError
from vouch_desktop.core.system.processes import ProcessRegistry
from vouch_desktop.core.vouch.cli_text import child_environment
from vouch_desktop.core.vouch.errors import VouchNotInstalled, VouchTimeout
from vouch_desktop.core.vouch.status import MAX_OUTPUT, bad_output

children = ProcessRegistry()  # vouch's children (status, setup, login on Windows), stopped at quit like every other


@dataclass(frozen=True)
class VouchRun:
    returncode: int
    stdout: str
    stderr: str


class _TooMuchOutput(Exception):
    pass


def check_executable(path: str) -> str:
    """``path`` if it is a program this user may run, else a ``VouchNotInstalled`` that says what it is."""
    advice = "Set the path to the vouch program in Settings, or leave it empty to use the one on PATH."
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise VouchNotInstalled(f"The vouch CLI was not found at {path}.", advice=advice) from None
    except OSError as exc:
        raise VouchNotInstalled(f"The vouch CLI at {path} cannot be read: {exc.strerror}.", advice=advice) from None
    if stat.S_ISDIR(info.st_mode):
        raise VouchNotInstalled(f"{path} is a folder, not the vouch program.", advice=advice)
    if not stat.S_ISREG(info.st_mode):
        raise VouchNotInstalled(f"{path} is not a program (not a regular file).", advice=advice)
    if os.name != "nt" and not os.access(path, os.X_OK):
        raise VouchNotInstalled(f"{path} is not executable.",
                                advice=f"Make it executable (chmod +x {Path(path).name}), or choose another "
                                       "vouch in Settings.")
    return path


def vouch_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    return child_environment(dict(os.environ if base is None else base))


async def _read_bounded(stream: asyncio.StreamReader | None, limit: int) -> bytes:
    if stream is None:
        return b""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = await stream.read(65536)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise _TooMuchOutput
        chunks.append(chunk)


async def run_vouch(argv: Sequence[str], *, action: str, timeout: float, limit: int = MAX_OUTPUT,
                    env: Mapping[str, str] | None = None, registry: ProcessRegistry | None = None) -> VouchRun:
    """Run ``argv`` (vouch and its arguments) to completion within ``timeout`` s and ``limit`` bytes."""
    check_executable(argv[0])
    try:
        process = await (registry or children).spawn(argv, env=vouch_environment(env), stdout=asyncio.subprocess.PIPE,
                                        stderr=asyncio.subprocess.PIPE)
    except ExternalToolError as exc:
        raise VouchNotInstalled(exc.message, advice="Check the vouch path in Settings.") from None
    readers = [asyncio.ensure_future(_read_bounded(process.stdout, limit)),
               asyncio.ensure_future(_read_bounded(process.stderr, limit))]
    try:
        out, err = await asyncio.wait_for(asyncio.gather(*readers), timeout)
        await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        raise VouchTimeout(f"vouch {action} did not answer within {timeout:g} s.",
                           advice="vouch or its agent may be stuck: try again, or restart the agent.") from None
    except _TooMuchOutput:
        raise bad_output(f"vouch {action}", f"more than {limit:,} bytes") from None
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                await asyncio.shield(process.stop(grace=0.5))
    return VouchRun(process.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace"))
