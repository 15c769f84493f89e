"""Instance discovery in a process of its own, kept warm while the instance window is open.

botocore parses AWS's answers in pure Python, and in the app's process its threads and the UI thread
take turns for the GIL: with 5,000 instances the UI stalled for 100-300 ms at a time (measured with
benchmarks/discovery.py; smaller page or row chunks did not cure it: a page's XML is parsed in one C call
that holds the GIL, and a parsing thread the OS preempts holds it too). In a worker process the same
``InstanceDiscovery`` (threads, each region reported as it is done, a silent region after 10 s) runs on
its own AwsSessions, and the app only reads each region's finished records: a few milliseconds.

The app and the worker talk over the worker's stdin and stdout, in frames (4-byte length, then JSON):
the worker says ``{"hello": PROTOCOL}`` once it is ready; a request is ``{"id", "op": "instances",
"profile", "regions"}`` (answered by ``{"id", "region", "instances", "failure"}`` per region and
``{"id", "done": true}``) or ``{"op": "forget", "profile"}`` (a new login: credentials are read again).
The worker ends when its stdin closes, and with the app (process group, parent-death signal).

Whatever goes wrong with the worker (it cannot start, dies, goes silent, speaks another protocol), the
regions it has not reported are listed in the app's own process the old way: the list always comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import struct
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, fields
from typing import IO, Any

from vouch_desktop.core.aws.discovery import SILENCE_LIMIT, DiscoveredInstance, RegionFailure
from vouch_desktop.core.system.own_command import own_command
from vouch_desktop.core.system.processes import ManagedProcess, OutputTail, ProcessRegistry

log = logging.getLogger(__name__)
PROTOCOL = 1
FIELDS = [f.name for f in fields(DiscoveredInstance)]  # a record is these, in this order
START_LIMIT = 30.0  # from spawn to "hello" (Python, botocore and the models, on a loaded machine)
ALIVE_EVERY = 1.0  # while a request runs, the worker says it is alive this often
ANSWER_LIMIT = SILENCE_LIMIT  # no word for this long: the worker is wedged (it reports silent regions itself)
LINGER = 60.0  # kept this long after the window closes, in case it opens again
HEADER = struct.Struct(">I")
NICE = 5  # the worker's priority below the app's (POSIX nice)

RegionReport = Callable[[str, list[DiscoveredInstance], RegionFailure | None], None]


class WorkerFailed(Exception):
    """The worker could not start, or stopped answering: the caller lists what is left itself."""


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode()
    return HEADER.pack(len(body)) + body


def record(instance: DiscoveredInstance) -> list[Any]:
    return [getattr(instance, name) for name in FIELDS]


def instance(values: list[Any]) -> DiscoveredInstance:
    return DiscoveredInstance(*values)


class DiscoveryWorker:
    """The app's side: starts the worker when the user heads for the instance window (``warm``), when the
    window opens (``hold``: kept while it is open) or for a request, and stops it ``linger`` s after the last
    ``release``, warm-up or request."""

    def __init__(self, processes: ProcessRegistry, command: Sequence[str] | None = None, *,
                 linger: float = LINGER, start_limit: float = START_LIMIT, answer_limit: float = ANSWER_LIMIT) -> None:
        self.processes = processes
        self.command = list(command) if command is not None else [*own_command(), "discovery-worker"]
        self.linger, self.start_limit, self.answer_limit = linger, start_limit, answer_limit
        self.process: ManagedProcess | None = None
        self._ready: asyncio.Future[ManagedProcess] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._stderr: OutputTail | None = None
        self._answers: dict[int, asyncio.Queue[dict[str, Any] | None]] = {}
        self._ids = itertools.count(1)
        self._holds = 0
        self._stop_timer: asyncio.TimerHandle | None = None

    # ---------------------------------------------------------------- keeping it warm
    def hold(self) -> None:
        """Start the worker now (if it is not running) and keep it until ``release``."""
        self._holds += 1
        self._cancel_stop()
        self._start()

    def release(self) -> None:
        self._holds = max(0, self._holds - 1)
        self._stop_later()

    def warm(self) -> None:
        """The user is on the way to the instance window (its submenu opened): start the worker now, so that
        it is ready when the window asks; unless held by then, it stops ``linger`` s later."""
        self._start()
        self._stop_later()

    def _cancel_stop(self) -> None:
        if self._stop_timer is not None:
            self._stop_timer.cancel()
            self._stop_timer = None

    def _stop_later(self) -> None:
        if self._holds == 0 and not self._answers and self._ready is not None:
            self._cancel_stop()
            self._stop_timer = asyncio.get_running_loop().call_later(
                self.linger, lambda: asyncio.ensure_future(self.stop()))

    def _start(self) -> asyncio.Future[ManagedProcess]:
        if self._ready is None:
            self._ready = asyncio.ensure_future(self._spawn())
            self._ready.add_done_callback(lambda future: future.cancelled() or future.exception())  # seen in use
        return self._ready

    async def _spawn(self) -> ManagedProcess:
        try:
            process = await self.processes.spawn(self.command, stdin=asyncio.subprocess.PIPE,
                                                 stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        except Exception as exc:  # not found, not executable: a VouchDesktopError
            self._ready = None
            log.warning("discovery worker cannot be started: %s", exc)
            raise WorkerFailed("the discovery worker cannot be started") from exc
        self.process = process
        assert process.stderr is not None and process.stdout is not None
        self._stderr = OutputTail(process.stderr, 4096)  # its log lines, for our log when it fails
        try:
            hello = await asyncio.wait_for(self._read(process.stdout), self.start_limit)
        except (TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            await self._fail(process, f"did not start ({type(exc).__name__})")
            raise WorkerFailed("the discovery worker did not start") from exc
        if hello.get("hello") != PROTOCOL:
            await self._fail(process, f"speaks protocol {hello.get('hello')!r}, not {PROTOCOL}")
            raise WorkerFailed("the discovery worker speaks another protocol")
        self._reader = asyncio.ensure_future(self._dispatch(process))
        log.info("discovery worker %s ready", process.pid)
        return process

    @staticmethod
    async def _read(stream: asyncio.StreamReader) -> dict[str, Any]:
        (size,) = HEADER.unpack(await stream.readexactly(HEADER.size))
        message = json.loads(await stream.readexactly(size))
        if not isinstance(message, dict):
            raise ValueError("not a message")
        return message

    async def _dispatch(self, process: ManagedProcess) -> None:
        assert process.stdout is not None
        try:
            while True:
                message = await self._read(process.stdout)
                queue = self._answers.get(message.get("id", -1))
                if queue is not None:
                    queue.put_nowait(message)
        except (asyncio.IncompleteReadError, ValueError, ConnectionError) as exc:
            if process is self.process:
                log.warning("discovery worker %s stopped answering (%s)%s", process.pid, type(exc).__name__,
                            self._last_words())
        finally:
            for queue in self._answers.values():
                queue.put_nowait(None)  # every waiting request: the worker is gone

    def _last_words(self) -> str:
        lines = self._stderr.lines()[-5:] if self._stderr is not None else []
        return (": " + " | ".join(lines)) if lines else ""

    async def _fail(self, process: ManagedProcess, why: str) -> None:
        log.warning("discovery worker %s %s%s", process.pid, why, self._last_words())
        if process is self.process:
            self.process, self._ready = None, None
        await process.stop(grace=1.0)

    async def stop(self) -> None:
        """End the worker (closing its stdin ends it; the group is stopped if it does not)."""
        self._cancel_stop()
        ready, process, reader = self._ready, self.process, self._reader
        self._ready, self.process, self._reader = None, None, None
        if ready is not None and not ready.done():
            ready.cancel()
            with contextlib.suppress(BaseException):
                await ready
        if process is not None:
            if process.stdin is not None:
                process.stdin.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.process.wait(), 2.0)
            await process.stop(grace=1.0)
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    # ---------------------------------------------------------------- requests
    def forget(self, profile: str | None = None) -> None:
        """A new login (or settings): the worker drops its sessions, so credentials are read again."""
        process = self.process
        if process is not None and process.stdin is not None and self._reader is not None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                process.stdin.write(encode({"op": "forget", "profile": profile}))

    async def instances(self, profile: str, regions: list[str],
                        on_region: RegionReport) -> list[str]:
        """Lists ``regions`` in the worker, calling ``on_region`` for each as it comes; returns the regions it
        did not report (all of them when it could not start), for the caller to list itself."""
        left = list(regions)
        request = next(self._ids)
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._answers[request] = queue
        self._cancel_stop()
        try:
            process = await self._start()
            assert process.stdin is not None
            process.stdin.write(encode({"id": request, "op": "instances", "profile": profile, "regions": regions}))
            await process.stdin.drain()
            while left:
                message = await asyncio.wait_for(queue.get(), self.answer_limit)
                if message is None:
                    raise WorkerFailed("the discovery worker stopped")
                if message.get("done"):
                    break
                if "region" not in message:  # "alive"
                    continue
                region = message["region"]
                failure = message.get("failure")
                on_region(region, [instance(values) for values in message.get("instances") or []],
                          RegionFailure(**failure) if failure else None)
                if region in left:
                    left.remove(region)
        except Exception as exc:  # whatever it is, the regions left are listed in the app's process
            if self.process is not None:  # gone or wedged: stopped (reaped); the next request starts another
                await self._fail(self.process, f"failed a request ({type(exc).__name__}: {exc})")
            log.warning("discovery in the worker failed (%s); listing %s in the app", exc, ", ".join(left))
            return left
        finally:
            del self._answers[request]
            self._stop_later()
        return left


# ---------------------------------------------------------------- the worker process
def serve() -> int:
    """``vouch-desktop discovery-worker``: answers requests on stdin until it closes."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    if hasattr(os, "nice"):  # background work: where the CPU is short, the app's UI thread goes first
        os.nice(NICE)
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not corrupt the frames
    from vouch_desktop.core.aws.discovery import InstanceDiscovery
    from vouch_desktop.core.aws.sessions import AwsSessions

    aws = AwsSessions()
    aws.warm_up(("ssm", "ec2"))  # botocore and the models, before the first request
    out.write(encode({"hello": PROTOCOL}))
    out.flush()
    return asyncio.run(_serve(InstanceDiscovery(aws), aws, sys.stdin.buffer, out))


async def _serve(discovery: Any, aws: Any, stdin: IO[bytes], out: IO[bytes]) -> int:
    loop = asyncio.get_running_loop()
    requests: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    def read_requests() -> None:  # a thread: stdin is a pipe, read blocking
        try:
            while header := stdin.read(HEADER.size):
                (size,) = HEADER.unpack(header)
                loop.call_soon_threadsafe(requests.put_nowait, json.loads(stdin.read(size)))
        finally:
            loop.call_soon_threadsafe(requests.put_nowait, None)

    def send(message: dict[str, Any]) -> None:
        out.write(encode(message))
        out.flush()

    async def answer(request: dict[str, Any]) -> None:
        ident = request["id"]

        def on_region(region: str, found: list[DiscoveredInstance], failure: RegionFailure | None) -> None:
            send({"id": ident, "region": region, "instances": [record(i) for i in found],
                  "failure": None if failure is None else asdict(failure)})  # read back as RegionFailure(**…)

        async def alive() -> None:
            while True:
                await asyncio.sleep(ALIVE_EVERY)
                send({"id": ident, "alive": True})

        heartbeat = asyncio.ensure_future(alive())
        try:
            await discovery.discover(request["profile"], list(request["regions"]), on_region)
        finally:
            heartbeat.cancel()
            send({"id": ident, "done": True})

    reader = loop.run_in_executor(None, read_requests)
    running: set[asyncio.Task[None]] = set()
    while (request := await requests.get()) is not None:
        if request.get("op") == "forget":
            aws.forget(request.get("profile"))
        elif request.get("op") == "instances":
            task = asyncio.ensure_future(answer(request))
            running.add(task)
            task.add_done_callback(running.discard)
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)
    reader.cancel()
    return 0
