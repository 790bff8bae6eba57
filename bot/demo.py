"""The demo community of `linli sandbox`: 阳光社区 from the sample places CSV, its people and
its group chats.

The database half (`seed`) runs once on an empty sandbox database and goes through the same
services as real use — consent, role grants, join requests approved by the staff persona,
group bindings, the owners' committee seats of the estate 阳光花园 granted by the staff
persona — so what the sandbox shows is real data. The Telegram half (`populate_world`)
re-creates the demo users and group chats in the emulator at every start with the same ids,
because the emulator lives in memory while the database persists between runs.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import get_settings
from bot.db import Database
from bot.emulator.state import World
from bot.i18n import N_, from_telegram, tr
from handlers import labels
from models import estates, notices, place_import, pledges
from models.estates import Body
from models.groups import GroupPurpose, bind_chat
from models.onboarding import decide_membership, memberships_of, request_membership
from models.people import (
    MembershipStatus,
    Person,
    Relation,
    Role,
    grant_role,
    grants_of,
    person_by_telegram,
    record_consent,
)
from models.place_import import import_csv
from models.places import (
    JOINABLE,
    Place,
    ancestors,
    find_by_names,
    join_names,
    label,
    natural_key,
)
from models.pledges import sign

SAMPLE_CSV = Path(__file__).parent / "data" / "sample_places.csv"
STREET = "城东街道"
COMMUNITY = f"{STREET}/阳光社区"
ESTATE = f"{COMMUNITY}/阳光花园"  # the estate (物业管理区域) of the community's three buildings
STAFF_ID = 1001
SIGNED_ID = 1005  # 赵敏 has signed the demo pledge for her household
COMMITTEE_ID = 1013  # 吴桂兰 sits on 阳光花园's owners' committee


@dataclass(frozen=True)
class Persona:
    """A demo person: fixed Telegram id, a Chinese and an English name, roles and homes."""

    telegram_id: int
    zh: str
    en: str
    language_code: str  # what their Telegram app reports
    roles: tuple[tuple[Role, str], ...] = ()  # (role, place path)
    homes: tuple[tuple[str, Relation], ...] = ()  # (household path under the community, relation)
    seats: tuple[tuple[Body, str], ...] = ()  # (committee or preparatory group, estate path)
    note: str = ""  # N_() text shown under the name on the page
    joined: bool = True  # False: a newcomer for the visitor to try joining with

    @property
    def name(self) -> str:
        return f"{self.zh} {self.en}"

    @property
    def language(self) -> str:
        return from_telegram(self.language_code)


OWNER, TENANT, FAMILY = Relation.OWNER, Relation.TENANT, Relation.FAMILY
PERSONAS: tuple[Persona, ...] = (
    Persona(1011, "张伟", "Zhang Wei", "zh-hans", joined=False,
            note=N_("New here: has not joined yet. Try joining with this person.")),
    Persona(1012, "安娜", "Anna Schmidt", "en", joined=False,
            note=N_("New here, reads English: has not joined yet.")),
    Persona(STAFF_ID, "王芳", "Wang Fang", "zh-hans", roles=((Role.STAFF, COMMUNITY),),
            note=N_("Community office: approves join requests, and with the owners' "
                    "committee convenes owners' votes and confirms their counts.")),
    Persona(1002, "陈刚", "Chen Gang", "zh-hans",
            roles=((Role.GRID_WORKER, f"{COMMUNITY}/第一网格"),),
            note=N_("Looks after buildings 1 and 2.")),
    Persona(1003, "刘洋", "Liu Yang", "zh-hans", roles=((Role.VOLUNTEER, COMMUNITY),),
            homes=(("第一网格/2栋/1单元/301", OWNER),)),
    Persona(1004, "艾玛", "Emma Wilson", "en", roles=((Role.VOLUNTEER, COMMUNITY),),
            homes=(("第二网格/3栋/2单元/202", TENANT),)),
    Persona(1005, "赵敏", "Zhao Min", "zh-hans", roles=((Role.SUPERVISOR, COMMUNITY),),
            homes=(("第一网格/1栋/2单元/402", OWNER),)),
    Persona(1006, "孙建国", "Sun Jianguo", "zh-hans", roles=((Role.DEPARTMENT, STREET),),
            note=N_("Street office repair team: fixes dispatched reports.")),
    Persona(1007, "李秀英", "Li Xiuying", "zh-hans", homes=(("第一网格/1栋/1单元/101", OWNER),),
            note=N_("78 years old, lives alone.")),
    Persona(1008, "周文", "Zhou Wen", "zh-hans",
            homes=(("第一网格/2栋/2单元/502", OWNER), ("第二网格/3栋/1单元/201", OWNER)),
            note=N_("Owns two flats and lives in another city.")),
    Persona(1009, "米大卫", "David Miller", "en", homes=(("第二网格/3栋/2单元/402", TENANT),),
            note=N_("Tenant from abroad; reads English.")),
    Persona(1010, "黄磊", "Huang Lei", "zh-hans", homes=(("第一网格/1栋/1单元/101", FAMILY),),
            note=N_("Li Xiuying's son.")),
    Persona(COMMITTEE_ID, "吴桂兰", "Wu Guilan", "zh-hans",
            homes=(("第一网格/1栋/2单元/201", OWNER),), seats=((Body.COMMITTEE, ESTATE),),
            note=N_("Owner, on the owners' committee of Sunshine Garden: convenes owners' "
                    "decisions with the community office.")),
)
BY_ID = {p.telegram_id: p for p in PERSONAS}


@dataclass(frozen=True)
class DemoGroup:
    """A Telegram group of the demo, bound to a place; its id is fixed (-100 - n)."""

    chat_id: int
    title: str
    place: str
    purpose: GroupPurpose
    members: tuple[int, ...]


def _building_group(n: int, grid: str, building: str) -> DemoGroup:
    path = f"{COMMUNITY}/{grid}/{building}"
    residents = [p.telegram_id for p in PERSONAS
                 if any(f"{COMMUNITY}/{home}".startswith(path + "/") for home, _ in p.homes)]
    # Staff and the grid worker covering the building are in its group, as in real life.
    carers = [p.telegram_id for p in PERSONAS for role, where in p.roles
              if role in (Role.STAFF, Role.GRID_WORKER) and path.startswith(where)]
    return DemoGroup(-100 - n, f"{building} 邻里群", path, GroupPurpose.PLACE,
                     tuple(dict.fromkeys(carers + residents)))


GROUPS: tuple[DemoGroup, ...] = (
    _building_group(1, "第一网格", "1栋"),
    _building_group(2, "第一网格", "2栋"),
    _building_group(3, "第二网格", "3栋"),
    DemoGroup(-104, "阳光社区 志愿者队", COMMUNITY, GroupPurpose.VOLUNTEERS,
              (STAFF_ID, 1003, 1004, 1005)),
    DemoGroup(-105, "城东街道 派单群", STREET, GroupPurpose.DISPATCH, (STAFF_ID, 1006)),
)

# Places a visitor can "share" with the location button (the community is fictional).
SPOTS: tuple[tuple[str, float, float], ...] = (
    (N_("Main gate"), 30.27412, 120.15536),
    (N_("Building 1, entrance"), 30.27461, 120.15489),
    (N_("Rubbish sorting point"), 30.27395, 120.15602),
    (N_("Playground"), 30.27438, 120.15651),
    (N_("Riverside path"), 30.27331, 120.15577),
)


# The demo community's English names (the sample CSV has Chinese names only): what a community
# office would put in the CSV's `*_en` columns. Rooms keep their numbers.
ENGLISH_NAMES = {"城东街道": "Chengdong Street", "阳光社区": "Sunshine Community",
                 "桂花社区": "Osmanthus Community", "第一网格": "Grid 1", "第二网格": "Grid 2",
                 "桂花网格": "Osmanthus Grid"}
_NUMBERED = ((re.compile(r"(\d+)栋"), "Building {}"), (re.compile(r"(\d+)单元"), "Unit {}"))


def english_name(name: str) -> str:
    """The demo's English name of a place ("3栋" → "Building 3"), "" for a room."""
    for pattern, english in _NUMBERED:
        if found := pattern.fullmatch(name):
            return english.format(found.group(1))
    return ENGLISH_NAMES.get(name, "")


def with_english_names(text: str) -> str:
    """A places CSV with the `*_en` columns filled from the demo's English names."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    table = list(reader)
    columns = [c for c in place_import.COLUMNS
               if c in (reader.fieldnames or ()) or c in place_import.ENGLISH_COLUMNS]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in table:
        writer.writerow({**row, **{f"{c}_en": english_name(row[c])
                                   for c in place_import.NAME_COLUMNS}})
    return out.getvalue()


async def _place(session: AsyncSession, path: str) -> Place:
    return await find_by_names(session, path.split("/"))


async def seed(db: Database) -> bool:
    """Fill an empty sandbox database with the demo community; False if it was not empty."""
    async with db.session() as session:
        if await session.scalar(select(func.count()).select_from(Person)):
            return False
        await import_csv(session, with_english_names(SAMPLE_CSV.read_text(encoding="utf-8")))
        people: dict[int, Person] = {}
        for persona in PERSONAS:
            if not persona.joined:
                continue
            person = await record_consent(session, telegram_id=persona.telegram_id,
                                          name=persona.name, language=persona.language)
            people[persona.telegram_id] = person
            for role, where in persona.roles:
                place = await _place(session, where)
                await grant_role(session, person_id=person.id, place_id=place.id, role=role)
        await session.commit()
        staff = people[STAFF_ID]
        for persona in PERSONAS:
            for home, relation in persona.homes:
                household = await _place(session, f"{COMMUNITY}/{home}")
                request = await request_membership(
                    session, person=people[persona.telegram_id], household_id=household.id,
                    relation=relation)
                await decide_membership(session, membership_id=request.membership.id,
                                        decider=staff, approve=True)
            for body, estate_path in persona.seats:
                estate = await estates.estate_by_names(session, estate_path.split("/"))
                await estates.grant_seat(session, estate_id=estate.id, body=body,
                                         person_id=people[persona.telegram_id].id,
                                         actor_id=staff.id)
        for group in GROUPS:
            place = await _place(session, group.place)
            await bind_chat(session, chat_id=group.chat_id, title=group.title,
                            place_id=place.id, purpose=group.purpose, by=None)
    return True


NOTICE_TEXTS = {
    "zh_CN": "【停水通知】因二次供水水箱清洗，12月3日（周四）8:00–14:00 阳光社区全体楼栋停水，"
             "请提前储水。如有困难请联系社区，我们会上门送水。",
    "en": "Water cut: the water tanks are being cleaned, so every building in Sunshine Community "
          "has no water on Thursday 3 December from 8:00 to 14:00. Please store some water "
          "beforehand. If that is hard for you, tell the community office and we will bring "
          "water to you.",
}
PLEDGE_TITLE = "阳光社区 春节禁放烟花爆竹承诺书"
PLEDGE_BODY = (
    "为保障居民生命财产安全，根据市烟花爆竹燃放管理规定，本户承诺：\n"
    "一、春节期间不在社区内燃放烟花爆竹；\n"
    "二、劝导家人、亲友及租户共同遵守；\n"
    "三、发现违规燃放及时向社区或网格员反映。"
)
# the same pledge for residents who read English (a foreign tenant signs what they can read)
PLEDGE_TITLE_EN = "Sunshine Community: no fireworks at Spring Festival"
PLEDGE_BODY_EN = (
    "For the safety of residents and their property, and under the city's rules on "
    "fireworks, our household pledges:\n"
    "1. Not to set off fireworks or firecrackers in the community during Spring Festival;\n"
    "2. To ask our family, friends and tenants to do the same;\n"
    "3. To tell the community office or our grid worker when we see fireworks set off."
)


async def seed_examples(db: Database) -> bool:
    """A notice that went out to everyone and an open pledge one household has signed, so the
    residents' chats and the staff's reports have something in them from the first start.
    Both go through the services and the outbox, as if 王芳 had used the buttons. Also for a
    sandbox database from before they existed: added once, when it has neither a notice nor a
    pledge; False if nothing was added."""
    async with db.session() as session:
        staff = await person_by_telegram(session, STAFF_ID)
        signer = await person_by_telegram(session, SIGNED_ID)
        if staff is None or signer is None or await session.scalar(
                select(func.count()).select_from(notices.Notice)) or await session.scalar(
                select(func.count()).select_from(pledges.Pledge)):
            return False
        await _seed_notice_and_pledge(session, staff, signer)
    return True


async def _seed_notice_and_pledge(session: AsyncSession, staff: Person, signer: Person) -> None:
    community = await _place(session, COMMUNITY)
    draft = await notices.start_draft(session, author=staff)
    for language, text in NOTICE_TEXTS.items():
        draft = await notices.set_text(session, draft=draft, text=text, language=language)
    draft = await notices.set_place(session, draft=draft, place_id=community.id, author=staff)
    draft = await notices.set_target(session, draft=draft, target=notices.Target.ALL)
    await notices.confirm(session, notice_id=draft.id, author=staff)

    pledge, _ = await pledges.start_draft(session, author=staff)
    await pledges.add_text(session, author=staff, text=PLEDGE_TITLE)
    await pledges.add_text(session, author=staff, text=PLEDGE_BODY)
    await pledges.finish_body(session, pledge_id=pledge.id, author=staff)
    await pledges.begin_translation(session, pledge_id=pledge.id, author=staff, language="en")
    await pledges.add_text(session, author=staff, text=PLEDGE_TITLE_EN)
    await pledges.add_text(session, author=staff, text=PLEDGE_BODY_EN)
    await pledges.finish_translation(session, pledge_id=pledge.id, author=staff)
    await pledges.set_attachment(session, pledge_id=pledge.id, author=staff, file_id=None,
                                 kind=None)
    await pledges.set_scope(session, pledge_id=pledge.id, author=staff, place_id=community.id)
    await pledges.set_signers(session, pledge_id=pledge.id, author=staff,
                              signers=pledges.Signers.HOUSEHOLD)
    await pledges.set_closing(session, pledge_id=pledge.id, author=staff,
                              closes_at=pledges.end_of_day_in(30, get_settings().tz))
    await pledges.publish(session, pledge_id=pledge.id, author=staff)
    await sign(session, pledge_id=pledge.id, person=signer, version=1)


def populate_world(world: World) -> None:
    """Create the demo users (each with a private chat) and group chats in the emulator."""
    for persona in PERSONAS:
        world.add_user(persona.name, id=persona.telegram_id,
                       language_code=persona.language_code)
    for group in GROUPS:
        world.add_group(group.title, list(group.members), id=group.chat_id,
                        admin_ids=[STAFF_ID] if STAFF_ID in group.members else [])


async def persona_cards(db: Database, language: str) -> list[dict[str, object]]:
    """The persona list for the page: name, what they are (from the database) and a note."""
    _ = tr(language)
    cards: list[dict[str, object]] = []
    async with db.session() as session:
        top = await _place(session, COMMUNITY)
        community = join_names([(top.name, top.name_en), ("", None)], language)  # "… · "
        for persona in PERSONAS:
            person = await person_by_telegram(session, persona.telegram_id)
            lines: list[str] = []
            if person is not None:
                for grant, place in await grants_of(session, person.id):
                    lines.append(f"{labels.role(_, grant.role)} · {place.name_in(language)}")
                for seat in await estates.seats_of(session, person.id):
                    estate = await estates.get_estate(session, seat.estate_id)
                    lines.append(f"{labels.body(_, seat.body)} · "
                                 f"{estates.estate_label(estate, language)}")
                for view in await memberships_of(session, person.id, language=language):
                    where = view.label.removeprefix(community)
                    line = f"{labels.relation(_, view.membership.relation)} · {where}"
                    if view.membership.status != MembershipStatus.APPROVED:
                        line += f" ({labels.status(_, view.membership.status)})"
                    lines.append(line)
            cards.append({"id": persona.telegram_id, "name": persona.name,
                          "language_code": persona.language_code, "roles": lines,
                          # a newcomer's "not joined yet" is stale once they asked to join
                          "note": _(persona.note) if persona.note and (
                              persona.joined or not lines) else ""})
    return cards


async def posters(db: Database) -> list[dict[str, str]]:
    """The join posters in the community's stairwells: one per building and unit."""
    async with db.session() as session:
        community = await _place(session, COMMUNITY)
        rows = await session.scalars(
            select(Place).where(Place.kind.in_(JOINABLE), Place.join_code.is_not(None),
                                Place.path.startswith(community.path)))
        out = []
        for place in rows:
            chain = await ancestors(session, place)
            # a poster hangs in the stairwell: it names the place as the building's sign does
            out.append({"label": label(chain, language="zh_CN"), "code": place.join_code or "",
                        "kind": str(place.kind)})
    return sorted(out, key=lambda p: natural_key(p["label"]))


def spots(language: str) -> list[dict[str, object]]:
    _ = tr(language)
    return [{"name": _(name), "latitude": lat, "longitude": lon} for name, lat, lon in SPOTS]
