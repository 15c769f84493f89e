"""Windows: the value VouchDesktop under HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run."""

from __future__ import annotations

import subprocess
import sys
from typing import Protocol

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
VALUE_NAME = "VouchDesktop"


class RegistryBackend(Protocol):
    def get(self, key: str, name: str) -> str | None: ...
    def set(self, key: str, name: str, value: str) -> None: ...
    def delete(self, key: str, name: str) -> None: ...


class WinRegistry:
    """The current user's registry (only usable on Windows: ``autostart_for`` builds it there alone).

    Each method checks the platform first, which also tells a type checker on another OS to leave
    ``winreg``'s Windows-only names alone.
    """

    def get(self, key: str, name: str) -> str | None:
        if sys.platform != "win32":
            raise OSError("The Windows registry exists only on Windows.")
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:
                return winreg.QueryValueEx(handle, name)[0]
        except FileNotFoundError:
            return None

    def set(self, key: str, name: str, value: str) -> None:
        if sys.platform != "win32":
            raise OSError("The Windows registry exists only on Windows.")
        import winreg

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, key) as handle:
            winreg.SetValueEx(handle, name, 0, winreg.REG_SZ, value)

    def delete(self, key: str, name: str) -> None:
        if sys.platform != "win32":
            raise OSError("The Windows registry exists only on Windows.")
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE) as handle:
                winreg.DeleteValue(handle, name)
        except FileNotFoundError:
            pass


class RunKey:
    def __init__(self, registry: RegistryBackend | None = None) -> None:
        self.registry = registry or WinRegistry()

    def value(self, command: list[str]) -> str:
        return subprocess.list2cmdline(command)

    def is_enabled(self) -> bool:
        return self.registry.get(RUN_KEY, VALUE_NAME) is not None

    def enable(self, command: list[str]) -> None:
        self.registry.set(RUN_KEY, VALUE_NAME, self.value(command))

    def disable(self) -> None:
        self.registry.delete(RUN_KEY, VALUE_NAME)

    def describe(self) -> str:
        return rf"HKEY_CURRENT_USER\{RUN_KEY}\{VALUE_NAME}"
