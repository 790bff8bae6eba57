"""Writing an owners' vote (the owners' committee, its preparatory group, community staff):
the votes I run and "New vote"; the estate (or one building of it) by buttons; the title
typed; matters added one by one (the art. 278 item from buttons naming each item, then the
title typed); the opening day (the earliest the 15 days' notice allows, or later; a typed day
too), the closing day, whether ballots may change until closing (or, for a vote of elections
only, are secret); the preview, where the automatic reminders to those who have not voted are
shown and changed ("🔔 Reminders": 3 days and 1 day before closing unless another schedule is
picked) and a secret ballot chosen or undone; "📣 Announce".
What is typed goes where it was asked (models/votes/dialogs.py records the question).
"""

from __future__ import annotations

import datetime as dt
from html import escape

from bot.buttons import ButtonData, keyboard
from bot.feature import Call
from bot.i18n import N_, Translator
from handlers.votes.buttons import (
    AddMatter,
    Announce,
    CancelAsk,
    Changeable,
    Closes,
    Convene,
    Dates,
    DropMatter,
    ElectionPage,
    Manage,
    NewVote,
    Opens,
    PickElection,
    PickEstate,
    PickItem,
    PickScope,
    Preview,
    Reminders,
    RemindOn,
    Secret,
)
from handlers.votes.rendering import (
    SCHEDULES,
    header,
    item_name,
    matter_lines,
    reminders_line,
    schedule_of,
    status_of,
    title,
)
from models.errors import NotAllowed
from models.estates import estate_label
from models.places import name_in
from models.telegram_limits import button_label
from models.votes import core, dialogs, lifecycle, reading, secret
from models.votes.tables import Vote

OPENING_LATER = (0, 7, 14, 30)  # days after the earliest allowed opening
LASTING = (7, 14, 30)  # days voting may last, offered as closing days
ASK_TITLE = N_("<b>New owners' vote</b> — send its <b>title</b>, for example «2027 owners' "
               "assembly».")


def day_of(number: int) -> dt.date:
    return dt.date.fromordinal(number)


def today(call: Call[object]) -> dt.date:
    return dt.datetime.now(call.tz).date()


async def convene(call: Call[object]) -> None:
    """The votes I may run, and "New vote"."""
    _ = call._
    if not await dialogs.convenor_estates(call.session, call.actor):
        raise NotAllowed(core.NOT_CONVENOR)
    votes = await lifecycle.votes_of(call.session, call.actor)
    rows: list[list[tuple[str, ButtonData]]] = [
        [(button_label(v.title_for(_.language) or _("(untitled)"), f" · {status_of(_, v)}"),
          Manage(v.id))] for v in votes[:30]]
    rows.append([(_("➕ New vote"), NewVote(0))])
    await call.show(_("<b>Owners' votes you run</b>") if votes else _("No owners' votes yet."),
                    keyboard(*rows))


async def new_vote(call: Call[NewVote]) -> None:
    """Which estate (skipped when there is one)."""
    estates = await dialogs.convenor_estates(call.session, call.actor)
    if len(estates) == 1:
        await _scopes(call, estates[0].id)
        return
    await call.show(call._("Which estate is the vote for?"), keyboard(
        *[[(estate_label(e, call._.language), PickEstate(e.id))] for e in estates],
        [(call._("◀ Back"), Convene())]))


async def pick_estate(call: Call[PickEstate]) -> None:
    await _scopes(call, call.data.estate_id)


async def _scopes(call: Call[object], estate_id: int) -> None:
    """The whole estate, or one of its buildings."""
    _ = call._
    estate, buildings = await dialogs.estate_choices(call.session, estate_id=estate_id,
                                                     person=call.actor)
    name = estate_label(estate, _.language)
    rows = [[(_("✅ All of {estate}", estate=name), PickScope(estate.id, 0))]]
    rows += [[(name_in(b.name, b.name_en, _.language), PickScope(estate.id, b.id))
              for b in buildings[i:i + 3]] for i in range(0, len(buildings), 3)]
    await call.show(_("Who decides: the owners of all of <b>{estate}</b>, or of one "
                      "building?", estate=escape(name)), keyboard(*rows))


async def pick_scope(call: Call[PickScope]) -> None:
    """Create the draft and ask for its title."""
    data = call.data
    await dialogs.start_vote(call.session, estate_id=data.estate_id,
                             building_id=data.building_id or None, author=call.actor)
    await call.show(call._(ASK_TITLE))


def item_keyboard(_: Translator, vote_id: int) -> list[list[tuple[str, ButtonData]]]:
    """The art. 278 items, and first the committee election (item 3, with candidates)."""
    return [[(_("🗳 Committee election (item 3): owners choose among candidates"),
              PickElection(vote_id))],
            *[[(f"{item}. {item_name(_, item)}", PickItem(vote_id, item))]
              for item in core.ITEMS]]


async def show_draft(call: Call[object], vote: Vote) -> None:
    """The draft so far: its title and matters; what to add next."""
    _ = call._
    matters = await core.matters_of(call.session, vote.id)
    if not matters:
        await call.show(_("«{title}» — <b>matter 1</b>: which item of Civil Code art. 278 "
                          "does it fall under?", title=title(_, vote)),
                        keyboard(*item_keyboard(_, vote.id)))
        return
    text = "\n".join([_("<b>{title}</b> — the matters so far:", title=title(_, vote)), "",
                      *matter_lines(_, matters), "",
                      _("Add another matter, or go on to the dates.")])
    rows = [[(_("➕ Add a matter"), AddMatter(vote.id)), (_("Next: dates ▶"), Dates(vote.id))],
            [(_("🗑 Remove {number}", number=m.number), DropMatter(vote.id, m.number))
             for m in matters[:6]],
            [(_("✏️ {number}: candidates", number=m.number), ElectionPage(vote.id, m.number))
             for m in matters if m.kind == "election"][:4]]
    await call.show(text, keyboard(*[row for row in rows if row]))


async def add_matter(call: Call[AddMatter]) -> None:
    _ = call._
    vote = await dialogs.draft(call.session, vote_id=call.data.vote_id, author=call.actor)
    number = len(await core.matters_of(call.session, vote.id)) + 1
    await call.show(_("<b>Matter {number}</b>: which item of Civil Code art. 278 does it fall "
                      "under?", number=number), keyboard(*item_keyboard(_, vote.id)))


async def pick_item(call: Call[PickItem]) -> None:
    """The item chosen: ask for the matter's title."""
    _, data = call._, call.data
    await dialogs.ask_matter(call.session, vote_id=data.vote_id, item=data.item,
                             author=call.actor)
    await call.show(_("Item {item}: {name}. Now send the matter's <b>title</b> as owners will "
                      "read it on the ballot.", item=data.item, name=item_name(_, data.item)))


async def drop_matter(call: Call[DropMatter]) -> None:
    await lifecycle.remove_matter(call.session, vote_id=call.data.vote_id,
                                  number=call.data.number, author=call.actor)
    await show_draft(call, await dialogs.draft(call.session, vote_id=call.data.vote_id,
                                               author=call.actor))


async def dates(call: Call[Dates]) -> None:
    """The opening day: the earliest the law allows, or later (or a typed day)."""
    _ = call._
    vote = await dialogs.ask_opening_day(call.session, vote_id=call.data.vote_id,
                                         author=call.actor)
    earliest = core.earliest_opening(today(call))
    days = [earliest + dt.timedelta(days=n) for n in OPENING_LATER]
    await call.show(_("When does voting <b>open</b>? Owners must be told at least 15 days "
                      "before: the earliest opening day is {day}. Press a day, or send one "
                      "as YYYY-MM-DD.", day=_.day(earliest)),
                    keyboard([(_.day(d), Opens(vote.id, d.toordinal())) for d in days[:2]],
                             [(_.day(d), Opens(vote.id, d.toordinal())) for d in days[2:]]))


async def opens(call: Call[Opens]) -> None:
    vote = await dialogs.choose_opening(call.session, vote_id=call.data.vote_id,
                                        day=day_of(call.data.day), author=call.actor,
                                        tz=call.tz, max_voting=call.settings.vote_max_voting)
    await ask_closing(call, vote)


async def ask_closing(call: Call[object], vote: Vote) -> None:
    _ = call._
    assert vote.opens_at is not None  # (chosen just before)
    start = core.local_day(vote.opens_at, call.tz)
    days = [start + dt.timedelta(days=n - 1) for n in LASTING]
    await call.show(_("Voting opens on {day}. Until which day (inclusive) can owners vote? "
                      "Press a day, or send one as YYYY-MM-DD.", day=_.day(start)),
                    keyboard(*[[(_("{days} days: until {day}", days=n, day=_.day(d)),
                                 Closes(vote.id, d.toordinal()))]
                               for n, d in zip(LASTING, days, strict=True)]))


async def closes(call: Call[Closes]) -> None:
    vote = await dialogs.choose_closing(call.session, vote_id=call.data.vote_id,
                                        day=day_of(call.data.day), author=call.actor,
                                        tz=call.tz, max_voting=call.settings.vote_max_voting)
    await ask_changeable(call, vote)


async def ask_changeable(call: Call[object], vote: Vote) -> None:
    """How ballots are cast: changeable until closing or final; a vote of elections only may
    have a secret ballot instead."""
    _ = call._
    rows = [[(_("Yes, until closing"), Changeable(vote.id, "y"))],
            [(_("No, a cast ballot is final"), Changeable(vote.id, "n"))]]
    if secret.only_elections(await core.matters_of(call.session, vote.id)):
        rows.append([(_("🔐 Secret ballot (final once cast)"), Secret(vote.id, "y"))])
    await call.show(_("May owners change their ballot until voting closes? (Every change is "
                      "kept in the ballot's history.)"), keyboard(*rows))


async def changeable(call: Call[Changeable]) -> None:
    vote = await lifecycle.set_changeable(call.session, vote_id=call.data.vote_id,
                                          changeable=call.data.allowed == "y",
                                          author=call.actor)
    await show_preview(call, vote)


async def secret_ballot(call: Call[Secret]) -> None:
    """A secret ballot (refused, with the reason, unless every matter is an election), or a
    named one again."""
    vote = await lifecycle.set_secret(call.session, vote_id=call.data.vote_id,
                                      secret_ballot=call.data.secret == "y", author=call.actor)
    await show_preview(call, vote)


def ballot_line(_: Translator, vote: Vote) -> str:
    """How the vote's ballots are cast, as its preview says."""
    if vote.secret:
        return _("🔐 Secret ballot: nothing joins a ballot to its voter. Each voter gets a "
                 "receipt code, and the codes with their choices are published with the "
                 "result. A cast ballot is final.")
    return (_("Ballots can be changed until closing.") if vote.changeable
            else _("A cast ballot is final."))


async def preview(call: Call[Preview]) -> None:
    await show_preview(call, await dialogs.draft(call.session, vote_id=call.data.vote_id,
                                                 author=call.actor))


async def show_preview(call: Call[object], vote: Vote) -> None:
    """The vote as owners will read it, and Announce."""
    _ = call._
    matters = await core.matters_of(call.session, vote.id)
    where = await reading.where(call.session, vote, _.language)
    text = "\n".join([_("<b>Preview</b> — announcing tells every owner now."), "",
                      header(_, vote, where), "", *matter_lines(_, matters, with_needs=True),
                      "", ballot_line(_, vote), reminders_line(_, vote)])
    flip = (_("🔓 Named ballot instead"), Secret(vote.id, "n")) if vote.secret else (
        _("🔐 Secret ballot"), Secret(vote.id, "y"))
    await call.show(text, keyboard(
        [(_("📣 Announce"), Announce(vote.id))],
        [(_("➕ Add a matter"), AddMatter(vote.id)), (_("📅 Dates"), Dates(vote.id))],
        [(_("🔔 Reminders"), Reminders(vote.id)), flip],
        [(_("❌ Cancel the vote"), CancelAsk(vote.id))]))


async def reminders(call: Call[Reminders]) -> None:
    """The automatic reminders to pick from, the current one ticked."""
    _ = call._
    vote = await dialogs.draft(call.session, vote_id=call.data.vote_id, author=call.actor)
    chosen = schedule_of(vote)
    await call.show(_("When should the bot remind the owners who have not voted yet? Each owner "
                      "gets at most one reminder a day, and while voting is open you can also "
                      "remind them with a button."),
                    keyboard(*[[(("✅ " if s is chosen else "") + _(label), RemindOn(vote.id, s))]
                               for s, label in SCHEDULES.items()],
                             [(_("◀ Back"), Preview(vote.id))]))


async def remind_on(call: Call[RemindOn]) -> None:
    """Keep the schedule picked; back to the preview."""
    vote = await lifecycle.set_reminders(call.session, vote_id=call.data.vote_id,
                                         days=list(call.data.schedule.days), author=call.actor)
    await show_preview(call, vote)


async def announce(call: Call[Announce]) -> None:
    """Announce, or list the households that still lack a floor area."""
    _, vote_id = call._, call.data.vote_id
    count, names = await dialogs.missing_areas(call.session, vote_id=vote_id,
                                               author=call.actor)
    if count:
        await call.show(_("The vote cannot be announced: {count} household(s) have no floor "
                          "area in the register, and every home counts by its area. Ask the "
                          "community office to add them:\n{names}", count=count,
                          names=escape("\n".join(names) + ("\n…" if count > len(names)
                                                           else ""))),
                        keyboard([(_("◀ Back"), Preview(vote_id))]))
        return
    told = await lifecycle.announce(call.session, vote_id=vote_id, author=call.actor,
                                    tz=call.tz)
    call.wake_outbox()
    vote = await dialogs.convenor_view(call.session, vote_id=vote_id, person=call.actor,
                                       language=_.language)
    await call.edit(_("📣 Announced: «{title}» is on its way to {count} owners. Voting opens "
                      "on {day}.", title=title(_, vote.vote), count=told,
                      day=_.day(vote.vote.opens_at)),
                    keyboard([(_("📋 Open the vote"), Manage(vote_id))]))
    await call.toast(_("Announced."))


BUTTONS = {Convene: convene, NewVote: new_vote, PickEstate: pick_estate, PickScope: pick_scope,
           AddMatter: add_matter, PickItem: pick_item, DropMatter: drop_matter, Dates: dates,
           Opens: opens, Closes: closes, Changeable: changeable, Secret: secret_ballot,
           Preview: preview, Reminders: reminders, RemindOn: remind_on, Announce: announce}
