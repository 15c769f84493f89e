"""Children on Windows, tested here: Windows' constants and structure layouts, the creation flags, the
calls a Job Object takes (a recording fake kernel32), and the registry's stop sequence (Ctrl-Break, the
grace, TerminateJobObject, the job closed) over jobs played by POSIX process groups with real
processes. The last test runs on every platform with the platform's own mechanism."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from vouch_desktop.core.system import win_processes as wp
from vouch_desktop.core.system.processes import ProcessRegistry

POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="jobs played by POSIX process groups")


# ---------------------------------------------------------------- constants, layouts, flags
def test_the_constants_are_windows_own():
    expected = {"DETACHED_PROCESS": 0x8, "CREATE_NEW_CONSOLE": 0x10, "CREATE_NEW_PROCESS_GROUP": 0x200,
                "CREATE_NO_WINDOW": 0x08000000}
    for name, value in expected.items():  # winbase.h; the subprocess module has them on Windows only
        assert getattr(wp, name) == value
        if sys.platform == "win32":
            assert getattr(subprocess, name) == value
    assert getattr(signal, "CTRL_BREAK_EVENT", 1) == wp.CTRL_BREAK_EVENT
    assert (wp.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, wp.JOB_OBJECT_EXTENDED_LIMIT_INFORMATION,
            wp.JOB_OBJECT_BASIC_ACCOUNTING_INFORMATION) == (0x2000, 9, 1)  # winnt.h, JOBOBJECTINFOCLASS
    assert (wp.PROCESS_TERMINATE, wp.PROCESS_SET_QUOTA) == (0x1, 0x100)  # what AssignProcessToJobObject needs


@pytest.mark.skipif(ctypes.sizeof(ctypes.c_void_p) != 8, reason="the 64-bit layout")
def test_the_structures_have_windows_64_bit_layout():
    # sizes and offsets as the Windows SDK's headers give them on x64 (what SetInformationJobObject checks)
    assert ctypes.sizeof(wp.BasicLimitInformation) == 64
    assert wp.BasicLimitInformation.LimitFlags.offset == 16
    assert wp.BasicLimitInformation.SchedulingClass.offset == 60
    assert ctypes.sizeof(wp.IoCounters) == 48
    assert ctypes.sizeof(wp.ExtendedLimitInformation) == 144
    assert wp.ExtendedLimitInformation.IoInfo.offset == 64
    assert wp.ExtendedLimitInformation.PeakJobMemoryUsed.offset == 136
    assert ctypes.sizeof(wp.BasicAccountingInformation) == 48
    assert wp.BasicAccountingInformation.ActiveProcesses.offset == 40


def test_creation_flags():
    # a child the app owns: its own group (Ctrl-Break, and the app's Ctrl-C is not its); a console
    # window only where it shares the app's (the windowed app would flash one up per child)
    assert wp.child_creation_flags(app_has_console=True) == wp.CREATE_NEW_PROCESS_GROUP
    assert wp.child_creation_flags(app_has_console=False) == wp.CREATE_NEW_PROCESS_GROUP | wp.CREATE_NO_WINDOW
    # a terminal window the user owns: shown (no CREATE_NO_WINDOW), its own group, not tied to the app's console
    detached = wp.detached_creation_flags()
    assert detached & wp.DETACHED_PROCESS and detached & wp.CREATE_NEW_PROCESS_GROUP
    assert not detached & wp.CREATE_NO_WINDOW


# ---------------------------------------------------------------- the calls a job takes
class RecordingKernel32:
    """Answers like kernel32 and records every call; ``refuse`` names calls that fail."""

    def __init__(self, refuse: tuple[str, ...] = (), console: bool = False) -> None:
        self.refuse = refuse
        self.console = console
        self.calls: list[tuple] = []
        self.handles = iter(range(0x100, 0x10000, 4))
        self.active = 1

    def _answer(self, name: str, *args: object) -> int:
        self.calls.append((name, *args))
        return 0 if name in self.refuse else 1

    def CreateJobObjectW(self, attributes, name):  # noqa: N802
        self.calls.append(("CreateJobObjectW", attributes, name))
        return 0 if "CreateJobObjectW" in self.refuse else next(self.handles)

    def SetInformationJobObject(self, job, info_class, info, length):  # noqa: N802
        limits = info._obj.BasicLimitInformation.LimitFlags
        return self._answer("SetInformationJobObject", job, info_class, limits, length)

    def QueryInformationJobObject(self, job, info_class, info, length, returned):  # noqa: N802
        info._obj.ActiveProcesses = self.active
        return self._answer("QueryInformationJobObject", job, info_class, length)

    def AssignProcessToJobObject(self, job, process):  # noqa: N802
        return self._answer("AssignProcessToJobObject", job, process)

    def TerminateJobObject(self, job, exit_code):  # noqa: N802
        return self._answer("TerminateJobObject", job, exit_code)

    def OpenProcess(self, access, inherit, pid):  # noqa: N802
        self.calls.append(("OpenProcess", access, inherit, pid))
        return 0 if "OpenProcess" in self.refuse else next(self.handles)

    def CloseHandle(self, handle):  # noqa: N802
        return self._answer("CloseHandle", handle)

    def GenerateConsoleCtrlEvent(self, event, group):  # noqa: N802
        return self._answer("GenerateConsoleCtrlEvent", event, group) if self.console else 0

    def GetConsoleWindow(self):  # noqa: N802
        return 0x42 if self.console else 0


def test_a_job_is_made_kill_on_close_and_holds_the_child():
    kernel = RecordingKernel32()
    job = wp.Jobs(kernel).contain(4242)
    assert job is not None and job.handle == 0x100
    assert kernel.calls == [
        ("CreateJobObjectW", None, None),
        ("SetInformationJobObject", 0x100, 9, 0x2000, ctypes.sizeof(wp.ExtendedLimitInformation)),
        ("OpenProcess", 0x101, 0, 4242),  # PROCESS_SET_QUOTA | PROCESS_TERMINATE
        ("AssignProcessToJobObject", 0x100, 0x104),
        ("CloseHandle", 0x104),  # the process handle, not the job's
    ]
    kernel.calls.clear()
    assert job.active_processes() == 1
    job.terminate()
    job.close()
    job.close()  # once only
    assert kernel.calls == [("QueryInformationJobObject", 0x100, 1, ctypes.sizeof(wp.BasicAccountingInformation)),
                            ("TerminateJobObject", 0x100, 1), ("CloseHandle", 0x100)]
    assert job.active_processes() == 0  # closed: nothing asked of Windows
    assert len(kernel.calls) == 3


@pytest.mark.parametrize("refused", ["CreateJobObjectW", "SetInformationJobObject", "OpenProcess",
                                     "AssignProcessToJobObject"])
def test_a_job_windows_refuses_leaves_the_child_running_without_one_and_no_handle_open(refused, caplog):
    kernel = RecordingKernel32(refuse=(refused,))
    assert wp.Jobs(kernel).contain(4242) is None
    assert "child 4242 runs without a job object" in caplog.text
    opened = [c for c in kernel.calls if c[0] in ("CreateJobObjectW", "OpenProcess")]
    closed = [c for c in kernel.calls if c[0] == "CloseHandle"]
    assert len(closed) == len(opened) - (1 if refused in ("CreateJobObjectW", "OpenProcess") else 0)


def test_ctrl_break_goes_to_the_childs_group_only_on_a_shared_console():
    console, windowed = RecordingKernel32(console=True), RecordingKernel32(console=False)
    assert wp.Jobs(console).creation_flags() == wp.CREATE_NEW_PROCESS_GROUP
    assert wp.Jobs(windowed).creation_flags() == wp.CREATE_NEW_PROCESS_GROUP | wp.CREATE_NO_WINDOW
    assert wp.JobObject(console).interrupt(4242) and ("GenerateConsoleCtrlEvent", 1, 4242) in console.calls
    assert not wp.JobObject(windowed).interrupt(4242)


# ---------------------------------------------------------------- the stop sequence, with real processes
class EmulatedKernel32(RecordingKernel32):
    """Jobs played by POSIX process groups: each child leads its own group (start_new_session), so "the
    job" is the groups of the children assigned to it; Ctrl-Break is SIGINT to the group (where the app
    has a console), TerminateJobObject is SIGKILL, and closing the job's handle kills what is left."""

    def __init__(self, console: bool) -> None:
        super().__init__(console=console)
        self.jobs: dict[int, list[int]] = {}
        self.processes: dict[int, int] = {}

    def CreateJobObjectW(self, attributes, name):  # noqa: N802
        handle = super().CreateJobObjectW(attributes, name)
        self.jobs[handle] = []
        return handle

    def OpenProcess(self, access, inherit, pid):  # noqa: N802
        handle = super().OpenProcess(access, inherit, pid)
        self.processes[handle] = pid
        return handle

    def AssignProcessToJobObject(self, job, process):  # noqa: N802
        self.jobs[job].append(self.processes[process])
        return super().AssignProcessToJobObject(job, process)

    def members(self, job: int) -> list[psutil.Process]:
        found = []
        for proc in psutil.process_iter():
            with contextlib.suppress(psutil.Error, OSError):
                if os.getpgid(proc.pid) in self.jobs.get(job, ()) and proc.status() != psutil.STATUS_ZOMBIE:
                    found.append(proc)
        return found

    def QueryInformationJobObject(self, job, info_class, info, length, returned):  # noqa: N802
        self.active = len(self.members(job))
        return super().QueryInformationJobObject(job, info_class, info, length, returned)

    def _kill(self, job: int) -> None:
        for group in self.jobs.get(job, ()):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)

    def TerminateJobObject(self, job, exit_code):  # noqa: N802
        self._kill(job)
        return super().TerminateJobObject(job, exit_code)

    def CloseHandle(self, handle):  # noqa: N802
        if handle in self.jobs:  # kill-on-close
            self._kill(handle)
            del self.jobs[handle]
        return super().CloseHandle(handle)

    def GenerateConsoleCtrlEvent(self, event, group):  # noqa: N802
        if self.console:
            os.killpg(group, signal.SIGINT)
        return super().GenerateConsoleCtrlEvent(event, group)

    def names(self) -> list[str]:
        return [c[0] for c in self.calls if c[0] not in ("QueryInformationJobObject", "OpenProcess")]


# a leader that starts a helper (in its group: "its job"), then waits; each handles Ctrl-Break its own way
def tree(mode: str) -> list[str]:
    helper = ("import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(60)" if mode == "ignores"
              else "import time; time.sleep(60)")
    code = f"""
import signal, subprocess, sys, time
if {mode!r} == "ignores":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
helper = subprocess.Popen([sys.executable, "-c", {helper!r}])
try:  # from the moment the test knows the pid it may stop us: Ctrl-Break is handled from here on
    print(helper.pid, flush=True)
    time.sleep(60)
except KeyboardInterrupt:
    helper.terminate()
    helper.wait()
    sys.exit(0)
"""
    return [sys.executable, "-c", code]


def gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


async def start(registry: ProcessRegistry, mode: str) -> tuple[object, int]:
    child = await registry.spawn(tree(mode), stdout=asyncio.subprocess.PIPE)
    helper = int(await child.stdout.readline())
    return child, helper


@POSIX_ONLY
def test_a_child_that_obeys_ctrl_break_stops_cleanly_then_its_job_is_ended_and_closed(process_watch):
    kernel = EmulatedKernel32(console=True)

    async def scenario():
        registry = ProcessRegistry(wp.Jobs(kernel))
        child, helper = await start(registry, "obeys")
        code = await child.stop(grace=5)
        return child, helper, code, registry.pids()

    child, helper, code, left = asyncio.run(scenario())
    assert code == 0  # it shut down on its own, on Ctrl-Break
    assert kernel.names()[-3:] == ["GenerateConsoleCtrlEvent", "TerminateJobObject", "CloseHandle"]
    assert gone(helper) and left == [] and kernel.jobs == {}
    assert process_watch.leftovers() == []


@POSIX_ONLY
@pytest.mark.parametrize("console", [True, False], ids=["console (Ctrl-Break ignored)", "windowed (no Ctrl-Break)"])
def test_a_child_that_does_not_stop_is_ended_with_all_it_started(process_watch, console):
    kernel = EmulatedKernel32(console=console)

    async def scenario():
        registry = ProcessRegistry(wp.Jobs(kernel))
        child, helper = await start(registry, "ignores")
        began = time.monotonic()
        code = await child.stop(grace=1.0)
        return helper, code, time.monotonic() - began

    helper, code, took = asyncio.run(scenario())
    assert code == -signal.SIGKILL and gone(helper)
    # with a console it gets its grace; a windowed app cannot ask, and does not wait for nothing
    assert (took >= 1.0) if console else (took < 1.0)
    assert ("GenerateConsoleCtrlEvent" in kernel.names()) == console
    assert kernel.names()[-2:] == ["TerminateJobObject", "CloseHandle"] and kernel.jobs == {}
    assert process_watch.leftovers() == []


@POSIX_ONLY
def test_a_leader_that_exits_leaves_its_job_registered_until_stopped_and_quit_ends_every_job(process_watch):
    kernel = EmulatedKernel32(console=False)
    early = [sys.executable, "-c", "import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', "
             "'import time; time.sleep(60)'], stdout=subprocess.DEVNULL); print(p.pid, flush=True)"]

    async def scenario():
        registry = ProcessRegistry(wp.Jobs(kernel))
        leader = await registry.spawn(early, stdout=asyncio.subprocess.PIPE)
        orphan = int(await leader.stdout.readline())
        await leader.wait()
        kept = registry.pids()  # its job still runs the helper: not forgotten
        other, helper = await start(registry, "ignores")
        registry.kill_all_now()  # the exit hook's last resort: every job ended
        await other.process.wait()
        return leader.pid, kept, orphan, helper

    leader_pid, kept, orphan, helper = asyncio.run(scenario())
    assert kept == [leader_pid]
    assert gone(orphan) and gone(helper)
    assert kernel.names().count("TerminateJobObject") == 2
    assert process_watch.leftovers() == []


@POSIX_ONLY
def test_closing_the_jobs_ends_what_runs_in_them_as_the_app_ending_would():
    kernel = EmulatedKernel32(console=False)

    async def scenario():
        registry = ProcessRegistry(wp.Jobs(kernel))
        child, helper = await start(registry, "ignores")
        for job in list(kernel.jobs):  # what Windows does to an ending process's handles
            kernel.CloseHandle(job)
        await child.process.wait()
        return helper

    assert gone(asyncio.run(scenario()))


def test_stop_ends_the_child_and_what_it_started_on_this_platform(process_watch):
    """The platform's own mechanism: a process group on POSIX, a Job Object on Windows."""

    async def scenario():
        registry = ProcessRegistry()
        child, helper = await start(registry, "ignores")
        await child.stop(grace=0.5)
        return helper, registry.pids()

    helper, left = asyncio.run(scenario())
    assert gone(helper) and left == []
    assert process_watch.leftovers() == []
