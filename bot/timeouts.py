"""Waiting with a time limit that never loses a cancellation.

On Python 3.11, `asyncio.wait_for(x, timeout)` swallows a cancellation of the task that waits
when `x` finishes in the same turn of the event loop: the task is told to stop, but wait_for
returns x's result and the task goes on (fixed in 3.12, where wait_for was rewritten). The
outbox sender waits for its wake-up event that way between rounds; a wake-up that came just as
the bot was stopping cancelled the cancellation, and the stop waited for the sender for ever
(a test's teardown hung past CI's deadline). `within` waits for the same thing, the same
time, and lets the cancellation through.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def within(awaitable: Awaitable[T], seconds: float | None) -> T | None:
    """`awaitable`'s result, or None when it has not finished within `seconds` (it is then
    cancelled). A cancellation of the caller always reaches the caller."""
    inner = asyncio.ensure_future(awaitable)
    try:
        done, _pending = await asyncio.wait({inner}, timeout=seconds)
    except BaseException:
        inner.cancel()
        raise
    if not done:
        inner.cancel()
        return None
    return inner.result()
