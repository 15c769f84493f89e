"""asyncio without OpenSSL until something needs TLS.

``import asyncio`` imports ``ssl``, and with it OpenSSL (libssl, libcrypto and their set-up: ~4 MB
resident, measured in docs/performance.md), although an idle tray icon opens no TLS connection: AWS is
reached through botocore (which imports ``ssl`` itself when the first client is made) and the built-in
tunnels' websocket is opened long after start-up. asyncio is written for a Python without ``ssl`` (each
of its modules does ``try: import ssl except ImportError: ssl = None``), so the app imports it while
``ssl`` cannot be imported, then puts ``ssl`` back; the first ``import ssl`` anywhere afterwards (in any
thread) completes asyncio's TLS support before that import returns: its modules get the real module and
``asyncio.sslproto`` is executed again with it, exactly as a normal import would have left them.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:  # importlib.abc imports importlib.resources (~1 MB): the finder and loader below are duck-typed
    import importlib.abc

_lock = threading.Lock()
# the Pythons whose asyncio was checked to import without ssl and to be completed afterwards (each module's
# `ssl` global, the protocol classes in sslproto): TLS client, server and STARTTLS after ssl came in the main
# thread or another — tests/core/test_deferred_ssl.py with the project's Python (3.11), the same probe without
# websockets by hand on 3.12.1 and 3.13.0. Any other Python gets a plain import.
CHECKED_PYTHONS = ((3, 11), (3, 12), (3, 13))


def import_asyncio_without_ssl() -> bool:
    """Import asyncio now, leaving OpenSSL out until ``ssl`` is first imported (True); a plain import (False)
    when asyncio or ssl is loaded already (then asyncio has, or gets, what it needs), on a Python not checked
    for it, or when asyncio does not come out as expected (then ssl is imported and asyncio completed at once)."""
    if "asyncio" in sys.modules or "ssl" in sys.modules or sys.version_info[:2] not in CHECKED_PYTHONS:
        import asyncio  # noqa: F401

        return False
    sys.modules["ssl"] = None  # type: ignore[assignment]  # makes `import ssl` raise ImportError
    try:
        import asyncio  # noqa: F401  (every submodule: asyncio's __init__ imports them all)
    except ImportError:  # an asyncio that needs ssl after all: start again, the normal way
        for name in [n for n in sys.modules if n == "asyncio" or n.startswith("asyncio.")]:
            del sys.modules[name]
    finally:
        del sys.modules["ssl"]
    sslproto = sys.modules.get("asyncio.sslproto")
    if sslproto is None or getattr(sslproto, "ssl", False) is not None:
        import asyncio  # noqa: F401, F811  (again, if it failed above)
        import ssl

        complete_asyncio(ssl)
        return False
    sys.meta_path.insert(0, _CompleteAsyncioOnSslImport())
    return True


def asyncio_has_ssl() -> bool:
    """Whether asyncio can make TLS connections (a normal import, or one completed since)."""
    sslproto = sys.modules.get("asyncio.sslproto")
    return sslproto is not None and getattr(sslproto, "ssl", None) is not None


def complete_asyncio(ssl: ModuleType) -> None:
    """Give asyncio's modules the real ``ssl``, as if it had been there when they were imported."""
    with _lock:
        if asyncio_has_ssl():
            return
        for name, module in list(sys.modules.items()):
            if name.startswith("asyncio.") and module is not None and getattr(module, "ssl", False) is None:
                module.ssl = ssl  # type: ignore[attr-defined]
        # its module-level definitions (SSLAgainErrors, the protocol classes) were skipped without ssl
        importlib.reload(sys.modules["asyncio.sslproto"])


class _CompleteAsyncioOnSslImport:
    """Lets the real finders find ``ssl``; once it has been executed, completes asyncio with it."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "ssl":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = cast("importlib.abc.Loader", _Completing(spec.loader))
                return spec
        return None


class _Completing:
    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        module.__loader__ = self.loader  # the real loader from now on (tracebacks read the source through it)
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        for finder in list(sys.meta_path):
            if isinstance(finder, _CompleteAsyncioOnSslImport):
                sys.meta_path.remove(finder)
        complete_asyncio(module)
