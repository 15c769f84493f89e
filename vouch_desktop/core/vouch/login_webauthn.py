"""`vouch login` where the system asks for the PIN and the touch (Windows: fido2/windows.rs uses the
WebAuthn API, whose "Windows Security" dialog owns key insertion, PIN and touch).

No terminal and no PIN from the app: vouch runs as a plain child with no input, the user is told to
complete the system's prompt once vouch has reached its server, and the exit code decides.
``--timeout`` is the whole interaction's limit there; the app still waits a little longer itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from vouch_desktop.core.errors import ExternalToolError
from vouch_desktop.core.system.processes import ManagedProcess, ProcessRegistry
from vouch_desktop.core.vouch import cli_text
from vouch_desktop.core.vouch.errors import VouchNotInstalled, VouchTimeout
from vouch_desktop.core.vouch.login import LOGIN_GRACE, LoginProcess, LoginStep
from vouch_desktop.core.vouch.login_outcome import login_error
from vouch_desktop.core.vouch.runner import check_executable, children, vouch_environment

MAX_TRANSCRIPT = 256 * 1024


class WebAuthnLogin(LoginProcess):
    needs_pin = False

    def __init__(self, executable: str, key_timeout: int = cli_text.LOGIN_TIMEOUT_DEFAULT,
                 env: dict[str, str] | None = None, grace: float = LOGIN_GRACE,
                 processes: ProcessRegistry | None = None) -> None:
        super().__init__(executable, key_timeout, env, grace)
        self._processes = processes or children
        self._process: ManagedProcess | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def run(self, pin: str, on_progress: Callable[[LoginStep], None]) -> None:
        """``pin`` is not used: the system's prompt asks for it."""
        on_progress(LoginStep.STARTING)
        check_executable(self.executable)
        try:
            self._process = process = await self._processes.spawn(
                self.argv(), env=vouch_environment(self.env),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        except ExternalToolError as exc:
            raise VouchNotInstalled("The vouch CLI could not be started.", advice="Check the vouch path in Settings.",
                                    detail=exc.message) from None
        transcript = bytearray()
        try:
            await asyncio.wait_for(self._follow(process, transcript, on_progress), self.timeout)
            code = await process.wait()
        except TimeoutError:
            raise VouchTimeout(f"vouch login did not finish within {self.timeout:g} s.",
                               advice="Complete the Windows Security prompt, then try again.") from None
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    await asyncio.shield(process.stop(grace=0.5))
        if code != 0:
            raise login_error(code, transcript.decode(errors="replace"), key_timeout=self.key_timeout)
        on_progress(LoginStep.DONE)

    async def _follow(self, process: ManagedProcess, transcript: bytearray,
                      on_progress: Callable[[LoginStep], None]) -> None:
        prompted = False
        stream = process.stdout
        assert stream is not None
        while True:
            chunk = await stream.read(4096)
            if not chunk:
                return
            if len(transcript) < MAX_TRANSCRIPT:
                transcript += chunk
            text = cli_text.plain(transcript.decode(errors="replace"))
            # "Contacting server (URL)... ok": the server gave its challenge, the system's prompt comes next
            after = text.split(cli_text.CONTACTING_SERVER, 1)[1] if cli_text.CONTACTING_SERVER in text else ""
            if not prompted and "\n" in after:
                prompted = True
                on_progress(LoginStep.SECURITY_PROMPT)

    def cancel(self) -> None:
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.process.kill()  # Windows: TerminateProcess; run() then reaps it and its group
