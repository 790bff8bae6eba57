"""QR-code posters for stairwells: a pledge's title, where it applies, and a QR code that opens
it in the bot (a `t.me/<bot>?start=pledge_12` deep link), as a PNG to print on A4.

Chinese needs a CJK font. We look for one on the system (fontconfig, then the usual Debian
paths of fonts-wqy-microhei / fonts-noto-cjk); without one the poster still works: the QR code
and a Latin caption, with the Chinese lines left out rather than printed as empty boxes.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from functools import cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1240, 1754  # A4 at 150 dpi
MARGIN = 90
KNOWN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
)
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def cjk_font_path() -> str | None:
    """A font file that has Chinese glyphs, or None."""
    if shutil.which("fc-list"):
        try:
            found = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True,
                                   text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            found = ""
        for line in sorted(found.splitlines()):
            path = line.split(":")[0].strip()
            if path and Path(path).exists():
                return path
    return next((p for p in KNOWN_FONTS if Path(p).exists()), None)


def _font(size: int) -> tuple[Font, bool]:
    """(font, has CJK glyphs)."""
    path = cjk_font_path()
    if path is not None:
        return ImageFont.truetype(path, size), True
    return ImageFont.load_default(size=size), False


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int) -> list[str]:
    """Break text into lines that fit `width` pixels, character by character (CJK has no
    spaces to break at)."""
    lines: list[str] = []
    line = ""
    for char in text:
        if char == "\n" or draw.textlength(line + char, font=font) > width:
            lines.append(line)
            line = "" if char == "\n" else char
        else:
            line += char
    if line:
        lines.append(line)
    return lines


def _centered(draw: ImageDraw.ImageDraw, y: int, lines: list[str], font: Font,
              size: int) -> int:
    for line in lines:
        width = draw.textlength(line, font=font)
        draw.text(((WIDTH - width) / 2, y), line, font=font, fill="black")
        y += int(size * 1.35)
    return y


def poster_png(*, title: str, link: str, place: str = "", caption: str = "",
               latin_caption: str = "Scan to read and sign") -> bytes:
    """The poster as PNG bytes: title, place, QR code of `link`, caption, the link in print."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    big, cjk = _font(72)
    medium, _ = _font(44)
    small, _ = _font(30)
    y = MARGIN
    if cjk or title.isascii():
        y = _centered(draw, y, _wrap(draw, title, big, WIDTH - 2 * MARGIN)[:4], big, 72)
    if place and (cjk or place.isascii()):
        y = _centered(draw, y + 10, [place], medium, 44)
    qr = qrcode.QRCode(border=2, box_size=10, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(link)
    qr.make(fit=True)
    code = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    side = WIDTH - 4 * MARGIN
    code = code.resize((side, side), Image.Resampling.NEAREST)
    top = max(y + 40, (HEIGHT - side) // 2)
    image.paste(code, ((WIDTH - side) // 2, top))
    y = top + side + 40
    lines = [caption] if caption and (cjk or caption.isascii()) else []
    y = _centered(draw, y, lines + [latin_caption], medium, 44)
    _centered(draw, y + 10, [link], small, 30)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
