"""New tunnel offers a bastion picker (issue #21): the managed instances discovery finds, off the UI
thread with a "looking…" state, bastion-like names first, unreachable ones greyed; picking one fills
the target and region; a tag filter can still be typed."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt

from tests.ui.tray_parts import make_tray_app
from vouch_desktop.core.storage.profiles import TunnelProfile
from vouch_desktop.demo.seed import REGIONS, seed_demo_world
from vouch_desktop.ui.windows.profile_dialogs import TunnelProfileDialog


def new_tunnel_dialog(app) -> TunnelProfileDialog:
    app.windows.profiles.edit_tunnel(None)
    return next(w for w in app.windows.keeper.open_windows if isinstance(w, TunnelProfileDialog))


def test_the_bastion_picker_offers_discovered_managed_instances(qapp, qloop, tmp_path, fake_vouch, aws_env,
                                                                fake_aws):
    seed_demo_world(fake_aws)
    app = make_tray_app(tmp_path, fake_vouch.path)
    service = app.service
    service.settings.current.aws_profile, service.settings.current.regions = aws_env, list(REGIONS)
    gate = asyncio.Event()
    real_discover = service.discovery.discover

    async def gated(*args, **kwargs):
        await gate.wait()
        return await real_discover(*args, **kwargs)

    service.discovery.discover = gated

    async def settle(condition):
        while not condition():
            await asyncio.sleep(0.02)

    try:
        dialog = new_tunnel_dialog(app)
        picker = dialog.bastions
        qloop.run_until_complete(asyncio.sleep(0.05))
        assert picker.currentText() == "— looking for managed instances… —" and not picker.isEnabled()
        gate.set()
        qloop.run_until_complete(asyncio.wait_for(settle(picker.isEnabled), 30))
        names = [i.name for i in picker.instances]
        assert names[:3] == ["bastion-eu", "bastion-fra", "bastion-us"]  # bastions first
        assert "api-2" not in names  # not managed: not offered
        assert picker.currentText().startswith("— pick one of ") and "eu-central-1" in picker.currentText()
        model = picker.model()
        stopped = names.index("web-3")
        assert not model.item(stopped + 1).flags() & Qt.ItemFlag.ItemIsEnabled  # greyed, with the reason
        assert model.item(stopped + 1).text().endswith("instance is stopped")
        reachable = [i for i in picker.instances if i.connectable]
        assert picker.instances[: len(reachable)] == reachable  # those one can reach first
        fra = picker.instances[1]
        picker.setCurrentIndex(2)
        picker.activated.emit(2)  # the user picks bastion-fra
        assert dialog.target.text() == fra.instance_id and dialog.region.currentText() == "eu-central-1"
        # a tag filter still works: typed into the target field
        dialog.target.setText("Name=bastion-*")
        dialog.name.setText("via-any-bastion")
        dialog.remote_host.setText("db.example.com")
        dialog.try_save()
        saved = service.profiles.find("via-any-bastion")
        assert isinstance(saved, TunnelProfile) and saved.target == "Name=bastion-*"
        assert saved.region == "eu-central-1"
    finally:
        qloop.run_until_complete(service.tasks.cancel_all())
        app.windows.close_all()


def test_the_picker_says_why_when_discovery_fails(qapp, qloop, tmp_path, fake_vouch, aws_env, fake_aws):
    app = make_tray_app(tmp_path, fake_vouch.path)
    app.service.settings.current.aws_profile = "no-such-profile"
    try:
        dialog = new_tunnel_dialog(app)

        async def settle():
            while not dialog.bastions.isEnabled():
                await asyncio.sleep(0.02)

        qloop.run_until_complete(asyncio.wait_for(settle(), 30))
        text = dialog.bastions.currentText()
        assert text.startswith("— could not list instances: ") and "no-such-profile" in text
        assert dialog.target.isEnabled()  # typing the target by hand still works
    finally:
        qloop.run_until_complete(app.service.tasks.cancel_all())
        app.windows.close_all()
