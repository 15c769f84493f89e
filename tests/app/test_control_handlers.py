"""The control socket's handlers on the application service, without Qt or a display: each typed
request answered, errors as typed failures, and a `connect` that needs a choice answered at once
while the choice is made on the (fake) desktop."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.app.parts import FakeDesktop, make_service
from vouch_desktop.core.app.control import ControlHandlers
from vouch_desktop.core.aws.discovery import DiscoveredInstance
from vouch_desktop.core.storage.profiles import InstanceProfile, TunnelProfile, UnknownProfile
from vouch_desktop.core.system.ipc import IpcServer
from vouch_desktop.core.system.ipc_client import send_request
from vouch_desktop.core.system.ipc_protocol import (
    Connect,
    Connected,
    ConnectOutcome,
    Done,
    ErrorKind,
    Failure,
    GetStatus,
    ListTunnels,
    Quit,
    ReloadProfiles,
    ShowConnectPalette,
    ShowMenu,
    Status,
    TunnelDown,
    TunnelRow,
    Tunnels,
    encode_request,
)

WEB = [DiscoveredInstance("i-0000000000000000a", "eu-west-1", "web-1", "running", managed=True, ping_status="Online",
                          tags={"Name": "web-1"}),
       DiscoveredInstance("i-0000000000000000b", "eu-west-1", "web-2", "running", managed=True, ping_status="Online",
                          tags={"Name": "web-2"})]


@pytest.fixture
def service(tmp_path, fake_vouch):
    service = make_service(tmp_path, fake_vouch.path)
    service.profiles.add(InstanceProfile("web", "Name=web-*", "eu-west-1"))
    service.profiles.add(InstanceProfile("box", "i-0123456789abcdef0", "eu-west-1"))
    service.profiles.add(TunnelProfile("orders", "i-0123456789abcdef0", 5432, "eu-west-1", "db.example.com",
                                       local_port=15432, group="prod"))
    return service


def answer(service, desktop, request):
    return asyncio.run(ControlHandlers(service, desktop).handlers().answer(encode_request(request)))


def test_status_and_tunnels(service, fake_vouch):
    fake_vouch.log_in(3600, email="a@b.c")
    desktop = FakeDesktop()

    async def scenario():
        await service.monitor.refresh_now()
        handlers = ControlHandlers(service, desktop).handlers()
        status = await handlers.answer(encode_request(GetStatus()))
        listed = await handlers.answer(encode_request(ListTunnels()))
        down = await handlers.answer(encode_request(TunnelDown("prod")))
        return status, listed, down

    status, listed, down = asyncio.run(scenario())
    assert isinstance(status, Status) and status.logged_in and status.email == "a@b.c"
    assert status.state == "valid" and status.key == "YubiKey: unknown"  # the key watch has not run
    assert status.tunnels == [TunnelRow("orders", "stopped", 15432, "")]
    assert listed == Tunnels([TunnelRow("orders", "stopped", 15432, "")]) and down == listed


def test_unknown_profiles_are_typed_failures(service):
    for request in (Connect("nope"), TunnelDown("nope")):
        reply = answer(service, FakeDesktop(), request)
        assert isinstance(reply, Failure) and reply.kind is ErrorKind.UNKNOWN_PROFILE
        assert "nope" in reply.error and "Known:" in reply.advice


def test_show_reload_and_quit_go_to_the_desktop(service):
    desktop = FakeDesktop()
    assert answer(service, desktop, ShowMenu()) == Done() and desktop.menus == 1
    assert answer(service, desktop, ShowConnectPalette()) == Done() and desktop.palettes == 1
    assert answer(service, desktop, ReloadProfiles()) == Done()
    assert answer(service, desktop, Quit()) == Done() and desktop.quits == 1


def test_connect_to_one_instance_opens_it(service):
    reply = answer(service, FakeDesktop(), Connect("box"))
    assert reply == Connected(ConnectOutcome.OPENED, "box (i-0123456789abcdef0) · SSM", "i-0123456789abcdef0")
    assert service.connector.opened == [("box", "i-0123456789abcdef0")]
    service.discovery.matches = WEB[:1]  # a tag filter with one match needs no choice
    assert answer(service, FakeDesktop(), Connect("web")).target == WEB[0].instance_id


def test_a_tag_filter_with_no_match_is_a_failure(service):
    reply = answer(service, FakeDesktop(), Connect("web"))
    assert isinstance(reply, Failure) and reply.error == "No connectable instance matches Name=web-* in eu-west-1."


def test_connect_that_needs_a_choice_answers_at_once_then_connects_when_chosen(service):
    service.discovery.matches = WEB
    desktop = FakeDesktop(answer=WEB[1])
    folder = tempfile.mkdtemp(prefix="vd-", dir="/tmp")
    path = Path(folder) / "app.sock"

    async def scenario():
        desktop.answered = asyncio.Event()
        server = IpcServer(path, ControlHandlers(service, desktop).handlers())
        await server.start()
        try:
            reply = await asyncio.to_thread(send_request, path, Connect("web"), timeout=5)
            # the user has not chosen yet: the socket is free for other requests meanwhile
            assert desktop.asked == [[i.instance_id for i in WEB]] and service.connector.opened == []
            listed = await asyncio.to_thread(send_request, path, ListTunnels(), timeout=5)
            desktop.answered.set()  # "the user" picks web-2
            while service.tasks.running:
                await asyncio.sleep(0.01)
        finally:
            await server.close()
        return reply, listed

    try:
        reply, listed = asyncio.run(scenario())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert reply.outcome is ConnectOutcome.CHOOSING
    assert reply.message == "2 instances match Name=web-*: choose the instance in the window that opened."
    assert listed.tunnels[0].name == "orders"
    assert service.connector.opened == [("web", WEB[1].instance_id)]


def test_a_choice_declined_opens_nothing_and_a_failure_after_it_reaches_the_desktop(service):
    service.discovery.matches = WEB
    declined = FakeDesktop(answer=None)

    async def choose_then(desktop):
        reply = await ControlHandlers(service, desktop).handlers().answer(encode_request(Connect("web")))
        while service.tasks.running:
            await asyncio.sleep(0.01)
        return reply

    assert asyncio.run(choose_then(declined)).outcome is ConnectOutcome.CHOOSING
    assert service.connector.opened == [] and declined.errors == []

    async def broken(profile, settings, target):
        raise UnknownProfile("the profile went away meanwhile")

    service.connector.connect_to = broken
    failing = FakeDesktop(answer=WEB[0])
    asyncio.run(choose_then(failing))
    assert [(title, error.message) for title, error in failing.errors] == [
        ("Connect to web", "the profile went away meanwhile")]
