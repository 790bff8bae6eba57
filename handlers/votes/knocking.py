"""Door-knocking for an open vote (models/votes/knocks.py), for staff and grid workers in their
part: "🚪 Door-knocking" under /votes lists the open votes with homes they cover; a vote's
buildings with how many have voted; a building's owners who have not voted, each with what
knocking found, a button each and the list as CSV/XLSX; a home's door with a button per state
and "🤝 Assisted ballot" (handlers/votes/assisting.py). Every press is re-checked by the verb.
"""

from __future__ import annotations

from html import escape

from bot.buttons import keyboard, paged
from bot.exports import csv_bytes, xlsx_bytes
from bot.feature import Call
from bot.i18n import N_, Translator
from handlers.votes.knock_buttons import (
    Assist,
    KnockDoor,
    KnockExport,
    KnockIn,
    Knocking,
    KnockSet,
    KnockVotes,
)
from handlers.votes.paper_text import owner_lines
from handlers.votes.rendering import title
from models.telegram_limits import CAPTION, button_label, fit_lines, shorten
from models.votes import knocks
from models.votes.knocks import Knock, Missing

SHOWN = 40  # owners listed on a building's page (the export has them all)
STATES = {"none": N_("— nothing recorded"), "not-reached": N_("🚪 Not reached"),
          "refused": N_("🙅 Refused"), "online": N_("📱 Will vote online"),
          "paper": N_("📄 Will vote on paper")}


def knock_text(_: Translator, knock: Knock | None) -> str:
    """A door-knock state as the lists say it: the state, who set it and when."""
    if knock is None:
        return _(STATES["none"])
    return _("{state} ({name}, {when})", state=_(STATES[knock.state]), name=escape(knock.by),
             when=_.when(knock.at))


def who(_: Translator, m: Missing) -> str:
    """The owner's name, or that the home's owner is not in linli."""
    return m.name if m.person_id is not None else _("(owner not in linli)")


def missing_line(_: Translator, m: Missing) -> str:
    """An owner who has not voted, in a building's list, with the home's door-knock state."""
    return (f"• {escape(m.unit)} {escape(m.room)} — {escape(who(_, m))} · "
            f"{knock_text(_, m.knock)}")


async def knock_votes(call: Call[KnockVotes]) -> None:
    """The open votes with homes I may knock on."""
    _ = call._
    votes = await knocks.votes_to_knock(call.session, call.actor)
    rows = [[(button_label(v.title_for(_.language)), Knocking(v.id))] for v in votes]
    await call.show(_("🚪 <b>Door-knocking</b>: the open votes with homes you cover. Record "
                      "what you find at the door of owners who have not voted, or help an "
                      "owner vote with a written proxy.") if votes else
                    _("No vote is open in the homes you cover."),
                    keyboard(*rows) if rows else None)


async def knocking(call: Call[Knocking]) -> None:
    """A vote's buildings in my part: how many households have voted."""
    _ = call._
    vote, rows = await knocks.buildings(call.session, vote_id=call.data.vote_id,
                                        by=call.actor, language=_.language)
    lines = [_("🚪 <b>Door-knocking</b> — «{title}»", title=title(_, vote)), "",
             *[_("{building}: {voted} of {households} households have voted",
                 building=escape(r.name), voted=r.voted_households, households=r.households)
               for r in rows], "", _("Pick a building to see who has not voted.")]
    buttons = [(button_label(r.name, f" {r.voted_households}/{r.households}"),
                KnockIn(vote.id, r.place_id, 0)) for r in rows]
    await call.show(fit_lines(lines), keyboard(*[buttons[i:i + 3]
                                                 for i in range(0, len(buttons), 3)],
                                               [(_("◀ Back"), KnockVotes())]))


async def knock_in(call: Call[KnockIn]) -> None:
    """A building's owners who have not voted, with what knocking found; a button per home."""
    _, data = call._, call.data
    vote, building, rows = await knocks.building_list(
        call.session, vote_id=data.vote_id, building_id=data.building_id, by=call.actor,
        language=_.language)
    name = building.name_in(_.language) if building is not None else ""
    lines = [_("🚪 <b>{title}</b> — {building}: not voted yet", title=title(_, vote),
               building=escape(name)), "",
             *[missing_line(_, m) for m in rows[:SHOWN]]]
    if len(rows) > SHOWN:
        lines.append(_("… and more: the export has them all."))
    if not rows:
        lines.append(_("Every owner here has voted."))
    homes: dict[int, str] = {}
    for m in rows:
        if m.household_id is not None and m.household_id not in homes:
            mark = "" if m.knock is None else " " + _(STATES[m.knock.state]).split(" ")[0]
            homes[m.household_id] = button_label(f"{m.unit} {m.room} {who(_, m)}", mark)
    items = [(label, KnockDoor(vote.id, home)) for home, label in homes.items()]
    extra = [KnockExport(vote.id, data.building_id, "csv").button(_("⬇ CSV")),
             KnockExport(vote.id, data.building_id, "xlsx").button(_("⬇ XLSX")),
             Knocking(vote.id).button(_("◀ Back"))]
    await call.show(fit_lines(lines), paged(
        items, page=data.page, page_data=lambda n: KnockIn(vote.id, data.building_id, n),
        extra=extra))


async def show_door(call: Call[object], door: knocks.Door) -> None:
    _, vote = call._, door.entry.vote
    lines = [_("🚪 <b>{title}</b>", title=title(_, vote)), *owner_lines(_, door.entry),
             _("Door-knocking: {state}", state=knock_text(_, door.knock)), "",
             _("What did you find at the door? Or help the owner vote: with a written proxy "
               "(委托书) they signed, you enter their choices for them.")]
    current = door.knock.state if door.knock is not None else "none"
    states = [(("✅ " if state == current else "") + _(label),
               KnockSet(vote.id, door.household_id, state))  # type: ignore[arg-type]
              for state, label in STATES.items() if state != "none"]
    await call.show("\n".join(lines), keyboard(
        states[:2], states[2:],
        [(_("↩ Clear"), KnockSet(vote.id, door.household_id, "none"))],
        [(_("🤝 Assisted ballot (written proxy)"), Assist(vote.id, door.household_id))],
        [(_("◀ Door-knocking"), Knocking(vote.id))]))


async def knock_door(call: Call[KnockDoor]) -> None:
    """One home's door: what knocking found so far, a button per state."""
    await show_door(call, await knocks.door(
        call.session, vote_id=call.data.vote_id, household_id=call.data.household_id,
        by=call.actor, language=call._.language))


async def knock_set(call: Call[KnockSet]) -> None:
    """Record what knocking found (audited); the door again."""
    data = call.data
    door = await knocks.set_state(call.session, vote_id=data.vote_id,
                                  household_id=data.household_id, state=data.state,
                                  by=call.actor, language=call._.language)
    await call.toast(call._("Recorded: {state}", state=call._(STATES[data.state])))
    await show_door(call, door)


async def knock_export(call: Call[KnockExport]) -> None:
    """The not-voted list with its door-knock states, as CSV or XLSX."""
    _, data = call._, call.data
    vote, rows = await knocks.table(call.session, vote_id=data.vote_id,
                                    building_id=data.building_id, by=call.actor,
                                    language=_.language)
    header = [_("Building"), _("Unit"), _("Room"), _("Name"), _("Door-knocking"), _("Set by"),
              _("Set at")]
    table = [(m.building, m.unit, m.room, who(_, m),
              _(STATES[m.knock.state]) if m.knock else "", m.knock.by if m.knock else "",
              m.knock.at.astimezone(call.tz).strftime("%Y-%m-%d %H:%M") if m.knock else "")
             for m in rows]
    payload = (csv_bytes(header, table) if data.file_format == "csv"
               else xlsx_bytes(header, table, sheet=_("Not voted")))
    await call.send_document(payload, f"vote-{vote.id}-not-voted.{data.file_format}", shorten(
        _("«{title}»: {count} owners have not voted", title=vote.title_for(_.language),
          count=len(rows)), CAPTION))


BUTTONS = {KnockVotes: knock_votes, Knocking: knocking, KnockIn: knock_in,
           KnockDoor: knock_door, KnockSet: knock_set, KnockExport: knock_export}
