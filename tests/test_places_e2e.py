"""Places as people read them, end to end: names in the reader's language (English where the
places CSV gives one, the Chinese name where it does not), and one picker where "◀ Back" goes
up exactly one level — joining, a staff member choosing an area, and a pledge's progress."""

from __future__ import annotations

from bot.demo import with_english_names
from models.onboarding import decide_membership, request_membership
from models.people import Relation, Role
from models.place_import import import_csv
from models.pledges import Signers
from tests.conftest import COMMUNITY, SAMPLE_CSV, person, place, published_pledge

STAFF = 900
GRID2_ROOM = f"{COMMUNITY}/第二网格/3栋/1单元/101"
GRID1_ROOM = f"{COMMUNITY}/第一网格/1栋/1单元/101"


async def name_in_english(env, *, without: str = "") -> None:
    """Import the sample again with the demo's English names (`without`: a CSV fragment of
    English names to leave out, e.g. one unit's), as a community office would."""
    text = with_english_names(SAMPLE_CSV.read_text(encoding="utf-8"))
    if without:
        text = text.replace(without, without.rsplit(",", 2)[0] + ",,")
    async with env.db.session() as s:
        await import_csv(s, text)


async def staff_member(env, language: str) -> int:
    await env.user("Wang", id=STAFF, language_code="en" if language == "en" else "zh-hans")
    async with env.db.session() as s:
        await person(s, STAFF, "王主任", language=language, role=Role.STAFF, at=COMMUNITY)
    return STAFF


async def start_joining(env, user: int, language: str) -> dict:
    """/start, the language, the consent: returns the list of communities."""
    first = await env.say(user, "/start", "Please choose your language")
    button = {"en": "English", "zh_CN": "中文"}[language]
    pressed = next(b for b in env.buttons(first) if b.endswith(button))
    consent = await env.tap_on(user, pressed, on=first, button=T[language]["agree"])
    return await env.tap_on(user, T[language]["agree"], on=consent,
                            expect=T[language]["communities"])


T = {
    "en": {"agree": "I agree", "communities": "Which community do you live in?",
           "building": ": which building?", "unit": ": which unit (stairwell)?",
           "room": ": which room?", "back": "◀ Back", "owner": "Owner",
           "sent": "was sent to your community office"},
    "zh_CN": {"agree": "我同意", "communities": "您住在哪个社区？",
              "building": "：您住在哪一栋楼？", "unit": "：您住在哪个单元（楼道）？",
              "room": "：您住在哪个房号？", "back": "◀ 返回", "owner": "业主",
              "sent": "的申请已提交给社区"},
}
NAMES = {  # community, building 3, unit 1 as each reader reads them, and the joined label
    "en": ("Sunshine Community", "Building 3", "Unit 1",
           "Sunshine Community · Building 3 · Unit 1"),
    "zh_CN": ("阳光社区", "3栋", "1单元", "阳光社区 3栋 1单元"),
}


async def test_joining_back_goes_up_one_level_in_the_readers_language(env):
    """Community → building → unit, then Back: the units of that building, not the
    communities; names in English for the English reader, in Chinese for the Chinese one."""
    await name_in_english(env)
    for user, language in ((11, "en"), (12, "zh_CN")):
        t, (community, building, unit, label) = T[language], NAMES[language]
        await env.user(f"U{user}", id=user, language_code="en" if language == "en" else "zh")
        communities = await start_joining(env, user, language)
        assert env.buttons(communities) == (["Osmanthus Community", "Sunshine Community"]
                                            if language == "en" else ["桂花社区", "阳光社区"])
        buildings = await env.tap_on(user, community, on=communities,
                                     expect=community + t["building"])
        units = await env.tap_on(user, building, on=buildings,
                                 expect=f"{label.rsplit(unit, 1)[0].strip(' ·')}{t['unit']}")
        rooms = await env.tap_on(user, unit, on=units, expect=label + t["room"])
        assert env.buttons(rooms)[-1] == t["back"]

        back = await env.tap_on(user, t["back"], on=rooms, expect=t["unit"])
        assert back["message_id"] == rooms["message_id"]  # the same message, one level up
        assert env.buttons(back)[:2] == ([unit, "Unit 2"] if language == "en"
                                         else [unit, "2单元"])
        up = await env.tap_on(user, t["back"], on=back, expect=t["building"])
        assert env.buttons(up)[:3] == ([f"Building {n}" for n in (1, 2, 3)] if language == "en"
                                       else ["1栋", "2栋", "3栋"])
        top = await env.tap_on(user, t["back"], on=up, expect=t["communities"])
        assert t["back"] not in env.buttons(top)  # the top: nothing above it

        # down again and join: the request and /me name the household the same way
        buildings = await env.tap_on(user, community, on=top, expect=t["building"])
        units = await env.tap_on(user, building, on=buildings, expect=t["unit"])
        rooms = await env.tap_on(user, unit, on=units, expect=t["room"])
        relation = await env.tap_on(user, "101", on=rooms, button=t["owner"])
        assert relation["text"].startswith(f"{label}{' · ' if language == 'en' else ' '}101")
        await env.tap_on(user, t["owner"], on=relation, expect=t["sent"])


async def test_account_and_approval_in_each_readers_language(env):
    """The English resident's /me and the approvers' requests each name the household in
    their reader's language: English staff read English, Chinese staff Chinese."""
    await name_in_english(env)
    await env.user("Wang", id=STAFF, language_code="zh-hans")
    await env.user("Mary", id=901, language_code="en")
    anna = await env.user("Anna", language_code="en")
    async with env.db.session() as s:
        zh_staff = await person(s, STAFF, "王主任", role=Role.STAFF, at=COMMUNITY)
        await person(s, 901, "Mary", language="en", role=Role.STAFF, at=COMMUNITY)
        resident = await person(s, anna, "Anna", language="en")
        since = env.mark()
        request = await request_membership(s, person=resident, relation=Relation.TENANT,
                                           household_id=(await place(s, GRID2_ROOM)).id)
    english = "Sunshine Community · Building 3 · Unit 1 · 101"
    assert request.label == english  # what the resident is told
    await env.drain_outbox()
    chinese = await env.wait(STAFF, "入住申请", since=since)
    assert "阳光社区 3栋 1单元 101" in chinese["text"] and "Sunshine" not in chinese["text"]
    mary = await env.wait(901, "Join request", since=since)
    assert f"Anna asks to join {english} as Tenant" in mary["text"]
    async with env.db.session() as s:
        await decide_membership(s, membership_id=request.membership.id, decider=zh_staff,
                                approve=True)
    await env.drain_outbox()
    await env.wait(anna, f"registered at {english} as Tenant", since=since)
    me = await env.say(anna, "/me", "My households")
    assert f"• {english} — Tenant (approved)" in me["text"]
    roles = await env.say(901, "/me", "My roles")
    assert "Staff — Sunshine Community" in roles["text"]
    roles = await env.say(STAFF, "/me", "我的角色")
    assert "阳光社区" in roles["text"] and "Sunshine" not in roles["text"]


async def test_a_place_without_an_english_name_shows_its_chinese_name(env):
    """3栋's 2单元 has no English name in the file: the English reader sees "2单元" in the
    picker and in the label, the English names around it stay."""
    await name_in_english(env, without="Building 3,Unit 2,")
    await env.user("Ed", id=13, language_code="en")
    communities = await start_joining(env, 13, "en")
    buildings = await env.tap_on(13, "Sunshine Community", on=communities,
                                 expect="which building?")
    units = await env.tap_on(13, "Building 3", on=buildings, expect="which unit")
    assert env.buttons(units)[:2] == ["Unit 1", "2单元"]
    rooms = await env.tap_on(13, "2单元", on=units,
                             expect="Sunshine Community · Building 3 · 2单元: which room?")
    assert rooms is not None


async def test_staff_area_back_goes_up_one_level(env):
    """Choosing a notice's area: Back from a building shows its grid, within the staff
    member's own scope (nothing above the community they hold); in English and Chinese."""
    await name_in_english(env)
    for staff, language, grid, building, back, title in (
        (901, "en", "Grid 1", "Building 1", "◀ Back", "Sunshine Community · Grid 1 · Building 1"),
        (902, "zh_CN", "第一网格", "1栋", "◀ 返回", "阳光社区 第一网格 1栋"),
    ):
        await env.user(f"S{staff}", id=staff, language_code="en" if language == "en" else "zh")
        async with env.db.session() as s:
            await person(s, staff, f"S{staff}", language=language, role=Role.STAFF,
                         at=COMMUNITY)
        await env.say(staff, "/notice", {"en": "Send me its text", "zh_CN": "新公告"}[language])
        area = await env.say(staff, f"Water cut ({language}).",
                             {"en": "Choose the area", "zh_CN": "请选择区域"}[language])
        assert back not in env.buttons(area)  # the community is the top of my scope
        area = await env.tap_on(staff, grid, on=area, expect=grid)
        assert back in env.buttons(area)
        area = await env.tap_on(staff, building, on=area, expect=title)
        up = await env.tap_on(staff, back, on=area, expect=grid)
        assert building in env.buttons(up) and title not in up["text"]
        top = await env.tap_on(staff, back, on=up, expect=title.split(" ")[0])
        assert grid in env.buttons(top) and back not in env.buttons(top)


async def test_pledge_progress_back_shows_the_grid(env):
    """Progress → grid → building → Back: the grid (not the pledge's page), then the
    community, then the pledge; in English with English names and in Chinese."""
    await name_in_english(env)
    await env.user("Wang", id=STAFF, language_code="en")
    await env.user("Zhang", id=902, language_code="zh")
    async with env.db.session() as s:
        staff = await person(s, STAFF, "王主任", language="en", role=Role.STAFF, at=COMMUNITY)
        await person(s, 902, "张主任", role=Role.STAFF, at=COMMUNITY)
        for telegram_id, room in ((21, GRID1_ROOM), (22, GRID2_ROOM)):
            await env.user(f"R{telegram_id}", id=telegram_id)
            p = await person(s, telegram_id, f"居民{telegram_id}")
            req = await request_membership(s, person=p, relation=Relation.OWNER,
                                           household_id=(await place(s, room)).id)
            await decide_membership(s, membership_id=req.membership.id, decider=staff,
                                    approve=True)
        await published_pledge(s, staff, COMMUNITY, "Quiet New Year", "No fireworks.",
                               signers=Signers.HOUSEHOLD)
    for who, words in (
        (STAFF, ("Pledges", "Quiet New Year · open", "Status:", "📊 Progress", "Grid 2",
                 "Building 3", "◀ Back", "Not signed yet")),
        (902, ("承诺书", "Quiet New Year · 进行中", "状态：", "📊 进度", "第二网格", "3栋",
               "◀ 返回", "尚未签署")),
    ):
        pledges, listed_as, status, progress, grid, building, back, missing = words
        listed = await env.say(who, "/pledge", pledges)
        menu = await env.tap_on(who, listed_as, on=listed, expect=status)
        report = await env.tap_on(who, progress, on=menu, expect=f"{grid}: 0 / 1")
        at_grid = await env.tap_on(who, f"{grid} 0/1", on=report,
                                   expect=f"{building}: 0 / 1")
        assert grid in at_grid["text"].split("\n")[0]  # headed by the grid's name
        at_building = await env.tap_on(who, f"{building} 0/1", on=at_grid, expect=missing)
        up = await env.tap_on(who, back, on=at_building, expect=f"{building}: 0 / 1")
        assert missing not in up["text"]  # the grid's tallies, one level up
        top = await env.tap_on(who, back, on=up, expect=f"{grid}: 0 / 1")
        assert f"{grid} 0/1" in env.buttons(top)
        await env.tap_on(who, back, on=top, expect=status)


async def test_pledge_scope_back_goes_up_one_level(env):
    """Where a draft pledge applies: open a grid, then a building, then Back — the grid's
    buildings again, then the community (the top of the author's scope, nothing above)."""
    await name_in_english(env)
    staff = await staff_member(env, "en")
    menu = await env.say(staff, "/pledge", "No pledges yet")
    await env.tap_on(staff, "➕ New pledge", on=menu, expect="step 1 of 6")
    await env.say(staff, "Quiet stairwells", "Step 2 of 6")
    added = await env.say(staff, "No bicycles in the stairwell.", "Added")
    step3 = await env.tap_on(staff, "Done ▶", on=added, expect="Step 3 of 6")
    top = await env.tap_on(staff, "Skip ▶", on=step3, expect="Step 4 of 6")
    assert "✅ All of Sunshine Community" in env.buttons(top)
    assert "◀ Back" not in env.buttons(top)
    grid = await env.tap_on(staff, "Grid 2", on=top,
                            button="✅ All of Sunshine Community · Grid 2")
    building = await env.tap_on(staff, "Building 3", on=grid,
                                button="✅ All of Sunshine Community · Building 3")
    assert env.buttons(building)[1:3] == ["Unit 1", "Unit 2"]
    up = await env.tap_on(staff, "◀ Back", on=building,
                          button="✅ All of Sunshine Community · Grid 2")
    assert "Building 3" in env.buttons(up) and "◀ Back" in env.buttons(up)
    again = await env.tap_on(staff, "◀ Back", on=up, button="✅ All of Sunshine Community")
    assert "Grid 2" in env.buttons(again) and "◀ Back" not in env.buttons(again)
