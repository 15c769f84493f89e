"""Deleting or renaming the profile of a running tunnel stops that tunnel first (issue 15.6), so none
keeps listening where no menu, `tunnel list` or `tunnel down` can reach it."""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import replace

import psutil
import pytest

from tests.core import test_tunnels
from tests.core.test_tunnels import DB_HOST, make_manager, wait_state
from tests.fixtures.waiting import until
from vouch_desktop.core.storage.profiles import ProfileBook, TunnelProfile
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.core.tunnels.state import TunnelState

tunnel_world = test_tunnels.tunnel_world  # the tunnel tests' fake world (fixture), used as it is


def port_refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


@pytest.mark.parametrize("backend", ["plugin", "builtin"])
@pytest.mark.parametrize("change", ["delete", "rename", "reload a file without it", "replace all without it"])
def test_a_running_tunnels_profile_going_away_stops_the_tunnel(tunnel_world, tmp_path, change, backend):
    fake_aws, target, plugin = tunnel_world
    paths = AppPaths.under(tmp_path / "app").ensure()
    book = ProfileBook(paths)
    book.load()
    profile = TunnelProfile("orders", target, 5432, "eu-west-1", remote_host=DB_HOST, aws_profile="test")
    book.add(profile)
    book.add(replace(profile, name="other"))

    async def scenario():
        manager, events = make_manager(plugin, backend=lambda: backend)
        book.removing.connect(manager.retire)  # as the composition root wires them
        await manager.start(profile)
        await manager.start(book.find("other"))
        status = await wait_state(manager, "orders", TunnelState.UP)
        other = await wait_state(manager, "other", TunnelState.UP)
        pids = manager.pids()
        if change == "delete":
            book.delete("orders")
        elif change == "rename":
            book.update("orders", replace(profile, name="orders-eu"))
        elif change == "replace all without it":  # an import applied in the app
            book.replace_all(list(book.instances), [t for t in book.tunnels if t.name != "orders"])
        else:  # another process (a profile import, a hand edit) rewrote the file; the app reloads it
            data = json.loads(paths.profiles_file.read_text())
            data["tunnels"] = [t for t in data["tunnels"] if t["name"] != "orders"]
            paths.profiles_file.write_text(json.dumps(data))
            book.load()
        assert "orders" not in [s.name for s in manager.statuses()]  # at once: no list shows it any more
        await until(lambda: port_refuses(status.local_port), 10, what="the port closed")
        await until(lambda: [s.target for s in fake_aws.active_sessions()] == [target], 10, what="session ended")
        left = manager.pids()
        assert manager.status("other").state is TunnelState.UP  # the others run on
        assert not port_refuses(other.local_port)
        await manager.stop_all()
        return pids, left, events

    pids, left, events = asyncio.run(scenario())
    if backend == "plugin":
        assert len(pids) == 2 and len(left) == 1 and left[0] in pids
        gone = set(pids) - set(left)
        assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in gone)
    stops = [data for kind, data in events if kind == "tunnel_stop" and data["profile"] == "orders"]
    assert [s["message"] for s in stops] == ["stopped: its profile was deleted or renamed"]


def test_deleting_a_stopped_or_unknown_tunnels_profile_is_quiet(tunnel_world, tmp_path):
    fake_aws, target, plugin = tunnel_world
    book = ProfileBook(AppPaths.under(tmp_path / "app").ensure())
    book.load()
    book.add(TunnelProfile("orders", target, 5432, "eu-west-1", remote_host=DB_HOST))

    async def scenario():
        manager, events = make_manager(plugin)
        book.removing.connect(manager.retire)
        book.delete("orders")
        await manager.stop_all()
        return events

    assert asyncio.run(scenario()) == []
