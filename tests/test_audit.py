"""Every verb that changes state on behalf of staff, grid workers or supervisors writes an
audit row in the same transaction (#11). Each actor-taking verb in models/ is found by
inspection and must have a case here; the case runs the verb on a real community while the
statements the database receives are recorded: if the verb wrote domain rows, it must have
written an `audit_entry` row naming its actor too."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
import re
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from sqlalchemy import event, func, select

import models
from models.audit import AuditEntry
from tests.conftest import COMMUNITY, person, place, resident

pytestmark = pytest.mark.usefixtures("places")
B1 = COMMUNITY + "/第一网格/1栋"

ACTORS = {"by", "author", "decider", "assisted_by", "actor", "helper", "actor_id", "by_id"}
BOOKKEEPING = {"audit_entry", "ask", "inbox_update"}  # what a verb may write unaudited
DML = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)\"?", re.I)


def actor_verbs() -> dict[str, Callable[..., Awaitable[object]]]:
    """Every public coroutine in models/ with a parameter naming who acts."""
    found: dict[str, Callable[..., Awaitable[object]]] = {}
    for info in pkgutil.walk_packages(models.__path__, "models."):
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.iscoroutinefunction(fn):
                continue
            if fn.__module__ != module.__name__:
                continue
            if ACTORS & set(inspect.signature(fn).parameters) and fn not in found.values():
                found[f"{fn.__module__}.{fn.__name__}"] = fn  # an alias counts once
    return found


@contextmanager
def written_tables(db):
    tables: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        match = DML.match(statement)
        if match:
            tables.append(match.group(1).lower())

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield tables
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)


# Verbs that may change state without an audit row, and why. Anything else that writes
# domain rows on an actor's behalf must audit.
UNAUDITED = {
    # the author's own unpublished draft, seen by nobody else: publishing (or discarding) it
    # is the action that is audited
    "models.notices.drafts.start_draft", "models.notices.drafts.set_place",
    "models.notices.drafts.ask_language_text", "models.notices.drafts.ask_time",
    "models.pledges.drafting.add_text", "models.pledges.drafting.finish_body",
    "models.pledges.drafting.set_attachment", "models.pledges.drafting.set_scope",
    "models.pledges.drafting.set_signers", "models.pledges.drafting.set_closing",
    "models.pledges.drafting.go_to_step", "models.pledges.drafting.resume_draft",
    "models.pledges.changes.begin_edit",  # collects the new text; saving it is audited
    "models.pledges.drafting.begin_translation",  # likewise: finishing it is audited
    "models.pledges.drafting.cancel_translation",  # (nothing was published)
    "models.notices.current.set_valid_until",  # the author's own draft
    # an owners' vote before it is announced: the convenor's draft, seen by nobody else;
    # creating, announcing and cancelling it are audited
    "models.votes.dialogs.answer", "models.votes.dialogs.ask_matter",
    "models.votes.dialogs.ask_opening_day", "models.votes.dialogs.choose_opening",
    "models.votes.dialogs.choose_closing", "models.votes.dialogs.ask_reason",
    "models.votes.lifecycle.set_title", "models.votes.lifecycle.add_matter",
    "models.votes.lifecycle.remove_matter", "models.votes.lifecycle.set_changeable",
    "models.votes.lifecycle.set_secret",
    "models.votes.lifecycle.set_reminders", "models.votes.lifecycle.set_dates",
    "models.votes.elections.ask_election", "models.votes.elections.answer",
    "models.votes.elections.answer_photo", "models.votes.elections.ask_candidate",
    "models.votes.elections.add_candidate", "models.votes.elections.describe_candidate",
    "models.votes.elections.set_candidate_photo", "models.votes.elections.drop_candidate",
    "models.votes.elections.set_seats", "models.votes.elections.election_page",
    "models.votes.elections.add_election",
    # a resident poll's draft, seen by nobody else: starting, publishing and discarding it are
    # audited
    "models.polls.drafting.set_place", "models.polls.drafting.answer",
    "models.polls.drafting.drop_option", "models.polls.drafting.options_done",
    "models.polls.drafting.go_to", "models.polls.drafting.resume",
    "models.polls.drafting.configure",
    # a reporter's own answer on their own report (not fixed: reopened; or accepted), as a
    # resident casts their own ballot: kept in the report's history, not staff's audit log
    "models.reports.handling.reopen", "models.reports.handling.accept",
}
# Shared parts that take an actor's id to pass it on, not verbs: the feature's verb that calls
# them audits (remind_non_signers, remind_unacknowledged …)
SHARED_PARTS = {"models.participation.remind",
                # writes a secret ballot and its audit row for secret.cast and paper.record
                "models.votes.secret.record"}
NOW = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)


def cases() -> list[tuple[str, Callable[[SimpleNamespace], Awaitable[object]]]]:
    """One call per actor-taking verb, in an order that makes each one possible."""
    from models import estates, groups, onboarding, permissions, roles, tags
    from models import notices as nt
    from models import pledges as pl
    from models.groups import GroupPurpose
    from models.people import Role, Tag
    from models.pledges import Signers, Step
    from models.pledges.core import draft_of

    async def bind(w):
        return await groups.bind_chat(w.s, chat_id=-100123, title="1栋", by=w.staff,
                                      purpose=GroupPurpose.PLACE,
                                      place_id=(await place(w.s, B1)).id)

    async def notice_draft(w):
        w.notice = await nt.start_draft(w.s, author=w.staff)
        await nt.set_text(w.s, draft=w.notice, text="停水通知")
        return w.notice

    async def notice_place(w):
        return await nt.set_place(w.s, draft=w.notice, place_id=(await place(w.s, B1)).id,
                                  author=w.staff)

    async def later_notice(w):
        later = await notice_draft(w)
        await notice_place(w)
        await nt.set_target(w.s, draft=later, target=nt.Target.ALL)
        return await nt.schedule_at(w.s, notice_id=later.id, author=w.staff,
                                    at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))

    async def pledge_draft(w):
        w.pledge, _resumed = await pl.start_draft(w.s, author=w.staff)
        return w.pledge

    async def scope(w):
        return await pl.set_scope(w.s, pledge_id=w.pledge.id, author=w.staff,
                                  place_id=(await place(w.s, COMMUNITY)).id)

    async def seat(w):
        from models.estates import Body, estates_in

        w.estate = (await estates_in(w.s, await place(w.s, COMMUNITY)))[0]  # 阳光花园
        return await estates.grant_seat(w.s, estate_id=w.estate.id, person_id=w.resident.id,
                                        body=Body.COMMITTEE, actor_id=w.staff.id)

    from zoneinfo import ZoneInfo

    from models.schedule import DueItem
    from models.votes import (
        assisted,
        closing,
        dialogs,
        elections,
        following,
        knocks,
        lifecycle,
        officers,
        paper,
        printing,
    )
    from models.votes.core import OPEN_DUE

    tz = ZoneInfo("Asia/Shanghai")
    today = dt.datetime.now(tz).date()

    async def vote_draft(w):
        w.vote = await dialogs.start_vote(w.s, estate_id=w.estate.id, building_id=None,
                                          author=w.staff)
        return w.vote

    async def opened_and_reminded(w):
        item = await w.s.scalar(select(DueItem).where(DueItem.kind == OPEN_DUE,
                                                      DueItem.ref_id == w.vote.id))
        await lifecycle.open_due(w.s, item, w.vote.opens_at)
        await w.s.commit()
        return await following.remind(w.s, vote_id=w.vote.id, by=w.staff,
                                      now=w.vote.opens_at + dt.timedelta(hours=1))

    async def cancelled_draft(w):
        other = await lifecycle.create(w.s, estate_id=w.estate.id, author=w.staff, title="作废")
        return await lifecycle.cancel(w.s, vote_id=other.id, author=w.staff, reason="重复")

    def during(w):
        return w.vote.opens_at + dt.timedelta(hours=1)

    async def paper_by_token(w):
        from models.votes.tables import PrintedBallot

        printed = await w.s.scalar(select(PrintedBallot).where(
            PrintedBallot.vote_id == w.vote.id).order_by(PrintedBallot.household_id))
        w.token, w.home = printed.token, printed.household_id
        w.entry = await paper.by_token(w.s, token=w.token, by=w.staff, language="zh_CN",
                                       now=during(w))
        return w.entry

    async def paper_unsigned(w):
        from models.votes.tables import RollOwner

        other = await w.s.scalar(select(RollOwner.id).where(
            RollOwner.vote_id == w.vote.id, RollOwner.id != w.entry.owner.id).limit(1))
        return await paper.record_unsigned(w.s, vote_id=w.vote.id, owner_id=other, by=w.staff,
                                           channel="paper", now=during(w))

    async def results_poster(w):
        from models.errors import Conflict
        from models.votes import poster

        try:  # (the vote is open, not published: the poster is refused, and nothing written)
            return await poster.posted(w.s, vote_id=w.vote.id, author=w.staff, link="")
        except Conflict:
            return None

    async def knock_door(w):
        home = (await place(w.s, B1 + "/1单元/102")).id
        w.door = await knocks.door(w.s, vote_id=w.vote.id, household_id=home, by=w.staff)
        return w.door

    v = lambda w: dict(vote_id=w.vote.id, author=w.staff)  # noqa: E731
    votes = [
        ("models.votes.dialogs.start_vote", vote_draft),
        ("models.votes.dialogs.answer", lambda w: dialogs.answer(
            w.s, **v(w), step=dialogs.TITLE, text="2027年业主大会", tz=tz)),
        ("models.votes.lifecycle.set_title", lambda w: lifecycle.set_title(
            w.s, **v(w), title="2027 owners' assembly", language="en")),
        ("models.votes.dialogs.ask_matter", lambda w: dialogs.ask_matter(w.s, **v(w), item=4)),
        ("models.votes.dialogs.answer", lambda w: dialogs.answer(
            w.s, **v(w), step="matter4", text="续聘物业", tz=tz)),
        ("models.votes.lifecycle.add_matter", lambda w: lifecycle.add_matter(
            w.s, **v(w), title="续筹维修资金", item=6)),
        ("models.votes.lifecycle.remove_matter", lambda w: lifecycle.remove_matter(
            w.s, **v(w), number=2)),
        # a committee election as matter 2: its title, three candidates, two seats
        ("models.votes.elections.ask_election", lambda w: elections.ask_election(w.s, **v(w))),
        ("models.votes.elections.answer", lambda w: elections.answer(
            w.s, **v(w), step=elections.ELECTION, text="第三届业主委员会选举")),
        ("models.votes.elections.answer", lambda w: elections.answer(
            w.s, **v(w), step="candidate2", text="张伟")),
        ("models.votes.elections.answer", lambda w: elections.answer(
            w.s, **v(w), step="about2", text="退休教师")),
        ("models.votes.elections.answer_photo", lambda w: elections.answer_photo(
            w.s, **v(w), step="photo2", file_id="AgACAgIAAx0")),
        ("models.votes.elections.ask_candidate", lambda w: elections.ask_candidate(
            w.s, **v(w), matter=2)),
        ("models.votes.elections.add_candidate", lambda w: elections.add_candidate(
            w.s, **v(w), matter=2, name="李娜")),
        ("models.votes.elections.describe_candidate", lambda w: elections.describe_candidate(
            w.s, **v(w), matter=2, about="会计")),
        ("models.votes.elections.set_candidate_photo", lambda w: elections.set_candidate_photo(
            w.s, **v(w), matter=2, file_id="AgACAgIAAx1")),
        ("models.votes.elections.add_candidate", lambda w: elections.add_candidate(
            w.s, **v(w), matter=2, name="王强")),
        ("models.votes.elections.add_candidate", lambda w: elections.add_candidate(
            w.s, **v(w), matter=2, name="赵六")),
        ("models.votes.elections.drop_candidate", lambda w: elections.drop_candidate(
            w.s, **v(w), matter=2, number=4)),
        ("models.votes.elections.set_seats", lambda w: elections.set_seats(
            w.s, **v(w), matter=2, seats=2)),
        ("models.votes.elections.election_page", lambda w: elections.election_page(
            w.s, **v(w), matter=2)),
        ("models.votes.elections.add_election", lambda w: elections.add_election(
            w.s, **v(w), title="候补委员选举")),
        ("models.votes.lifecycle.remove_matter", lambda w: lifecycle.remove_matter(
            w.s, **v(w), number=3)),
        ("models.votes.lifecycle.set_changeable", lambda w: lifecycle.set_changeable(
            w.s, **v(w), changeable=False)),
        ("models.votes.lifecycle.set_secret", lambda w: lifecycle.set_secret(
            w.s, **v(w), secret_ballot=False)),  # (this vote holds a decision: named)
        ("models.votes.lifecycle.set_reminders", lambda w: lifecycle.set_reminders(
            w.s, **v(w), days=[3, 1])),
        ("models.votes.dialogs.ask_opening_day", lambda w: dialogs.ask_opening_day(
            w.s, **v(w))),
        ("models.votes.dialogs.choose_opening", lambda w: dialogs.choose_opening(
            w.s, **v(w), day=today + dt.timedelta(days=20), tz=tz)),
        ("models.votes.dialogs.choose_closing", lambda w: dialogs.choose_closing(
            w.s, **v(w), day=today + dt.timedelta(days=26), tz=tz)),
        ("models.votes.lifecycle.set_dates", lambda w: lifecycle.set_dates(
            w.s, **v(w), opens_on=today + dt.timedelta(days=20),
            closes_on=today + dt.timedelta(days=27), tz=tz)),
        ("models.votes.dialogs.draft", lambda w: dialogs.draft(w.s, **v(w))),
        ("models.votes.dialogs.missing_areas", lambda w: dialogs.missing_areas(w.s, **v(w))),
        ("models.votes.lifecycle.announce", lambda w: lifecycle.announce(w.s, **v(w), tz=tz)),
        ("models.votes.printing.print_choices", lambda w: printing.print_choices(w.s, **v(w))),
        ("models.votes.printing.printable", lambda w: printing.printable(w.s, **v(w))),
        ("models.votes.officers.candidates", lambda w: officers.candidates(w.s, **v(w))),
        ("models.votes.officers.grant", lambda w: officers.grant(
            w.s, **v(w), person_id=w.staff.id)),
        ("models.votes.following.remind", opened_and_reminded),
        # the staff member, authorised above, enters a paper ballot
        ("models.votes.paper.start", lambda w: paper.start(w.s, vote_id=w.vote.id, by=w.staff,
                                                           now=during(w))),
        ("models.votes.paper.roll_level", lambda w: paper.roll_level(
            w.s, vote_id=w.vote.id, place_id=0, by=w.staff, now=during(w))),
        ("models.votes.paper.by_token", paper_by_token),
        ("models.votes.paper.by_code", lambda w: paper.by_code(
            w.s, vote_id=w.vote.id, text=w.token, by=w.staff, language="zh_CN",
            now=during(w))),
        ("models.votes.paper.by_home", lambda w: paper.by_home(
            w.s, vote_id=w.vote.id, household_id=w.home, by=w.staff,
            language="zh_CN", now=during(w))),
        ("models.votes.paper.entry", lambda w: paper.entry(
            w.s, vote_id=w.vote.id, owner_id=w.entry.owner.id, by=w.staff, language="zh_CN",
            now=during(w))),
        ("models.votes.paper.record", lambda w: paper.record(
            w.s, vote_id=w.vote.id, owner_id=w.entry.owner.id, by=w.staff, channel="paper",
            answers={1: "agree", 2: (1,)}, now=during(w))),
        ("models.votes.paper.record_unsigned", paper_unsigned),
        ("models.votes.poster.posted", results_poster),
        # the staff member knocks on the neighbour's door, and helps them vote with a proxy
        ("models.votes.knocks.door", knock_door),
        ("models.votes.knocks.knock_paths", lambda w: knocks.knock_paths(w.s, w.vote, w.staff)),
        ("models.votes.knocks.require_over_home", lambda w: knocks.require_over_home(
            w.s, w.staff, w.door.entry.owner)),
        ("models.votes.knocks.votes_to_knock", lambda w: knocks.votes_to_knock(w.s, w.staff)),
        ("models.votes.knocks.may_knock_in", lambda w: knocks.may_knock_in(
            w.s, w.vote, w.staff, B1)),
        ("models.votes.knocks.buildings", lambda w: knocks.buildings(
            w.s, vote_id=w.vote.id, by=w.staff)),
        ("models.votes.knocks.building_list", lambda w: knocks.building_list(
            w.s, vote_id=w.vote.id, building_id=0, by=w.staff)),
        ("models.votes.knocks.set_state", lambda w: knocks.set_state(
            w.s, vote_id=w.vote.id, household_id=w.door.household_id, state="refused",
            by=w.staff)),
        ("models.votes.knocks.table", lambda w: knocks.table(
            w.s, vote_id=w.vote.id, building_id=0, by=w.staff)),
        ("models.votes.assisted.start", lambda w: assisted.start(
            w.s, vote_id=w.vote.id, household_id=w.door.household_id, by=w.staff,
            language="zh_CN", now=during(w))),
        ("models.votes.assisted.take_proxy", lambda w: assisted.take_proxy(
            w.s, owner_id=w.door.entry.owner.id, file_id="proxy", by=w.staff,
            language="zh_CN", now=during(w))),
        ("models.votes.assisted.entry", lambda w: assisted.entry(
            w.s, vote_id=w.vote.id, owner_id=w.door.entry.owner.id, by=w.staff,
            language="zh_CN", now=during(w))),
        ("models.votes.assisted.record", lambda w: assisted.record(
            w.s, vote_id=w.vote.id, owner_id=w.door.entry.owner.id, by=w.staff,
            answers={1: "agree", 2: (1,)}, now=during(w))),
        ("models.votes.officers.revoke", lambda w: officers.revoke(
            w.s, **v(w), person_id=w.staff.id)),
        ("models.votes.closing.extend", lambda w: closing.extend(
            w.s, **v(w), closes_on=today + dt.timedelta(days=30), tz=tz,
            now=w.vote.opens_at + dt.timedelta(hours=2))),
        ("models.votes.dialogs.ask_reason", lambda w: dialogs.ask_reason(w.s, **v(w))),
        ("models.votes.dialogs.answer_reason", lambda w: dialogs.answer_reason(
            w.s, **v(w), text="业主委员会改选后重新发起")),
        ("models.votes.lifecycle.create", cancelled_draft),
        ("models.votes.lifecycle.cancel", cancelled_draft),
    ]
    p = lambda w: dict(pledge_id=w.pledge.id, by=w.staff)  # noqa: E731
    d = lambda w: dict(pledge_id=w.pledge.id, author=w.staff)  # noqa: E731
    return [
        ("models.onboarding.decide_membership", lambda w: onboarding.decide_membership(
            w.s, membership_id=w.pending, decider=w.staff, approve=True)),
        ("models.roles.grant", lambda w: roles.grant(
            w.s, telegram_id=950, place_names=COMMUNITY.split("/"), role=Role.GRID_WORKER,
            name="新网格员", language="zh_CN")),
        ("models.roles.revoke", lambda w: roles.revoke(
            w.s, telegram_id=950, place_names=COMMUNITY.split("/"), role=Role.GRID_WORKER)),
        ("models.groups.bind_chat", bind),
        ("models.estates.grant_seat", seat),
        ("models.estates.revoke_seat", lambda w: estates.revoke_seat(
            w.s, estate_id=w.estate.id, person_id=w.resident.id, actor_id=w.staff.id)),
        ("models.roles.grant_seat", lambda w: roles.grant_seat(
            w.s, telegram_id=951, estate_names=[*COMMUNITY.split("/"), w.estate.name],
            body=estates.Body.PREPARATORY, name="新筹备组成员", language="zh_CN")),
        ("models.roles.revoke_seat", lambda w: roles.revoke_seat(
            w.s, telegram_id=951, estate_names=[*COMMUNITY.split("/"), w.estate.name])),
        ("models.permissions.require_scope_over_person",
         lambda w: permissions.require_scope_over_person(
             w.s, person_id=w.resident.id, by=w.staff, roles=permissions.MANAGERS)),
        ("models.notices.drafts.author_scopes", lambda w: nt.author_scopes(w.s, w.staff)),
        ("models.notices.drafts.start_draft", notice_draft),
        ("models.notices.drafts.open_draft", lambda w: nt.open_draft(w.s, w.staff)),
        ("models.notices.drafts.own_draft", lambda w: nt.own_draft(
            w.s, notice_id=w.notice.id, author=w.staff)),
        ("models.notices.drafts.ask_language_text", lambda w: nt.ask_language_text(
            w.s, notice_id=w.notice.id, author=w.staff, language="en")),
        ("models.notices.drafts.ask_time", lambda w: nt.ask_time(
            w.s, notice_id=w.notice.id, author=w.staff)),
        ("models.notices.drafts.set_place", notice_place),
        ("models.notices.current.set_valid_until", lambda w: nt.set_valid_until(
            w.s, notice_id=w.notice.id, author=w.staff, until=None)),
        ("models.notices.sending.confirm", lambda w: nt.confirm(
            w.s, notice_id=w.notice.id, author=w.staff)),
        ("models.notices.drafts.own_notice", lambda w: nt.own_notice(
            w.s, notice_id=w.notice.id, author=w.staff)),
        ("models.notices.following.remind_unacknowledged", lambda w: nt.remind_unacknowledged(
            w.s, notice_id=w.notice.id, by=w.staff)),
        ("models.notices.sending.schedule_at", later_notice),
        ("models.notices.sending.cancel", lambda w: nt.cancel(
            w.s, notice_id=w.notice.id, by=w.staff)),
        ("models.tags.tagging_scopes", lambda w: tags.tagging_scopes(w.s, w.staff)),
        ("models.tags.area_to_tag", lambda w: tags.area_to_tag(w.s, place_id=None, by=w.staff)),
        ("models.tags.tag_person_check", lambda w: tags.tag_person_check(
            w.s, person_id=w.resident.id, by=w.staff)),
        ("models.tags.member_tags", lambda w: tags.member_tags(
            w.s, person_id=w.resident.id, by=w.staff)),
        ("models.tags.tag_person", lambda w: tags.tag_person(
            w.s, person_id=w.resident.id, tag=Tag.ELDERLY, by=w.staff, on=True)),
        ("models.tags.toggle_tag", lambda w: tags.toggle_tag(
            w.s, person_id=w.resident.id, tag=Tag.ELDERLY_ALONE, by=w.staff)),
        ("models.pledges.drafting.start_draft", pledge_draft),
        ("models.pledges.core.draft_of", lambda w: draft_of(w.s, w.pledge.id, w.staff)),
        ("models.pledges.drafting.add_text", lambda w: pl.add_text(
            w.s, author=w.staff, text="文明过年", pledge_id=w.pledge.id)),
        ("models.pledges.drafting.finish_body", lambda w: pl.add_text(
            w.s, author=w.staff, text="我承诺：不燃放烟花。", pledge_id=w.pledge.id)),
        ("models.pledges.drafting.finish_body", lambda w: pl.finish_body(w.s, **d(w))),
        ("models.pledges.drafting.set_attachment", lambda w: pl.set_attachment(
            w.s, **d(w), file_id=None, kind=None)),
        ("models.pledges.drafting.draft_at_scope", lambda w: pl.draft_at_scope(w.s, **d(w))),
        ("models.pledges.drafting.scope_choices", lambda w: pl.scope_choices(
            w.s, **d(w), browse=None)),
        ("models.pledges.drafting.set_scope", scope),
        ("models.pledges.drafting.go_to_step", lambda w: pl.go_to_step(
            w.s, **d(w), step=Step.SIGNERS)),
        ("models.pledges.drafting.set_signers", lambda w: pl.set_signers(
            w.s, **d(w), signers=Signers.RESIDENT)),
        ("models.pledges.drafting.set_closing", lambda w: pl.set_closing(
            w.s, **d(w), closes_at=NOW + dt.timedelta(days=14), now=NOW)),
        ("models.pledges.drafting.resume_draft", lambda w: pl.resume_draft(w.s, **d(w))),
        ("models.pledges.publishing.publish_pledge", lambda w: pl.publish_pledge(
            w.s, **d(w), now=NOW)),
        ("models.pledges.following.summary", lambda w: pl.summary(
            w.s, pledge=w.pledge, by=w.staff)),
        ("models.pledges.following.progress_report", lambda w: pl.progress_report(
            w.s, **p(w), node_id=0)),
        ("models.pledges.following.assist_choices", lambda w: pl.assist_choices(w.s, **p(w))),
        ("models.pledges.following.poster_target", lambda w: pl.poster_target(
            w.s, **p(w), building_id=0)),
        ("models.pledges.following.remind_non_signers", lambda w: pl.remind_non_signers(
            w.s, **p(w))),
        ("models.pledges.following.signature_rows", lambda w: pl.signature_rows(w.s, **p(w))),
        ("models.pledges.signing.assisted_candidate", lambda w: pl.assisted_candidate(
            w.s, **p(w), resident_id=w.resident.id)),
        ("models.pledges.signing.sign_for_resident", lambda w: pl.sign_for_resident(
            w.s, **p(w), resident_id=w.resident.id, version=1)),
        ("models.pledges.signing.sign_pledge", lambda w: pl.sign_pledge(
            w.s, pledge_id=w.pledge.id, person=w.neighbour, version=1, assisted_by=w.staff)),
        ("models.pledges.following.export_signatures", lambda w: pl.export_signatures(
            w.s, **p(w), file_format="csv")),
        ("models.pledges.drafting.cancel_translation", lambda w: pl.begin_translation(
            w.s, pledge_id=w.pledge.id, author=w.staff, language="en")),
        ("models.pledges.drafting.cancel_translation", lambda w: pl.cancel_translation(
            w.s, pledge_id=w.pledge.id, author=w.staff)),
        ("models.pledges.drafting.begin_translation", lambda w: pl.begin_translation(
            w.s, pledge_id=w.pledge.id, author=w.staff, language="en")),
        ("models.pledges.drafting.begin_translation", lambda w: pl.add_text(
            w.s, author=w.staff, text="No fireworks", pledge_id=w.pledge.id)),
        ("models.pledges.drafting.begin_translation", lambda w: pl.add_text(
            w.s, author=w.staff, text="I pledge: no fireworks.", pledge_id=w.pledge.id)),
        ("models.pledges.drafting.finish_translation", lambda w: pl.finish_translation(
            w.s, pledge_id=w.pledge.id, author=w.staff)),
        ("models.pledges.changes.begin_edit", lambda w: pl.begin_edit(w.s, **p(w))),
        ("models.pledges.changes.begin_edit", lambda w: pl.add_text(
            w.s, author=w.staff, text="我承诺：不燃放烟花爆竹。", pledge_id=w.pledge.id)),
        ("models.pledges.changes.save_version", lambda w: pl.save_version(w.s, **p(w))),
        ("models.pledges.changes.ask_to_resign", lambda w: pl.ask_to_resign(w.s, **p(w))),
        ("models.pledges.changes.extend_pledge", lambda w: pl.extend_pledge(
            w.s, **p(w), days=7)),
        ("models.pledges.changes.closing_pledge", lambda w: pl.closing_pledge(w.s, **p(w))),
        ("models.pledges.changes.close_pledge", lambda w: pl.close_pledge(w.s, **p(w))),
        ("models.pledges.drafting.cancel_draft", lambda w: pledge_draft(w)),
        ("models.pledges.drafting.cancel_draft", lambda w: pl.cancel_draft(w.s, **d(w))),
        *votes,
        *poll_cases(),
    ]


def poll_cases() -> list[tuple[str, Callable[[SimpleNamespace], Awaitable[object]]]]:
    """A resident poll of 1栋 written, published, reminded, closed and its result published;
    and a second draft discarded."""
    from models.polls import closing as pc
    from models.polls import drafting as pd
    from models.polls import following as pf
    from models.polls.tables import Step

    q = lambda w: dict(poll_id=w.poll.id, author=w.staff)  # noqa: E731

    async def start(w):
        w.poll = await pd.start_draft(w.s, author=w.staff)
        return w.poll

    async def set_place(w):
        return await pd.set_place(w.s, **q(w), place_id=(await place(w.s, B1)).id)

    return [
        ("models.polls.drafting.start_draft", start),
        ("models.polls.drafting.set_place", set_place),
        ("models.polls.drafting.answer", lambda w: pd.answer(
            w.s, **q(w), step="question", text="自行车棚搬到北门好吗？")),
        ("models.polls.drafting.answer", lambda w: pd.answer(
            w.s, **q(w), step="options", text="好")),
        ("models.polls.drafting.answer", lambda w: pd.answer(
            w.s, **q(w), step="options", text="不好")),
        ("models.polls.drafting.answer", lambda w: pd.answer(
            w.s, **q(w), step="options", text="无所谓")),
        ("models.polls.drafting.drop_option", lambda w: pd.drop_option(w.s, **q(w), number=3)),
        ("models.polls.drafting.options_done", lambda w: pd.options_done(w.s, **q(w))),
        ("models.polls.drafting.go_to", lambda w: pd.go_to(w.s, **q(w), step=Step.PREVIEW)),
        ("models.polls.drafting.resume", lambda w: pd.resume(w.s, **q(w))),
        ("models.polls.drafting.configure", lambda w: pd.configure(w.s, **q(w), close_in=7)),
        ("models.polls.drafting.publish", lambda w: pd.publish(w.s, **q(w))),
        ("models.polls.following.remind", lambda w: pf.remind(w.s, poll_id=w.poll.id,
                                                              by=w.staff)),
        ("models.polls.closing.close_now", lambda w: pc.close_now(w.s, poll_id=w.poll.id,
                                                                  by=w.staff)),
        ("models.polls.closing.publish_result", lambda w: pc.publish_result(
            w.s, poll_id=w.poll.id, by=w.staff)),
        ("models.polls.drafting.start_draft", start),
        ("models.polls.drafting.discard", lambda w: pd.discard(w.s, **q(w))),
    ] + report_cases()


def report_cases() -> list[tuple[str, Callable[[SimpleNamespace], Awaitable[object]]]]:
    """Photo reports (#16): a repair team, a category of the community's own, the resident's
    report dispatched, started, fixed, reopened, fixed again and accepted; a second one
    merged into it, a third rejected."""
    from models.people import Role
    from models.reports import categories as rc
    from models.reports import core as rcore
    from models.reports import departments as rd
    from models.reports import drafting as rdr
    from models.reports import handling as rh

    async def sent(w):
        who = w.resident
        draft = await rdr.start_draft(w.s, reporter=who)
        await rdr.photos_done(w.s, report_id=draft.id, reporter=who)
        await rdr.set_place(w.s, report_id=draft.id, reporter=who,
                            place_id=(await place(w.s, B1)).id)
        category = (await rdr.categories_for(w.s, draft))[1]
        await rdr.set_category(w.s, report_id=draft.id, reporter=who, category_id=category.id)
        await rdr.set_description(w.s, report_id=draft.id, reporter=who, text="楼道灯坏了")
        report, _n = await rdr.submit(w.s, report_id=draft.id, reporter=who)
        return report

    async def team(w):
        w.fixer = await person(w.s, 950, "赵师傅", role=Role.DEPARTMENT, at=COMMUNITY)
        w.team = await rd.create(w.s, community=await place(w.s, COMMUNITY), by=w.staff,
                                 name="维修队", members=[w.fixer.id])
        return w.team

    async def category(w):
        w.category = await rc.add_category(w.s, community=await place(w.s, COMMUNITY),
                                           by=w.staff, name="电梯")
        return w.category

    async def assign(w):
        w.report = await sent(w)
        return await rh.assign(w.s, report_id=w.report.id, actor=w.staff,
                               department_id=w.team.id)

    async def merge(w):
        w.twin = await sent(w)
        return await rh.merge(w.s, report_id=w.twin.id, actor=w.staff, into_id=w.report.id)

    async def reject(w):
        w.third = await sent(w)
        return await rh.reject(w.s, report_id=w.third.id, actor=w.staff, reason="not_ours")

    r = lambda w: dict(report_id=w.report.id)  # noqa: E731
    return [
        ("models.reports.departments.create", team),
        ("models.reports.categories.add_category", category),
        ("models.reports.categories.set_active", lambda w: rc.set_active(
            w.s, category_id=w.category.id, by=w.staff, active=False)),
        ("models.reports.handling.assign", assign),
        ("models.reports.core.require_dispatcher", lambda w: rcore.require_dispatcher(
            w.s, w.report, w.staff)),
        ("models.reports.handling.set_deadline", lambda w: rh.set_deadline(
            w.s, **r(w), actor=w.staff, days=5)),
        ("models.reports.handling.merge", merge),
        ("models.reports.handling.reject", reject),
        ("models.reports.handling.start", lambda w: rh.start(w.s, **r(w), actor=w.fixer)),
        ("models.reports.core.require_assignee", lambda w: rcore.require_assignee(
            w.s, w.report, w.fixer)),
        ("models.reports.handling.ask_after_photo", lambda w: rh.ask_after_photo(
            w.s, **r(w), actor=w.fixer)),
        ("models.reports.handling.fix", lambda w: rh.fix(w.s, **r(w), actor=w.fixer,
                                                        file_id="after-1")),
        ("models.reports.handling.ask_reopen_reason", lambda w: rh.ask_reopen_reason(
            w.s, **r(w), actor=w.resident)),
        ("models.reports.handling.reopen", lambda w: rh.reopen(
            w.s, **r(w), actor=w.resident, reason="还是不亮")),
        ("models.reports.handling.fix", lambda w: rh.fix(w.s, **r(w), actor=w.fixer,
                                                        file_id="after-2")),
        ("models.reports.handling.accept", lambda w: rh.accept(
            w.s, **r(w), actor=w.resident, rating=5)),
    ]


async def test_every_actor_verb_has_a_case_here():
    covered = {name for name, _call in cases()}
    missing = sorted(set(actor_verbs()) - covered - SHARED_PARTS)
    assert not missing, f"verbs that take an actor but have no case in {__name__}: {missing}"


async def test_every_verb_that_changes_state_writes_an_audit_row(db, session):
    from models.onboarding import request_membership
    from models.people import Relation, Role

    staff = await person(session, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
    w = SimpleNamespace(s=session, staff=staff)
    w.resident = await resident(session, staff, 1, B1 + "/1单元/101")
    w.neighbour = await resident(session, staff, 2, B1 + "/1单元/102")
    waiting = await person(session, 3, "孙待审")
    room = await place(session, B1 + "/1单元/201")
    w.pending = (await request_membership(session, person=waiting, relation=Relation.OWNER,
                                          household_id=room.id)).membership.id
    unaudited = []
    for name, call in cases():
        first = await session.scalar(select(func.count()).select_from(AuditEntry))
        with written_tables(db) as tables:
            await call(w)
        await session.commit()
        domain = set(tables) - BOOKKEEPING
        audited = await session.scalar(select(func.count()).select_from(AuditEntry)) - first
        if domain and not audited and name not in UNAUDITED:
            unaudited.append((name, sorted(domain)))
    assert not unaudited, f"verbs that changed {unaudited} and wrote no audit row"
    actions = set(await session.scalars(select(AuditEntry.action)))
    assert {"membership.approve", "group.bind", "notice.confirm", "pledge.publish",
            "pledge.sign_assisted", "pledge.add_language", "pledge.close", "tag.set",
            "committee.grant", "committee.revoke", "vote.create", "vote.announce",
            "vote.remind", "vote.extend", "vote.cancel", "vote.door_knock",
            "vote.assist_proxy", "report.assign", "report.fix", "report.merge",
            "report.reject"} <= actions
