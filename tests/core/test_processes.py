"""Stopping a process group: clean shutdowns get their grace, stubborn members are killed, all reaped."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

import psutil

from vouch_desktop.core.system.processes import ProcessRegistry, ProcessTimeout, run

# the leader starts a helper in its group that needs a moment to shut down cleanly, then waits
LEADER = """
import subprocess, sys, time
helper = subprocess.Popen([sys.executable, "-c", '''
import signal, sys, time
def done(*_):
    time.sleep(0.5)
    open(sys.argv[1], "w").write("clean")
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
print("ready", flush=True)
time.sleep(60)
''', sys.argv[1]], stdout=subprocess.PIPE, text=True)
helper.stdout.readline()
print(helper.pid, flush=True)
time.sleep(60)
"""

STUBBORN = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('x', flush=True); time.sleep(60)"


def test_group_members_get_their_grace_then_nothing_is_left(tmp_path):
    marker = tmp_path / "helper-stopped"

    async def scenario():
        registry = ProcessRegistry()
        leader = await registry.spawn([sys.executable, "-c", LEADER, str(marker)], stdout=asyncio.subprocess.PIPE)
        helper_pid = int(await leader.stdout.readline())
        await leader.stop(grace=3)
        return leader.pid, helper_pid, registry.pids()

    leader_pid, helper_pid, left = asyncio.run(scenario())
    assert marker.read_text() == "clean"  # the helper's own SIGTERM handler ran to its end
    assert not psutil.pid_exists(leader_pid) and left == []
    deadline = time.monotonic() + 5
    while psutil.pid_exists(helper_pid) and psutil.Process(helper_pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace():
    async def scenario():
        registry = ProcessRegistry()
        child = await registry.spawn([sys.executable, "-c", STUBBORN], stdout=asyncio.subprocess.PIPE)
        await child.stdout.readline()
        started = time.monotonic()
        await registry.stop_all(grace=0.5)
        return child.pid, time.monotonic() - started

    pid, took = asyncio.run(scenario())
    assert not psutil.pid_exists(pid) and 0.4 < took < 5


def test_run_times_out_and_kills():
    async def scenario():
        try:
            await run([sys.executable, "-c", STUBBORN], timeout=0.5, registry=ProcessRegistry())
        except ProcessTimeout as exc:
            return exc.message
        return "no timeout"

    assert "did not answer within 0.5 s" in asyncio.run(scenario())


# the leader starts a helper in its group and exits at once, leaving the helper running
EARLY_LEADER = """
import subprocess, sys
helper = subprocess.Popen([sys.executable, "-c", '''
import signal, sys, time
def done(*_):
    open(sys.argv[1], "w").write("clean")
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
print("ready", flush=True)
time.sleep(60)
''', sys.argv[1]], stdout=subprocess.PIPE, text=True)
helper.stdout.readline()
print(helper.pid, flush=True)
"""


def test_a_group_whose_leader_exited_on_its_own_is_still_stopped_at_quit(tmp_path):
    marker = tmp_path / "helper-stopped"

    async def scenario():
        registry = ProcessRegistry()
        leader = await registry.spawn([sys.executable, "-c", EARLY_LEADER, str(marker)], stdout=asyncio.subprocess.PIPE)
        helper_pid = int(await leader.stdout.readline())
        assert await leader.wait() == 0  # the leader is gone and reaped...
        assert registry.pids() == [leader.pid]  # ...but its group lives on, so it stays registered
        assert psutil.Process(helper_pid).status() != psutil.STATUS_ZOMBIE
        await registry.stop_all(grace=3)
        return helper_pid, registry.pids()

    helper_pid, left = asyncio.run(scenario())
    assert left == []
    assert marker.read_text() == "clean"  # it got SIGTERM (and its grace), not only the final SIGKILL
    deadline = time.monotonic() + 5
    while psutil.pid_exists(helper_pid) and psutil.Process(helper_pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the helper outlived stop_all"
        time.sleep(0.05)


def test_a_leader_that_exits_alone_is_forgotten_once_reaped():
    async def scenario():
        registry = ProcessRegistry()
        child = await registry.spawn([sys.executable, "-c", "pass"])
        await child.wait()
        return registry.pids()

    assert asyncio.run(scenario()) == []


def test_once_the_stragglers_are_gone_the_group_is_never_signalled(tmp_path):
    """An empty group's number can be reused by anyone: it is not signalled, only forgotten."""
    marker = tmp_path / "helper-stopped"

    async def scenario():
        registry = ProcessRegistry()
        leader = await registry.spawn([sys.executable, "-c", EARLY_LEADER, str(marker)], stdout=asyncio.subprocess.PIPE)
        helper = psutil.Process(int(await leader.stdout.readline()))
        await leader.wait()
        assert leader.group_is_ours() and registry.pids() == [leader.pid]
        helper.kill()  # the straggler ends by itself (here: killed from outside)
        helper.wait(5)
        assert not leader.group_is_ours()
        await registry.stop_all(grace=3)
        return registry.pids()

    assert asyncio.run(scenario()) == []



CHATTY = """
import sys
for n in range(100_000):
    sys.stdout.write(f"stdout line {n}\\n")
    sys.stderr.write(f"stderr line {n}\\n")
sys.stdout.flush()
sys.stderr.write("the last words\\n")
sys.stderr.flush()
print("done", flush=True)
import time; time.sleep(60)
"""


def test_a_chatty_child_never_blocks_and_only_a_tail_is_kept():
    """Megabytes on both streams, read by nobody but the registry: the child runs on to its end."""

    async def scenario():
        registry = ProcessRegistry()
        child = await registry.spawn([sys.executable, "-c", CHATTY], tail=1000)
        deadline = asyncio.get_running_loop().time() + 30
        while child.tail_lines("stdout")[-1:] != ["done"]:
            assert asyncio.get_running_loop().time() < deadline, "the child blocked on its output"
            await asyncio.sleep(0.05)
        stdout, stderr = child.tails["stdout"], child.tails["stderr"]
        await child.stop(grace=1)
        return stdout.total, stderr.total, len(stdout.text()), child.tail_lines("stderr")

    out_total, err_total, kept, err_lines = asyncio.run(scenario())
    assert out_total > 1_500_000 and err_total > 1_500_000  # far beyond a pipe's and asyncio's buffers
    assert kept <= 1000 and err_lines[-1] == "the last words"


def test_a_stopped_child_is_ended_by_sigterm_without_waiting_for_the_kill():
    async def scenario():
        registry = ProcessRegistry()
        child = await registry.spawn([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"],
                                     stdout=asyncio.subprocess.PIPE)
        await child.stdout.readline()
        os.kill(child.pid, signal.SIGSTOP)
        started = time.monotonic()
        code = await child.stop(grace=5)
        return code, time.monotonic() - started

    code, took = asyncio.run(scenario())
    assert code == -signal.SIGTERM and took < 4  # not the SIGKILL after the 5 s grace
