"""The macOS menu-bar icon is a template image (issue #24.4): monochrome black with alpha, marked as a
mask (QIcon.isMask) so that macOS tints it for a light or dark menu bar; each state keeps a shape of its
own (its mark is cut out of the shield), and the tunnels badge stays visible. Elsewhere the coloured
icons are unchanged."""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtGui import QImage

from vouch_desktop.ui import tray as tray_module
from vouch_desktop.ui.icons import SIZES, STATE_ICONS, template_wanted, tray_icon
from vouch_desktop.ui.tray import TrayIcon


def image(icon, size: int = 64) -> QImage:
    return icon.pixmap(size, size).toImage().convertToFormat(QImage.Format.Format_ARGB32)


def alpha_mask(picture: QImage) -> list[int]:
    return [picture.pixelColor(x, y).alpha() for y in range(picture.height()) for x in range(picture.width())]


@pytest.mark.parametrize("state", STATE_ICONS)
@pytest.mark.parametrize("tunnels_up", [False, True])
def test_a_template_is_black_with_alpha_and_marked_as_a_mask(qapp, state, tunnels_up):
    icon = tray_icon(state, tunnels_up, template=True)
    assert icon.isMask()
    assert sorted({s.width() for s in icon.availableSizes()}) == sorted(SIZES)
    for size in SIZES:
        picture = image(icon, size)
        colours = {picture.pixelColor(x, y).rgb() & 0xFFFFFF for y in range(size) for x in range(size)
                   if picture.pixelColor(x, y).alpha() > 0}
        assert colours == {0}, (state, size)  # monochrome: the menu bar gives it its colour
        opaque = sum(a > 128 for a in alpha_mask(picture))
        assert 0.25 < opaque / (size * size) < 0.9  # a shape, neither empty nor a filled square


def test_the_mark_is_cut_out_of_the_shield(qapp):
    valid = image(tray_icon("valid", template=True))
    assert valid.pixelColor(32, 10).alpha() == 255  # the shield's body
    assert valid.pixelColor(29, 40).alpha() == 0  # the check mark, cut out
    assert valid.pixelColor(2, 2).alpha() == 0  # outside the shield
    badge = image(tray_icon("valid", True, template=True))
    assert badge.pixelColor(45, 44).alpha() == 255 and badge.pixelColor(50, 50).alpha() == 0  # the arrow, cut out


def test_every_state_and_the_badge_keep_a_shape_of_their_own(qapp):
    masks = {(state, up): alpha_mask(image(tray_icon(state, up, template=True)))
             for state in STATE_ICONS for up in (False, True)}
    for (a, mask_a), (b, mask_b) in itertools.combinations(masks.items(), 2):
        differing = sum(abs(x - y) > 128 for x, y in zip(mask_a, mask_b, strict=True))
        assert differing > 40, (a, b)  # more than a few edge pixels apart: told apart at a glance


def test_coloured_icons_stay_for_other_platforms(qapp):
    icon = tray_icon("valid")
    assert not icon.isMask()
    picture = image(icon)
    assert picture.pixelColor(32, 20).green() > picture.pixelColor(32, 20).red()  # still green
    assert template_wanted("darwin") and not template_wanted("linux") and not template_wanted("win32")


@pytest.mark.parametrize("macos", [True, False])
def test_the_tray_shows_the_template_on_macos_only(qapp, monkeypatch, macos):
    monkeypatch.setattr(tray_module, "template_wanted", lambda: macos)
    tray = TrayIcon()
    try:
        tray.set_status("expiring", "Expiring soon")
        assert tray.icon.icon().isMask() == macos
        tray.theme.changed.emit(True)  # a dark menu bar: macOS tints the same template
        assert tray.icon.icon().isMask() == macos
    finally:
        tray.icon.hide()
        tray.menu.deleteLater()
        tray.deleteLater()
