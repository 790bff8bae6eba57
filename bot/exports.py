"""Tables as files people open in Excel: CSV (UTF-8 with a BOM, or Excel shows Chinese as
mojibake) and XLSX (openpyxl's write-only mode, which streams rows instead of building the
whole sheet in memory — a district export has 100,000 rows). Any feature exporting rows
(signatures, ballots, check-ins) uses these two.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

Cell = str | int | float | dt.datetime | None
CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _plain(value: Any) -> Any:
    # Excel knows no time zones: write local wall-clock time without an offset.
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None, microsecond=0)
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """A CSV file, UTF-8 with a byte-order mark, one header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _plain(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]], *,
               sheet: str = "Sheet1") -> bytes:
    """An XLSX workbook with one sheet: a header row, then the rows."""
    from openpyxl import Workbook  # (loads numpy: 20 MiB and 0.1 s the bot needs only here)

    book = Workbook(write_only=True)
    ws = book.create_sheet(title=sheet[:31])  # Excel's limit on sheet names
    ws.append(list(header))
    for row in rows:
        ws.append([_plain(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
