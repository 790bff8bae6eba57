"""Logging that never shows the bot token or a resident's personal data.

httpx logs every request URL at INFO, and Bot API URLs contain the token; we turn httpx down
to warnings and, as a second guard, redact anything token-shaped from every record. Updates
carry names, phone numbers and texts, and libraries log them whole (python-telegram-bot logs
every update it processes at DEBUG, and whole batches it cannot parse at CRITICAL): every
Telegram object or raw update in a record's arguments is replaced by its kind and update id.
An exception's own text may quote data too (a database error quotes its parameters), so a
record keeps its traceback and the exception's type, and only the texts of errors known to
carry none (Telegram's answers, network errors).
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

import httpx
from telegram import TelegramObject, Update
from telegram.error import TelegramError

TOKEN_PATTERN = re.compile(r"\d{5,20}:[A-Za-z0-9_-]{20,}")
# exceptions whose text is Telegram's or the network's, never a person's
SAFE_ERRORS = (TelegramError, OSError, httpx.HTTPError, TimeoutError)


def _summary(value: Any, *, telegram: bool = False) -> Any:
    """A Telegram object or raw update, reduced to what identifies it. In the library's own
    records (`telegram`) every dict and list is Bot API data: parameters sent, answers."""
    if isinstance(value, Update):
        return f"<update {value.update_id}>"
    if isinstance(value, TelegramObject):
        return f"<{type(value).__name__}>"
    if isinstance(value, dict) and "update_id" in value:
        return f"<update {value.get('update_id')!r}>"
    if isinstance(value, list | tuple) and any(isinstance(v, dict | TelegramObject)
                                               for v in value):
        return [_summary(v) for v in value]
    if telegram and isinstance(value, dict | list | tuple):
        return f"<{type(value).__name__} of {len(value)}>"
    return value


def _without_texts(error: BaseException) -> str:
    """The traceback of `error` (and what caused it) with unsafe exception texts left out."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = str(current) if isinstance(current, SAFE_ERRORS) else "(text not logged)"
        parts.append("".join(traceback.format_tb(current.__traceback__))
                     + f"{type(current).__module__}.{type(current).__qualname__}: {text}")
        current = current.__cause__ or current.__context__
    return "Traceback (most recent call last):\n" + "\nwhich came from:\n".join(parts)


def _redact(record: logging.LogRecord) -> logging.LogRecord:
    telegram = record.name.startswith("telegram")
    if isinstance(record.args, tuple) and record.args:
        record.args = tuple(_summary(a, telegram=telegram) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _summary(v, telegram=telegram) for k, v in record.args.items()}
    if isinstance(record.msg, TelegramObject | dict):
        record.msg = str(_summary(record.msg))
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        record.exc_text = _without_texts(record.exc_info[1])
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: leave it to the handler to report
        return record
    if TOKEN_PATTERN.search(message):
        record.msg = TOKEN_PATTERN.sub("<token>", message)
        record.args = None
    return record


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        _redact(record)
        return True


_installed = False


def install_redaction() -> None:
    """Redact tokens as each record is made, so no handler (a test's, a library's) sees one."""
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        return _redact(make_record(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    # at DEBUG, aiosqlite logs every statement with its parameters: names, phone numbers
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    _installed = True


def setup_logging(level: int = logging.INFO) -> None:
    install_redaction()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
