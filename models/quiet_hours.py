"""Quiet hours: the community's night, when only urgent messages go (a flood warning goes at
once; a reminder waits for the morning). The outbox's claim applies them to every feature
(models/outbox.py), so whatever a feature or the scheduler queues at 03:00 goes at 08:00."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class QuietHours:
    """Hours of the community's night (`start` to `end` on its clock, e.g. 21:00–08:00) in
    which only urgent messages go; the rest wait until they end."""

    start: dt.time
    end: dt.time
    tz: dt.tzinfo

    def holds(self, now: dt.datetime) -> bool:
        """Whether `now` lies in quiet hours."""
        clock = now.astimezone(self.tz).time()
        if self.start <= self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end

    def ends(self, now: dt.datetime) -> dt.datetime:
        """When a message that is not urgent, due at `now`, goes: `now` outside quiet hours,
        else the moment they end."""
        if not self.holds(now):
            return now
        local = now.astimezone(self.tz)
        end = dt.datetime.combine(local.date(), self.end, tzinfo=self.tz)
        if end <= local:
            end = dt.datetime.combine(local.date() + dt.timedelta(days=1), self.end,
                                      tzinfo=self.tz)
        return end.astimezone(dt.UTC)

    @classmethod
    def parse(cls, text: str, tz: dt.tzinfo) -> QuietHours | None:
        """"21:00-08:00" (empty: none)."""
        if not text.strip():
            return None
        start, end = (dt.time.fromisoformat(part.strip()) for part in text.split("-"))
        return None if start == end else cls(start, end, tz)
