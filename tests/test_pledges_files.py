"""Exports read back by csv and openpyxl, long texts split for Telegram, and QR posters with and
without a Chinese font on the machine."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
from PIL import Image

from bot import posters
from bot.exports import csv_bytes, xlsx_bytes
from models.telegram_limits import split, utf16_len

HEADER = ["姓名", "户", "时间"]
ROWS = [["张三", "阳光社区 1栋 1单元 101", dt.datetime(2026, 12, 1, 10, 30, tzinfo=dt.UTC)],
        ["Ann, \"the\" owner", None, dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)]]


def test_csv_has_a_bom_and_reads_back():
    data = csv_bytes(HEADER, ROWS)
    assert data.startswith(b"\xef\xbb\xbf")  # Excel needs it to show Chinese
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [HEADER, ["张三", "阳光社区 1栋 1单元 101", "2026-12-01 10:30:00"],
                    ['Ann, "the" owner', "", "2026-12-02 08:00:00"]]


def test_xlsx_reads_back_with_real_dates():
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(HEADER, ROWS, sheet="签名")))
    sheet = book["签名"]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == HEADER and values[1][:2] == ["张三", "阳光社区 1栋 1单元 101"]
    assert values[1][2] == dt.datetime(2026, 12, 1, 10, 30)


def test_long_text_is_split_at_paragraphs_under_the_limit():
    paragraphs = [f"第{i}条。" + "不燃放烟花爆竹。" * 60 for i in range(30)]
    parts = split("\n\n".join(paragraphs), limit=1000)
    assert all(utf16_len(p) <= 1000 for p in parts) and len(parts) > 10
    assert "\n\n".join(parts) == "\n\n".join(paragraphs)  # nothing lost, nothing cut mid-way
    assert all(p.startswith("第") for p in parts)
    huge = "😀" * 3000  # one line, no breaks, 2 UTF-16 units per emoji
    assert all(utf16_len(p) <= 1000 for p in split(huge, limit=1000))
    assert "".join(split(huge, limit=1000)) == huge


def test_poster_with_a_cjk_font_and_without_one(monkeypatch):
    png = posters.poster_png(title="文明过年 不放烟花", link="https://t.me/linli_bot?start=pledge_1",
                             place="阳光社区 1栋", caption="扫码阅读并签署")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (posters.WIDTH, posters.HEIGHT)
    monkeypatch.setattr(posters, "cjk_font_path", lambda: None)
    fallback = Image.open(io.BytesIO(posters.poster_png(
        title="文明过年 不放烟花", link="https://t.me/linli_bot?start=pledge_1",
        place="阳光社区")))
    assert fallback.size == (posters.WIDTH, posters.HEIGHT)  # QR and Latin text only
