"""A file only its owner can open, on Windows: a protected DACL with one entry, OWNER RIGHTS full control.

POSIX modes do not reach Windows' access checks (``os.chmod`` only toggles the read-only flag), so the
control channel's token file gets an explicit access list: ``D:P(A;;FA;;;OW)`` in SDDL, protected (no
entry inherited from the folder) and granting full access to the file's owner and nobody else. The
folder (``%LOCALAPPDATA%\\Temp``) is the user's own already; this makes the file so wherever it lives.

The Win32 calls go through a small interface (``Advapi32``), so that tests here check what is asked of
Windows with a fake; ``windows_advapi32()`` is the real one (ctypes, Windows only).
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path
from typing import Any, Protocol

OWNER_ONLY_SDDL = "D:P(A;;FA;;;OW)"
SDDL_REVISION_1 = 1
SE_FILE_OBJECT = 1
DACL_SECURITY_INFORMATION = 0x00000004
PROTECTED_DACL_SECURITY_INFORMATION = 0x80000000


class Advapi32(Protocol):
    """The calls used here, spelled as Windows spells them (advapi32.dll, and LocalFree of kernel32)."""

    def ConvertStringSecurityDescriptorToSecurityDescriptorW(
            self, sddl: str, revision: int, descriptor: Any, size: Any) -> int: ...

    def GetSecurityDescriptorDacl(self, descriptor: Any, present: Any, dacl: Any,
                                  defaulted: Any) -> int: ...

    def SetNamedSecurityInfoW(self, name: str, object_type: int, what: int, owner: Any, group: Any,
                              dacl: Any, sacl: Any) -> int: ...

    def LocalFree(self, memory: Any) -> Any: ...


def restrict_to_owner(path: Path, api: Advapi32) -> None:
    """Give ``path`` an access list that lets only its owner in; ``OSError`` when Windows refuses."""
    descriptor = ctypes.c_void_p()
    if not api.ConvertStringSecurityDescriptorToSecurityDescriptorW(OWNER_ONLY_SDDL, SDDL_REVISION_1,
                                                                     ctypes.byref(descriptor), None):
        raise _last_error("an access list could not be made")
    try:
        present, defaulted, dacl = ctypes.c_int(), ctypes.c_int(), ctypes.c_void_p()
        if not api.GetSecurityDescriptorDacl(descriptor, ctypes.byref(present), ctypes.byref(dacl),
                                             ctypes.byref(defaulted)):
            raise _last_error("an access list could not be read")
        code = api.SetNamedSecurityInfoW(str(path), SE_FILE_OBJECT,
                                         DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                                         None, None, dacl, None)
        if code != 0:  # this one returns the error code itself
            raise OSError(code, f"its access list could not be set (Windows error {code})", str(path))
    finally:
        api.LocalFree(descriptor)


def _last_error(what: str) -> OSError:
    code = 0
    if sys.platform == "win32":
        code = ctypes.get_last_error()
    return OSError(code, f"{what} (Windows error {code})")


def windows_advapi32() -> Advapi32:  # pragma: no cover - Windows only
    """advapi32 with the argument and result types set (handles are pointers: 64 bits wide)."""
    if sys.platform != "win32":
        raise OSError("advapi32 is a Windows library")
    from ctypes import wintypes

    advapi = ctypes.WinDLL("advapi32", use_last_error=True)
    kernel = ctypes.WinDLL("kernel32", use_last_error=True)
    convert = advapi.ConvertStringSecurityDescriptorToSecurityDescriptorW
    convert.argtypes = [wintypes.LPCWSTR, wintypes.DWORD, ctypes.POINTER(ctypes.c_void_p),
                        ctypes.POINTER(wintypes.ULONG)]
    convert.restype = wintypes.BOOL
    get_dacl = advapi.GetSecurityDescriptorDacl
    get_dacl.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_void_p),
                         ctypes.POINTER(ctypes.c_int)]
    get_dacl.restype = wintypes.BOOL
    set_info = advapi.SetNamedSecurityInfoW
    set_info.argtypes = [wintypes.LPWSTR, ctypes.c_int, wintypes.DWORD, ctypes.c_void_p, ctypes.c_void_p,
                         ctypes.c_void_p, ctypes.c_void_p]
    set_info.restype = wintypes.DWORD
    local_free = kernel.LocalFree
    local_free.argtypes = [ctypes.c_void_p]
    local_free.restype = ctypes.c_void_p

    class Real:
        ConvertStringSecurityDescriptorToSecurityDescriptorW = staticmethod(convert)
        GetSecurityDescriptorDacl = staticmethod(get_dacl)
        SetNamedSecurityInfoW = staticmethod(set_info)
        LocalFree = staticmethod(local_free)

    return Real()


def make_private(path: Path) -> None:
    """Only this user may read ``path``: mode 0600 on POSIX, the owner-only access list on Windows."""
    if sys.platform == "win32":
        restrict_to_owner(path, windows_advapi32())
    else:
        os.chmod(path, 0o600)
