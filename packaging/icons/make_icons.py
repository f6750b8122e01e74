"""Draw Hearth's app icon with Qt and write every size the installers need.

Run (no display needed):
    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/icons/make_icons.py

Writes next to this script:
    hearth-<N>.png   for N in 16 24 32 48 64 128 256 512 1024
    hearth.png       the 512 px image (Linux .desktop / AppImage icon)
    hearth.ico       Windows icon, 16..256 px, PNG-compressed entries
The macOS .icns is made on a Mac by packaging/macos/build_dmg.sh with iconutil
from these PNGs.

The motif: a stone hearth arch on a warm rounded square with a flame inside.
Everything is vector-drawn at the target size (no downscaling of one bitmap),
and the smallest sizes drop the stone joints so the flame stays readable.
"""
from __future__ import annotations

import math
import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import (QColor, QGuiApplication, QImage, QLinearGradient, QPainter,
                           QPainterPath, QPen, QRadialGradient)

HERE = Path(__file__).resolve().parent
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # 256 is the largest size an ICO entry can declare


def _flame(cx: float, base: float, w: float, h: float) -> QPainterPath:
    """A teardrop flame: round belly at `base`, a tip curling slightly right at base - h."""
    p = QPainterPath()
    p.moveTo(cx + w * 0.06, base - h)                       # tip
    p.cubicTo(cx + w * 0.30, base - h * 0.70,               # right flank
              cx + w * 0.55, base - h * 0.45,
              cx + w * 0.50, base - h * 0.22)
    p.cubicTo(cx + w * 0.46, base - h * 0.02,               # right belly
              cx + w * 0.22, base,
              cx, base)
    p.cubicTo(cx - w * 0.22, base,                          # left belly
              cx - w * 0.48, base - h * 0.04,
              cx - w * 0.50, base - h * 0.24)
    p.cubicTo(cx - w * 0.52, base - h * 0.42,               # left flank, with a small lick
              cx - w * 0.30, base - h * 0.52,
              cx - w * 0.22, base - h * 0.66)
    p.cubicTo(cx - w * 0.12, base - h * 0.50,
              cx - w * 0.05, base - h * 0.62,
              cx + w * 0.06, base - h)
    p.closeSubpath()
    return p


def draw(size: int) -> QImage:
    img = QImage(size, size, QImage.Format_ARGB32_Premultiplied)
    img.fill(Qt.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.Antialiasing)
    s = float(size)
    small = size <= 32

    # 1. Rounded square, deep ember red to dark brown (a small margin like platform icons).
    m = s * (0.04 if small else 0.06)
    tile = QRectF(m, m, s - 2 * m, s - 2 * m)
    bg = QLinearGradient(tile.topLeft(), tile.bottomLeft())
    bg.setColorAt(0.0, QColor("#8a2c14"))
    bg.setColorAt(1.0, QColor("#3b1a10"))
    p.setPen(Qt.NoPen)
    p.setBrush(bg)
    p.drawRoundedRect(tile, tile.width() * 0.22, tile.width() * 0.22)

    # 2. The hearth: a stone arch (outer arch minus the firebox opening).
    ax, aw = s * 0.5, s * (0.70 if small else 0.64)
    top, bottom = s * (0.18 if small else 0.20), s * (0.84 if small else 0.80)
    outer = QPainterPath()
    outer.moveTo(ax - aw / 2, bottom)
    outer.lineTo(ax - aw / 2, top + aw / 2)
    outer.arcTo(QRectF(ax - aw / 2, top, aw, aw), 180, -180)
    outer.lineTo(ax + aw / 2, bottom)
    outer.closeSubpath()
    iw = aw * 0.68
    itop = top + (aw - iw) / 2
    inner = QPainterPath()
    inner.moveTo(ax - iw / 2, bottom)
    inner.lineTo(ax - iw / 2, itop + iw / 2)
    inner.arcTo(QRectF(ax - iw / 2, itop, iw, iw), 180, -180)
    inner.lineTo(ax + iw / 2, bottom)
    inner.closeSubpath()
    stone = QLinearGradient(QPointF(0, top), QPointF(0, bottom))
    stone.setColorAt(0.0, QColor("#e9d8c4"))
    stone.setColorAt(1.0, QColor("#b59a80"))
    p.setBrush(stone)
    p.drawPath(outer.subtracted(inner))

    # 3. The firebox: dark, with an orange glow rising from the floor.
    glow = QRadialGradient(QPointF(ax, bottom), iw * 0.75)
    glow.setColorAt(0.0, QColor("#ff9a3c"))
    glow.setColorAt(0.55, QColor("#7a2a12"))
    glow.setColorAt(1.0, QColor("#2a120b"))
    p.setBrush(glow)
    p.drawPath(inner)

    # 4. Stone joints (only where there are enough pixels for them).
    if not small:
        pen = QPen(QColor(90, 60, 40, 110), max(1.0, s / 128))
        p.setPen(pen)
        p.setBrush(Qt.NoBrush)
        ring = (aw - iw) / 2
        for frac in (0.45, 0.72):                      # horizontal joints on both pillars
            y = top + aw / 2 + (bottom - top - aw / 2) * frac
            p.drawLine(QPointF(ax - aw / 2, y), QPointF(ax - iw / 2, y))
            p.drawLine(QPointF(ax + iw / 2, y), QPointF(ax + aw / 2, y))
        for deg in (30, 90, 150):                      # radial joints in the arch
            r0, r1 = iw / 2, iw / 2 + ring
            cy = top + aw / 2
            c, sn = math.cos(math.radians(deg)), math.sin(math.radians(deg))
            p.drawLine(QPointF(ax + r0 * c, cy - r0 * sn), QPointF(ax + r1 * c, cy - r1 * sn))
        p.setPen(Qt.NoPen)

    # 5. Hearth floor: a darker stone slab across the bottom.
    slab_h = s * 0.06
    slab = QRectF(ax - aw / 2 - s * 0.03, bottom - slab_h * 0.2, aw + s * 0.06, slab_h)
    p.setBrush(QColor("#8c735e"))
    p.drawRoundedRect(slab, slab_h * 0.3, slab_h * 0.3)

    # 6. The flame: outer orange/red, inner yellow, a pale core.
    base = bottom - slab_h * 0.1
    fh, fw = (bottom - itop) * 0.86, iw * 0.78
    outer_f = QLinearGradient(QPointF(0, base - fh), QPointF(0, base))
    outer_f.setColorAt(0.0, QColor("#ff6a1a"))
    outer_f.setColorAt(1.0, QColor("#e2360f"))
    p.setBrush(outer_f)
    p.drawPath(_flame(ax, base, fw, fh))
    mid_f = QLinearGradient(QPointF(0, base - fh * 0.7), QPointF(0, base))
    mid_f.setColorAt(0.0, QColor("#ffb22e"))
    mid_f.setColorAt(1.0, QColor("#ff8a1f"))
    p.setBrush(mid_f)
    p.drawPath(_flame(ax, base, fw * 0.62, fh * 0.68))
    if size >= 24:
        p.setBrush(QColor("#fff1b8"))
        p.drawPath(_flame(ax, base, fw * 0.30, fh * 0.36))
    p.end()
    return img


def png_bytes(img: QImage) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.WriteOnly)
    if not img.save(buf, "PNG"):
        raise RuntimeError("Qt could not encode PNG")
    buf.close()
    return bytes(data)


def write_ico(path: Path, images: dict[int, bytes]) -> None:
    """Write an ICO container whose entries are PNG streams (valid since Windows Vista).

    Layout: ICONDIR (6 bytes) + one ICONDIRENTRY (16 bytes) per image + the PNG data.
    A width/height byte of 0 means 256. Written by hand so the result does not depend
    on which Qt image plugins are installed, and so it holds every size in one file.
    """
    sizes = sorted(images)
    header = struct.pack("<HHH", 0, 1, len(sizes))          # reserved, type 1 = icon, count
    offset = 6 + 16 * len(sizes)
    entries, blobs = [], []
    for n in sizes:
        blob = images[n]
        dim = 0 if n >= 256 else n
        # width, height, palette colours, reserved, colour planes, bits per pixel, size, offset
        entries.append(struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset))
        blobs.append(blob)
        offset += len(blob)
    path.write_bytes(header + b"".join(entries) + b"".join(blobs))


def main() -> int:
    # QPainter on a QImage needs a Gui application object alive for the whole run.
    app = QGuiApplication.instance() or QGuiApplication(sys.argv)
    pngs: dict[int, bytes] = {}
    for n in PNG_SIZES:
        pngs[n] = png_bytes(draw(n))
        (HERE / f"hearth-{n}.png").write_bytes(pngs[n])
    (HERE / "hearth.png").write_bytes(pngs[512])
    write_ico(HERE / "hearth.ico", {n: pngs[n] for n in ICO_SIZES})
    print(f"[{app.applicationName() or 'make_icons'}] wrote {len(PNG_SIZES)} PNGs, hearth.png and hearth.ico to {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
