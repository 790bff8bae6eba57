"""The tables of owners' votes (业主共同决定, Civil Code art. 278), and their words.

A `vote` belongs to one estate (物业管理区域), or to one building of it, and holds one or more
matters (`vote_matter`), each tallied on its own. When it opens, its roll is frozen: every
exclusive unit (专有部分) of the estate or building, joined or not, becomes a row of
`vote_roll_household` under the owner it counts for (`vote_roll_owner`, as art. 9 of the Supreme
People's Court interpretation on building ownership counts owners: see models/votes/roll.py).

A ballot (`vote_ballot`) is named and belongs to one roll owner: the unique key on (vote, owner)
is what makes "one owner, one ballot" hold against any number of concurrent presses, and the
co-owners of a household race for the same row. Every version of a ballot is kept in
`vote_ballot_version`. Two scrutineers' confirmations (`vote_scrutiny`) come before the result
is published. An election's candidates are `vote_candidate` rows (their names also the
matter's `options`, which the tally numbers). Polls and paper ballots (the next issue) add
matter kinds and ballot channels to the same tables.

A vote of elections only may be secret (`Vote.secret`, 无记名投票): then the roll records only
that an owner voted (`vote_secret_voter`, its key the owner's), and the ballot
(`vote_secret_ballot`, its choices `vote_secret_choice`) holds the choices and the owner's
area under a random key, the voter's receipt code — no voter, no time, no autoincrement id.
On SQLite these three tables are WITHOUT ROWID, so their rows lie in the order of their keys,
not of their writes (what is left to match by: models/votes/secret.py and the README).

Areas are integers of hundredths of a square metre everywhere here (models/votes/tally.py).
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
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import ID, Base, utcnow


class VoteStatus(enum.StrEnum):
    """Draft → announced → open → closed → counted → confirmed → published; or cancelled."""

    DRAFT = "draft"
    ANNOUNCED = "announced"  # told to every owner; voting opens on `opens_at`
    OPEN = "open"
    CLOSED = "closed"  # voting ended; the count follows at once
    COUNTED = "counted"  # the tally is stored; scrutineers confirm it
    CONFIRMED = "confirmed"  # two scrutineers confirmed; publishing follows at once
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Vote(Base):
    """An owners' vote over one estate (or one building of it)."""

    __tablename__ = "vote"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estate.id", ondelete="RESTRICT"),
                                           index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("place.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200), default="")
    title_en: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[VoteStatus] = mapped_column(String(16), default=VoteStatus.DRAFT,
                                               index=True)
    step: Mapped[str] = mapped_column(String(16), default="")  # what a draft asks for next
    changeable: Mapped[bool] = mapped_column(default=True)  # ballots may change until closing
    # secret ballots (elections only): nothing joins a ballot to its voter
    secret: Mapped[bool] = mapped_column(default=False, server_default=false())
    # automatic reminders, days before closing (e.g. [3, 1])
    remind_days: Mapped[list[int]] = mapped_column(JSON, default=list)
    opens_at: Mapped[dt.datetime | None]
    closes_at: Mapped[dt.datetime | None]
    first_closes_at: Mapped[dt.datetime | None]  # before any extension
    announced_at: Mapped[dt.datetime | None]
    opened_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    counted_at: Mapped[dt.datetime | None]
    published_at: Mapped[dt.datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # the frozen roll's totals (set when it opens)
    roll_owners: Mapped[int] = mapped_column(default=0)
    roll_area: Mapped[int] = mapped_column(default=0)  # hundredths of a m²
    # the stored tally, once counted: models/votes/recount.result_json's form
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id",
                                                                 ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def topic(self) -> str:
        return f"vote:{self.id}"

    def title_for(self, language: str) -> str:
        return (self.title_en or self.title) if language == "en" else self.title


class VoteMatter(Base):
    """One matter decided by the vote, tallied on its own: a decision on an art. 278 item."""

    __tablename__ = "vote_matter"
    __table_args__ = (UniqueConstraint("vote_id", "number"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1, 2, … in the order shown
    kind: Mapped[str] = mapped_column(String(16), default="decision")  # tally.MatterKind
    item: Mapped[int | None]  # the art. 278 item, 1–9
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    seats: Mapped[int | None]  # an election: how many are elected
    # an election's candidates' names (its `vote_candidate` rows, in order) or a poll's options:
    # what the tally and the recount files number from 1
    options: Mapped[list[str]] = mapped_column(JSON, default=list)

    def title_for(self, language: str) -> str:
        return (self.title_en or self.title) if language == "en" else self.title


class Candidate(Base):
    """A candidate of an election (候选人): the name the ballot shows (also the matter's
    `options[number - 1]`), a short description, and a photo kept as a Telegram file id."""

    __tablename__ = "vote_candidate"
    __table_args__ = (UniqueConstraint("matter_id", "number"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("vote_matter.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1, 2, … as on the ballot
    name: Mapped[str] = mapped_column(String(60))
    about: Mapped[str] = mapped_column(String(300), default="")
    photo_id: Mapped[str | None] = mapped_column(String(255))


class RollOwner(Base):
    """One owner as art. 278 counts them, on a vote's frozen roll."""

    __tablename__ = "vote_roll_owner"
    __table_args__ = (UniqueConstraint("vote_id", "key"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"))
    # "developer", "ref:<owner reference>", "o:<approved owners' person ids>", "h:<household>"
    key: Mapped[str] = mapped_column(String(120))
    area: Mapped[int]  # the owner's exclusive area, hundredths of a m²


class RollHousehold(Base):
    """An exclusive unit (a household of the place tree) on a vote's roll, and its owner."""

    __tablename__ = "vote_roll_household"
    __table_args__ = (UniqueConstraint("vote_id", "household_id"),
                      Index("ix_vote_roll_household_owner_id", "owner_id"))

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("vote_roll_owner.id", ondelete="CASCADE"))
    household_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="RESTRICT"))
    area: Mapped[int]


class Ballot(Base):
    """A roll owner's named ballot; its current choices are its `vote_ballot_choice` rows."""

    __tablename__ = "vote_ballot"
    __table_args__ = (UniqueConstraint("vote_id", "owner_id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("vote_roll_owner.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16), default="online")
    cast_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    cast_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)


class BallotChoice(Base):
    """What a ballot chose on one matter: "agree" | "disagree" | "abstain" for a decision; an
    election or a poll: one row per chosen option, its number ("2"), or one empty value for
    an empty ballot (abstaining). Rows, so that the tally is a GROUP BY over the ballots, not
    a loop over them."""

    __tablename__ = "vote_ballot_choice"
    __table_args__ = (UniqueConstraint("ballot_id", "matter", "value"),
                      Index("ix_vote_ballot_choice_vote_id_matter", "vote_id", "matter"))

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("vote_ballot.id", ondelete="CASCADE"))
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"))
    matter: Mapped[int]  # the matter's number
    value: Mapped[str] = mapped_column(String(16))


class BallotVersion(Base):
    """Every version of a ballot, the first included: a change never erases what was cast."""

    __tablename__ = "vote_ballot_version"
    __table_args__ = (UniqueConstraint("ballot_id", "version"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("vote_ballot.id", ondelete="CASCADE"))
    version: Mapped[int]
    choices: Mapped[dict[str, str]] = mapped_column(JSON)
    cast_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# rows stored in the order of their primary key, not of their writes (SQLite; PostgreSQL's heap
# keeps the order written: models/votes/secret.settle rewrites it at closing)
IN_KEY_ORDER = {"sqlite_with_rowid": False}  # (copied into each table's arguments)


class SecretVoter(Base):
    """A roll owner who has cast a secret ballot: only that they voted. The primary key makes
    one ballot per owner hold, as the unique key of `vote_ballot` does for named ones."""

    __tablename__ = "vote_secret_voter"
    __table_args__ = dict(IN_KEY_ORDER)

    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"),
                                         primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("vote_roll_owner.id", ondelete="CASCADE"),
                                          primary_key=True, index=True)


class SecretBallot(Base):
    """A secret ballot: its random key (the receipt code its voter got, 12 characters), its
    weight (the owner's area, hundredths of a m²) and how it came in; nothing of the voter."""

    __tablename__ = "vote_secret_ballot"
    __table_args__ = dict(IN_KEY_ORDER)

    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"),
                                         primary_key=True)
    receipt: Mapped[str] = mapped_column(String(12), primary_key=True)
    area: Mapped[int]
    channel: Mapped[str] = mapped_column(String(16), default="online")


class SecretChoice(Base):
    """What a secret ballot chose on one matter, as `vote_ballot_choice` keeps a named one's
    (an election's chosen numbers, one row each, or one empty value for abstaining). The key
    leads with (vote, matter, value): the tally's GROUP BY reads it in order."""

    __tablename__ = "vote_secret_choice"
    __table_args__ = (ForeignKeyConstraint(["vote_id", "receipt"],
                                           ["vote_secret_ballot.vote_id",
                                            "vote_secret_ballot.receipt"], ondelete="CASCADE"),
                      # (a ballot's rows, for reading it back and for the cascade)
                      Index("ix_vote_secret_choice_vote_id_receipt", "vote_id", "receipt"),
                      dict(IN_KEY_ORDER))

    vote_id: Mapped[int] = mapped_column(ID, primary_key=True)
    matter: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(16), primary_key=True)
    receipt: Mapped[str] = mapped_column(String(12), primary_key=True)


class PrintedBallot(Base):
    """A printed ballot's token (表决票): what its QR code carries, bound to the vote and to
    the roll owner through the owner's first household (the roll is frozen only when voting
    opens, and a vote is printed from its announcement on). Printing again gives the same
    token, so every copy of one owner's ballot is the same ballot; 16 characters of
    `secret.ALPHABET` drawn by `secrets` (about 2**79), so one cannot be guessed from another."""

    __tablename__ = "vote_printed_ballot"
    __table_args__ = (UniqueConstraint("vote_id", "household_id"),)

    token: Mapped[str] = mapped_column(String(16), primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"))
    household_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="RESTRICT"))
    printed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Officer(Base):
    """A person the vote's convenors authorised to enter its paper and on-site ballots (录入
    员): a grid worker, a staff member, a volunteer or a committee member, for this vote."""

    __tablename__ = "vote_officer"
    __table_args__ = (UniqueConstraint("vote_id", "person_id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                           index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id",
                                                                 ondelete="SET NULL"))
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UnsignedBallot(Base):
    """A paper or on-site ballot an officer found unsigned (未签名), for one roll owner: an
    invalid ballot that does not count as taking part (nothing shows that it is the owner's),
    kept so that the result can say how many there were. The owner may still vote."""

    __tablename__ = "vote_unsigned_ballot"
    __table_args__ = (UniqueConstraint("vote_id", "owner_id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("vote_roll_owner.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id",
                                                                  ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Scrutiny(Base):
    """A scrutineer's confirmation that the count is right (two are needed)."""

    __tablename__ = "vote_scrutiny"
    __table_args__ = (UniqueConstraint("vote_id", "person_id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    staff: Mapped[bool] = mapped_column(default=False)  # confirmed as staff, not as a member
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AssistedBallot(Base):
    """A ballot a grid worker (or staff) entered for an owner who cannot vote in the chat
    (代为投票, named ballots only), with the written proxy (委托书) the owner signed: its
    photo, kept as Telegram's file id. The row is written when the photo comes, its ballot
    (`ballot_id`) when the choices are recorded."""

    __tablename__ = "vote_assisted_ballot"
    __table_args__ = (UniqueConstraint("vote_id", "owner_id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("vote_roll_owner.id", ondelete="CASCADE"))
    proxy_file_id: Mapped[str] = mapped_column(String(255))
    assisted_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id",
                                                                  ondelete="SET NULL"))
    proxy_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ballot_id: Mapped[int | None] = mapped_column(ForeignKey("vote_ballot.id",
                                                             ondelete="CASCADE"), unique=True)


class DoorKnock(Base):
    """What knocking on the door of a roll owner who has not voted found (上门): not reached,
    refused, will vote online, will vote on paper — or none — who set it and when."""

    __tablename__ = "vote_door_knock"
    __table_args__ = (UniqueConstraint("vote_id", "owner_id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("vote_roll_owner.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    set_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
