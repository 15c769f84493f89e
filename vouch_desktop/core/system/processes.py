"""Starting and stopping child processes, in one place.

Long-lived children (tunnel plugins, vouch login) run in their own process group so that stopping
one also stops whatever it started: SIGTERM to the group, a grace period, then SIGKILL. Every child
is awaited, so none is left a zombie. On Windows each child runs in a Job Object of its own with
kill-on-close instead (core/system/win_processes.py): Ctrl-Break, the grace period, TerminateJobObject.
A registry is made by whoever owns the children (the app's composition root, a one-shot command),
and that owner calls ``ProcessRegistry.kill_all_now`` as the last resort at exit so none outlives
it; nothing here is global.
A long-lived child's output goes to DEVNULL or is drained as it comes into a bounded tail
(``OutputTail``): never into a pipe nobody reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vouch_desktop.core.errors import ExternalToolError

if TYPE_CHECKING:
    import psutil

    from vouch_desktop.core.system.win_processes import JobObject, Jobs

log = logging.getLogger(__name__)
WINDOWS = sys.platform == "win32"


@dataclass(frozen=True)
class CompletedRun:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


class ProcessTimeout(ExternalToolError):
    pass


def _die_with_parent() -> None:
    """Runs in the child before exec (Linux): if the app dies, even by SIGKILL, the child gets SIGTERM."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _group_kwargs(jobs: Jobs | None) -> dict[str, Any]:
    if sys.platform == "win32":  # spelled out (not WINDOWS) so that type checkers narrow to Windows' API
        from vouch_desktop.core.system.win_processes import child_creation_flags

        return {"creationflags": jobs.creation_flags() if jobs is not None else child_creation_flags(False)}
    kwargs: dict[str, Any] = {"start_new_session": True}
    if sys.platform.startswith("linux"):
        kwargs["preexec_fn"] = _die_with_parent
    return kwargs


def _signal_group(pid: int, sig: int) -> None:
    if sys.platform == "win32":  # a child without a job (Windows refused one): TerminateProcess, the leader only
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM if sig != getattr(signal, "SIGKILL", 9) else signal.SIGTERM)
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)  # the child leads its own group (start_new_session)


def _group_members(pgid: int) -> list[psutil.Process]:
    """The processes left in the group, as psutil processes; zombies (such as a leader not reaped yet) aside."""
    if sys.platform == "win32":
        return []
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return []
    import psutil

    members = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                members.append(proc)
        except (psutil.Error, OSError):
            continue  # gone meanwhile
    return members


class OutputTail:
    """Reads a child's output stream to its end, as fast as the child writes, keeping only the last
    ``limit`` bytes (enough for an error message). A pipe nobody reads fills up (64 KiB, plus what
    asyncio buffers) and then blocks the child in its next write: a tunnel plugin that prints a line
    per connection stops accepting connections after a few thousand."""

    def __init__(self, stream: asyncio.StreamReader, limit: int = 4096) -> None:
        self.limit = limit
        self.total = 0  # bytes read, all told
        self._tail = bytearray()
        self._task = asyncio.ensure_future(self._drain(stream))

    async def _drain(self, stream: asyncio.StreamReader) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while chunk := await stream.read(65536):
                self.total += len(chunk)
                self._tail += chunk
                if len(self._tail) > self.limit:
                    del self._tail[:-self.limit]

    @property
    def done(self) -> bool:
        return self._task.done()

    async def finished(self, timeout: float) -> None:
        """Wait up to ``timeout`` s for the end of the stream (the child and everything that inherited
        the pipe closed it)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._task), timeout)

    def close(self) -> None:
        self._task.cancel()

    def text(self) -> str:
        return self._tail.decode(errors="replace")

    def lines(self) -> list[str]:
        """The tail's non-blank lines, stripped (the first may be cut short)."""
        return [line.strip() for line in self.text().splitlines() if line.strip()]


class ManagedProcess:
    """An asyncio child in its own process group (and, on Windows, its own job: ``job``)."""

    def __init__(self, process: asyncio.subprocess.Process, argv: Sequence[str], registry: ProcessRegistry | None,
                 job: JobObject | None = None):
        self.process = process
        self.argv = tuple(argv)
        self._registry = registry
        self.job = job
        self._stragglers: list[psutil.Process] = []  # members of the group seen alive once the leader was reaped
        self.tails: dict[str, OutputTail] = {}  # "stdout"/"stderr" -> what ``keep_tails`` keeps of them

    def keep_tails(self, limit: int) -> None:
        """Drain the child's piped stdout and stderr from now on, keeping the last ``limit`` bytes of each."""
        for name, stream in (("stdout", self.process.stdout), ("stderr", self.process.stderr)):
            if stream is not None and name not in self.tails:
                self.tails[name] = OutputTail(stream, limit)

    def tail_lines(self, name: str) -> list[str]:
        tail = self.tails.get(name)
        return tail.lines() if tail is not None else []

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    @property
    def stdout(self) -> asyncio.StreamReader | None:
        return self.process.stdout

    @property
    def stderr(self) -> asyncio.StreamReader | None:
        return self.process.stderr

    @property
    def stdin(self) -> asyncio.StreamWriter | None:
        return self.process.stdin

    async def wait(self) -> int:
        """Wait for the leader to exit (and reap it). While others of its group live on, the group stays
        registered, so that ``stop`` or the registry's ``stop_all`` still ends them."""
        code = await self.process.wait()
        self._forget_unless_group_lives()
        return code

    def group_is_ours(self) -> bool:
        """Whether the group may be signalled: always while the leader is not reaped (its pid, the group's
        id, cannot be reused); after that only while a member we saw (same pid and start time) is still in
        it, since an empty group's number can be reused by anyone."""
        if self.process.returncode is None:
            return True
        if self.job is not None:  # a job's handle is never reused: what is in it is ours
            return self.job.active_processes() > 0
        if WINDOWS or not any(_still_in_group(p, self.pid) for p in self._stragglers):
            return False
        self._stragglers = _group_members(self.pid)  # proven ours: whatever is in it now is ours too
        return True

    async def stop(self, grace: float = 3.0, *, polite: signal.Signals = signal.SIGTERM) -> int:
        """``polite`` (SIGTERM unless the program ends cleanly on another) to the group, up to ``grace`` s
        for it (the leader and whatever it started), then SIGKILL whatever is left of the group; always
        reaps the leader."""
        if self.job is not None:
            return await self._stop_job(self.job, grace)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        if self.group_is_ours():
            _signal_group(self.pid, polite)  # also when the leader exited on its own before
            if sys.platform != "win32":  # a stopped member (SIGSTOP, a debugger) gets to act on the signal
                _signal_group(self.pid, signal.SIGCONT)
        if self.process.returncode is None:
            try:
                await asyncio.wait_for(self.process.wait(), grace)
                self._stragglers = _group_members(self.pid)
            except TimeoutError:
                log.info("pid %s ignored %s for %.1f s: killing its group", self.pid, polite.name, grace)
        while loop.time() < deadline and self.group_is_ours():
            await asyncio.sleep(0.05)  # the rest of the group finishing its own clean shutdown
        if self.group_is_ours():
            _signal_group(self.pid, getattr(signal, "SIGKILL", signal.SIGTERM))
        code = await self.process.wait()
        await self._release()
        return code

    async def _stop_job(self, job: JobObject, grace: float) -> int:
        """Windows: Ctrl-Break to its group, up to ``grace`` s for the job to empty, then TerminateJobObject."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        if job.active_processes() > 0 and job.interrupt(self.pid):
            try:
                await asyncio.wait_for(self.process.wait(), grace)
            except TimeoutError:
                log.info("pid %s ignored Ctrl-Break for %.1f s: ending its job", self.pid, grace)
            while loop.time() < deadline and job.active_processes() > 0:
                await asyncio.sleep(0.05)  # what it started finishing its own clean shutdown
        job.terminate()
        code = await self.process.wait()
        job.close()
        await self._release()
        return code

    async def _release(self) -> None:
        # close our ends of its pipes now rather than at garbage collection (asyncio keeps no public handle)
        for tail in self.tails.values():
            await tail.finished(0.5)  # the last words, if the group closed its ends of the pipes
            tail.close()
        transport = getattr(self.process, "_transport", None)
        if transport is not None:
            transport.close()
        self._forget()

    def _forget(self) -> None:
        if self._registry is not None:
            self._registry.forget(self)

    def _forget_unless_group_lives(self) -> None:
        """After the leader was reaped: forget it, unless others of its group are still running."""
        if self.job is not None:
            if self.job.active_processes() == 0:
                self.job.close()
                self._forget()
            return
        self._stragglers = _group_members(self.pid)
        if not self._stragglers:
            self._forget()


def _still_in_group(proc: psutil.Process, pgid: int) -> bool:
    if sys.platform == "win32":
        return False
    import psutil

    try:  # is_running() also compares the start time, so a reused pid is not taken for the member
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE and os.getpgid(proc.pid) == pgid
    except (psutil.Error, OSError):
        return False


class ProcessRegistry:
    """Tracks the app's live children so that quitting stops every one."""

    def __init__(self, jobs: Jobs | None = None) -> None:
        """``jobs``: where children get their job objects (Windows: kernel32, made at the first spawn)."""
        self._live: dict[int, ManagedProcess] = {}
        self._jobs = jobs
        self._jobs_looked_up = jobs is not None

    def jobs(self) -> Jobs | None:
        if not self._jobs_looked_up:
            if sys.platform == "win32":  # (ctypes and the Windows code stay out of other platforms' processes)
                from vouch_desktop.core.system.win_processes import default_jobs

                self._jobs = default_jobs()
            self._jobs_looked_up = True
        return self._jobs

    async def spawn(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
                    stdin: int | None = asyncio.subprocess.DEVNULL,
                    stdout: int | None = asyncio.subprocess.DEVNULL,
                    stderr: int | None = asyncio.subprocess.DEVNULL, tail: int = 0) -> ManagedProcess:
        """Start a child in its own group. With ``tail`` its output is piped, drained as it comes and only
        its last ``tail`` bytes (per stream) kept: what every long-lived child whose output matters gets,
        so that no child ever blocks on a full pipe (the others get DEVNULL)."""
        argv = [str(a) for a in argv]
        if tail:
            stdout = stderr = asyncio.subprocess.PIPE
        jobs = self.jobs()
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, env=dict(env) if env is not None else None, stdin=stdin, stdout=stdout, stderr=stderr,
                **_group_kwargs(jobs))
        except FileNotFoundError as exc:
            raise ExternalToolError(f"{argv[0]} was not found.",
                                    advice="Check that it is installed and on PATH.") from exc
        except PermissionError as exc:
            raise ExternalToolError(f"{argv[0]} cannot be run (permission denied).") from exc
        managed = ManagedProcess(process, argv, self, jobs.contain(process.pid) if jobs is not None else None)
        if tail:
            managed.keep_tails(tail)
        self._live[process.pid] = managed
        return managed

    def forget(self, process: ManagedProcess) -> None:
        self._live.pop(process.pid, None)

    def pids(self) -> list[int]:
        return list(self._live)

    async def stop_all(self, grace: float = 3.0) -> None:
        await asyncio.gather(*(p.stop(grace) for p in list(self._live.values())), return_exceptions=True)

    def kill_all_now(self) -> None:
        """Synchronous last resort (the owner's exit hook): SIGKILL every group still alive."""
        for process in list(self._live.values()):
            if process.job is not None:
                process.job.terminate()
            elif process.group_is_ours():
                _signal_group(process.pid, getattr(signal, "SIGKILL", signal.SIGTERM))
        self._live.clear()


async def run(argv: Sequence[str], *, timeout: float, registry: ProcessRegistry,
              env: Mapping[str, str] | None = None, stdin_data: bytes | None = None) -> CompletedRun:
    """Run a short command to completion; on time-out its whole group is killed and reaped. It is
    tracked in ``registry`` meanwhile (and any helper it leaves behind after), so quitting stops it."""
    stdin = asyncio.subprocess.PIPE if stdin_data is not None else asyncio.subprocess.DEVNULL
    process = await registry.spawn(argv, env=env, stdin=stdin,
                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(process.process.communicate(stdin_data), timeout)
    except TimeoutError:
        await process.stop(grace=0.5)
        raise ProcessTimeout(f"{os.path.basename(argv[0])} did not answer within {timeout:g} s.",
                             advice="It may be waiting for something (a network, a key touch). Try again.") from None
    except asyncio.CancelledError:
        await process.stop(grace=0.5)
        raise
    process._forget_unless_group_lives()  # a helper it left behind is still stopped at quit
    return CompletedRun(tuple(argv), process.process.returncode or 0, out.decode(errors="replace"),
                        err.decode(errors="replace"))
