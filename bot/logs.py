"""Logging that never shows the bot token or a resident's personal data.

httpx logs every request URL at INFO, and Bot API URLs contain the token; we turn httpx down
to warnings and, as a second guard, redact anything token-shaped from every record.
"""

from __future__ import annotations

import logging
import re

TOKEN_PATTERN = re.compile(r"\d{5,20}:[A-Za-z0-9_-]{20,}")


def _redact(record: logging.LogRecord) -> logging.LogRecord:
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
