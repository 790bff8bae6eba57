"""The tables of resident polls (居民意见征询), beside the votes tables rather than in them: a
vote is an estate's owners weighed by area over a roll frozen when it opens; a poll asks the
residents of any place, people or households, none weighed, who must answer being the shared
participation `Duty` (models/participation/) while it runs. What they share is how a result
is counted and checked: a poll is one matter of kind `poll` for the same tally, report, chart
and recount files (models/votes/tally.py, recount.py), its roll frozen into `poll_roll` when
it closes.

A named answer (`poll_answer`) belongs to one voter — "p<person id>" when each person votes,
"h<household id>" when each household does — and the unique key on (poll, voter) makes one
vote per person or household hold against any number of presses; its chosen options are
`poll_choice` rows. An anonymous poll keeps only that a voter answered (`poll_voter`) and,
apart from it, the answer (`poll_secret_answer`, `poll_secret_choice`) under a random key, no
voter, no time, no autoincrement id, stored in key order — as secret ballots are kept
(models/votes/secret.py: `IN_KEY_ORDER`, `new_receipt`, `rewrite_in_key_order`).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import ID, Base, utcnow
from models.votes.tables import IN_KEY_ORDER

MAX_QUESTION = 300  # UTF-16 units, as every text limit (models/telegram_limits.py)
MAX_OPTION = 60  # an option is a button's label: Telegram shows about this much of it


class PollStatus(enum.StrEnum):
    """Draft → open → closed (counted, the result to its creator) → published; or a draft
    discarded (cancelled)."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"  # the result sent to the residents
    CANCELLED = "cancelled"


class Step(enum.StrEnum):
    """What a draft waits for next."""

    PLACE = "place"
    QUESTION = "question"
    OPTIONS = "options"  # options typed one by one, then Done
    PREVIEW = "preview"


class Poll(Base):
    """A question with options, put to the residents of one place."""

    __tablename__ = "poll"
    __table_args__ = (Index("ix_poll_status_closes_at", "status", "closes_at"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id", ondelete="RESTRICT"),
                                                 index=True)
    question: Mapped[str] = mapped_column(String(MAX_QUESTION), default="")
    options: Mapped[list[str]] = mapped_column(JSON, default=list)  # numbered from 1
    unit: Mapped[str] = mapped_column(String(16), default="person")  # participation.Unit
    anonymous: Mapped[bool] = mapped_column(default=False)
    multiple: Mapped[bool] = mapped_column(default=False)  # any number of options, not one
    min_turnout: Mapped[int | None]  # percent of those who must answer (None: no quorum)
    status: Mapped[PollStatus] = mapped_column(String(16), default=PollStatus.DRAFT,
                                               index=True)
    step: Mapped[str] = mapped_column(String(16), default=Step.PLACE)
    closes_at: Mapped[dt.datetime | None]  # None: open until its creator closes it
    opened_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    published_at: Mapped[dt.datetime | None]
    # the stored tally, once closed: models/votes/report.result_json's form
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def topic(self) -> str:
        return f"poll:{self.id}"

    def is_open(self, now: dt.datetime) -> bool:
        return self.status == PollStatus.OPEN and (self.closes_at is None
                                                   or now < self.closes_at)


class PollAnswer(Base):
    """A named answer: one voter's (a person's, or a household's), changed in place until the
    poll closes; `person_id` answered it last, from `household_id`."""

    __tablename__ = "poll_answer"
    __table_args__ = (UniqueConstraint("poll_id", "voter"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    voter: Mapped[str] = mapped_column(String(24))  # "p<person id>" or "h<household id>"
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"),
                                                  index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="RESTRICT"),
                                              index=True)
    answered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)


class PollChoice(Base):
    """An option a named answer chose (one row each): the tally is a GROUP BY over them."""

    __tablename__ = "poll_choice"
    __table_args__ = (UniqueConstraint("answer_id", "option"),
                      Index("ix_poll_choice_poll_id_option", "poll_id", "option"))

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("poll_answer.id", ondelete="CASCADE"))
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    option: Mapped[int]  # 1-based


class PollVoter(Base):
    """A voter of an anonymous poll who has answered: only that they did (a household poll:
    the household, not who of it). The primary key makes one answer per voter hold."""

    __tablename__ = "poll_voter"
    __table_args__ = dict(IN_KEY_ORDER)

    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"),
                                         primary_key=True)
    voter: Mapped[str] = mapped_column(String(24), primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    household_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="RESTRICT"),
                                              index=True)


class PollSecretAnswer(Base):
    """An anonymous answer: its random key and nothing else (no voter, no time)."""

    __tablename__ = "poll_secret_answer"
    __table_args__ = dict(IN_KEY_ORDER)

    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"),
                                         primary_key=True)
    key: Mapped[str] = mapped_column(String(12), primary_key=True)


class PollSecretChoice(Base):
    """An option an anonymous answer chose; the key leads with (poll, option) for the
    tally's GROUP BY."""

    __tablename__ = "poll_secret_choice"
    __table_args__ = (ForeignKeyConstraint(["poll_id", "key"], ["poll_secret_answer.poll_id",
                                                                "poll_secret_answer.key"],
                                           ondelete="CASCADE"),
                      Index("ix_poll_secret_choice_poll_id_key", "poll_id", "key"),
                      dict(IN_KEY_ORDER))

    poll_id: Mapped[int] = mapped_column(ID, primary_key=True)
    option: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(12), primary_key=True)


class PollRoll(Base):
    """Who had to answer when the poll closed, frozen for its result and its recount files:
    a row per voter and household (a person with two homes there: two rows), and whether the
    voter answered. A voter who answered and has since moved away is on it too."""

    __tablename__ = "poll_roll"
    __table_args__ = (UniqueConstraint("poll_id", "voter", "household_id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    voter: Mapped[str] = mapped_column(String(24))
    household_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="RESTRICT"))
    voted: Mapped[bool]
