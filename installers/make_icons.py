"""Render resources/icons/app.svg into the icon files the installers need.

    python installers/make_icons.py OUT_DIR   →   app.png (256 px), app.ico (Windows), app.icns (macOS)

build.spec runs it, so every build has icons made from the one SVG.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

SOURCE = Path(__file__).resolve().parents[1] / "resources" / "icons" / "app.svg"
OUTPUTS = {"app.png": 256, "app.ico": 256, "app.icns": 512}  # .ico holds at most 256 px


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    return image


def main(out_dir: str) -> int:
    app = QGuiApplication([])  # noqa: F841  (image plugins need an application)
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"make_icons: cannot read {SOURCE}", file=sys.stderr)
        return 1
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, size in OUTPUTS.items():
        if not render(renderer, size).save(str(out / name)):
            print(f"make_icons: cannot write {out / name} (is Qt's image format plugin there?)", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    raise SystemExit(main(sys.argv[1]))
