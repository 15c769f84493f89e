"""Children on Windows: what POSIX process groups, PR_SET_PDEATHSIG and SIGTERM → SIGKILL do on Linux.

- Each long-lived child is put in a Job Object of its own with ``JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE``:
  whatever it starts later joins the job, and when the app ends, however it ends (even killed from
  Task Manager), Windows closes its handles and so kills every process of every job: no plugin
  survives the app. (A child could start a grandchild in the moment between its creation and its
  assignment; the programs the app runs do not do that at once.)
- A stop asks first: Ctrl-Break to the child's process group (it is started with
  ``CREATE_NEW_PROCESS_GROUP``); Windows delivers it only to a process on the app's own console, so a
  windowed app, whose children run on hidden consoles of their own (``CREATE_NO_WINDOW``, no window
  flashing up), goes straight on. After the grace period ``TerminateJobObject`` ends the child and
  everything it started, as SIGKILL of the group does.

The Win32 calls go through a small interface (``Kernel32``), so that the tests here drive the same
code with a fake kernel32 (Windows' own constants and structure layouts are checked there);
``windows_kernel32()`` is the real one (ctypes). Windows' flag values are spelled out here because the
``subprocess`` module has them on Windows only.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Any, Protocol

log = logging.getLogger(__name__)

# process creation flags (winbase.h)
DETACHED_PROCESS = 0x00000008
CREATE_NEW_CONSOLE = 0x00000010
CREATE_NEW_PROCESS_GROUP = 0x00000200
CREATE_NO_WINDOW = 0x08000000
# console control events (wincon.h)
CTRL_BREAK_EVENT = 1
# Job Objects (winnt.h)
JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x00002000
JOB_OBJECT_BASIC_ACCOUNTING_INFORMATION = 1
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION = 9
PROCESS_TERMINATE = 0x0001
PROCESS_SET_QUOTA = 0x0100
KILLED_EXIT_CODE = 1  # what a child ended by TerminateJobObject exits with


def child_creation_flags(app_has_console: bool) -> int:
    """Flags for a child the app owns (a plugin, vouch): a process group of its own (for Ctrl-Break and
    so that Ctrl-C in the app's console is not its), and no console window of its own unless it can
    share the app's (a windowed app has none: each child would flash one up)."""
    return CREATE_NEW_PROCESS_GROUP | (0 if app_has_console else CREATE_NO_WINDOW)


def detached_creation_flags() -> int:
    """Flags for a program the user owns (a terminal window), which outlives the app: a process group of
    its own and no tie to the app's console. It is put in no job, so quitting the app leaves it open."""
    return CREATE_NEW_PROCESS_GROUP | DETACHED_PROCESS


# ---------------------------------------------------------------- structures (winnt.h, as laid out by the C compiler)
class IoCounters(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in (
        "ReadOperationCount", "WriteOperationCount", "OtherOperationCount",
        "ReadTransferCount", "WriteTransferCount", "OtherTransferCount")]


class BasicLimitInformation(ctypes.Structure):  # JOBOBJECT_BASIC_LIMIT_INFORMATION
    _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
                ("LimitFlags", ctypes.c_uint32), ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", ctypes.c_uint32),
                ("Affinity", ctypes.c_size_t), ("PriorityClass", ctypes.c_uint32),
                ("SchedulingClass", ctypes.c_uint32)]


class ExtendedLimitInformation(ctypes.Structure):  # JOBOBJECT_EXTENDED_LIMIT_INFORMATION
    _fields_ = [("BasicLimitInformation", BasicLimitInformation), ("IoInfo", IoCounters),
                ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                ("PeakProcessMemoryUsed", ctypes.c_size_t), ("PeakJobMemoryUsed", ctypes.c_size_t)]


class BasicAccountingInformation(ctypes.Structure):  # JOBOBJECT_BASIC_ACCOUNTING_INFORMATION
    _fields_ = [("TotalUserTime", ctypes.c_int64), ("TotalKernelTime", ctypes.c_int64),
                ("ThisPeriodTotalUserTime", ctypes.c_int64), ("ThisPeriodTotalKernelTime", ctypes.c_int64),
                ("TotalPageFaultCount", ctypes.c_uint32), ("TotalProcesses", ctypes.c_uint32),
                ("ActiveProcesses", ctypes.c_uint32), ("TotalTerminatedProcesses", ctypes.c_uint32)]


class Kernel32(Protocol):
    """The calls used here, as kernel32.dll names them. Handles are ints (0 is none); BOOLs are ints."""

    def CreateJobObjectW(self, attributes: Any, name: Any) -> int: ...

    def SetInformationJobObject(self, job: int, info_class: int, info: Any, length: int) -> int: ...

    def QueryInformationJobObject(self, job: int, info_class: int, info: Any, length: int, returned: Any) -> int: ...

    def AssignProcessToJobObject(self, job: int, process: int) -> int: ...

    def TerminateJobObject(self, job: int, exit_code: int) -> int: ...

    def OpenProcess(self, access: int, inherit: int, pid: int) -> int: ...

    def CloseHandle(self, handle: int) -> int: ...

    def GenerateConsoleCtrlEvent(self, event: int, group: int) -> int: ...

    def GetConsoleWindow(self) -> int: ...


class JobError(OSError):
    pass


def _failed(what: str) -> JobError:
    code = 0
    if sys.platform == "win32":
        code = ctypes.get_last_error()
    return JobError(code, f"{what} (Windows error {code})")


class JobObject:
    """One child's job: kill-on-close, so the child and all it starts end with the app at the latest."""

    def __init__(self, kernel32: Kernel32) -> None:
        self._k = kernel32
        handle = kernel32.CreateJobObjectW(None, None)
        if not handle:
            raise _failed("a job object could not be made")
        self.handle: int | None = handle
        info = ExtendedLimitInformation()
        info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
        if not kernel32.SetInformationJobObject(handle, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION, ctypes.byref(info),
                                                ctypes.sizeof(info)):
            error = _failed("the job object could not be set to end its processes with the app")
            self.close()
            raise error

    def assign(self, pid: int) -> None:
        process = self._k.OpenProcess(PROCESS_SET_QUOTA | PROCESS_TERMINATE, 0, pid)
        if not process:
            raise _failed(f"process {pid} could not be opened")
        try:
            if not self._k.AssignProcessToJobObject(self._require(), process):
                raise _failed(f"process {pid} could not be put in its job")
        finally:
            self._k.CloseHandle(process)

    def active_processes(self) -> int:
        """How many processes of the job still run (0 once closed)."""
        if self.handle is None:
            return 0
        info = BasicAccountingInformation()
        if not self._k.QueryInformationJobObject(self.handle, JOB_OBJECT_BASIC_ACCOUNTING_INFORMATION,
                                                 ctypes.byref(info), ctypes.sizeof(info), None):
            return 0
        return int(info.ActiveProcesses)

    def interrupt(self, group: int) -> bool:
        """Ctrl-Break to the child's process group; False when Windows would not deliver it (no shared console)."""
        return bool(self._k.GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, group))

    def terminate(self) -> None:
        """End every process of the job now (TerminateProcess for each, as SIGKILL of a group)."""
        if self.handle is not None and not self._k.TerminateJobObject(self.handle, KILLED_EXIT_CODE):
            log.warning("%s", _failed("a job's processes could not be ended"))

    def close(self) -> None:
        """Close the handle; with kill-on-close whatever is still in the job ends with it."""
        handle, self.handle = self.handle, None
        if handle is not None:
            self._k.CloseHandle(handle)

    def _require(self) -> int:
        if self.handle is None:
            raise JobError("the job is closed")
        return self.handle


class Jobs:
    """Makes the jobs of one process registry: ``contain(pid)`` after each child starts."""

    def __init__(self, kernel32: Kernel32) -> None:
        self.kernel32 = kernel32

    def creation_flags(self) -> int:
        return child_creation_flags(app_has_console=bool(self.kernel32.GetConsoleWindow()))

    def contain(self, pid: int) -> JobObject | None:
        """A job holding ``pid``; None when Windows refuses one (the child runs on, stopped by TerminateProcess)."""
        try:
            job = JobObject(self.kernel32)
        except OSError as exc:
            log.warning("child %s runs without a job object: %s", pid, exc)
            return None
        try:
            job.assign(pid)
        except OSError as exc:
            log.warning("child %s runs without a job object: %s", pid, exc)
            job.close()
            return None
        return job


def windows_kernel32() -> Kernel32:  # pragma: no cover - Windows only
    """kernel32 with argument and result types set (handles are pointers: 64 bits wide)."""
    if sys.platform != "win32":
        raise OSError("kernel32 is a Windows library")
    from ctypes import wintypes

    dll = ctypes.WinDLL("kernel32", use_last_error=True)
    handle, dword, boolean = wintypes.HANDLE, wintypes.DWORD, wintypes.BOOL
    signatures: dict[str, tuple[list[Any], Any]] = {
        "CreateJobObjectW": ([ctypes.c_void_p, wintypes.LPCWSTR], handle),
        "SetInformationJobObject": ([handle, ctypes.c_int, ctypes.c_void_p, dword], boolean),
        "QueryInformationJobObject": ([handle, ctypes.c_int, ctypes.c_void_p, dword, ctypes.c_void_p], boolean),
        "AssignProcessToJobObject": ([handle, handle], boolean),
        "TerminateJobObject": ([handle, ctypes.c_uint], boolean),
        "OpenProcess": ([dword, boolean, dword], handle),
        "CloseHandle": ([handle], boolean),
        "GenerateConsoleCtrlEvent": ([dword, dword], boolean),
        "GetConsoleWindow": ([], wintypes.HWND),
    }
    calls = {}
    for name, (argtypes, restype) in signatures.items():
        function = getattr(dll, name)
        function.argtypes, function.restype = argtypes, restype
        calls[name] = _as_int(function)
    real: Kernel32 = type("Kernel32", (), {name: staticmethod(f) for name, f in calls.items()})()
    return real


def _as_int(function: Any) -> Any:  # pragma: no cover - Windows only
    def call(*args: Any) -> int:
        result = function(*args)
        return int(result or 0)  # a NULL HANDLE comes back as None

    return call


def default_jobs() -> Jobs | None:
    """The jobs of this platform: Windows' kernel32, or None (POSIX process groups do that job)."""
    if sys.platform != "win32":
        return None
    try:
        return Jobs(windows_kernel32())
    except OSError as exc:  # pragma: no cover - Windows only
        log.warning("no job objects: %s", exc)
        return None
