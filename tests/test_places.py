"""The place tree and its CSV import/export, as a community office uses them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models.place_import import ImportFailed, export_rows, import_csv, parse_csv
from models.places import Place, PlaceKind, households_under
from tests.conftest import COMMUNITY, SAMPLE_CSV, place

HEADER = "street,community,grid,building,unit,room,floor_area_m2\n"


async def count(session, kind: PlaceKind) -> int:
    return await session.scalar(select(func.count()).where(Place.kind == kind))


async def test_import_builds_the_tree(session):
    result = await import_csv(session, SAMPLE_CSV.read_text(encoding="utf-8"))
    assert result.created["household"] == 64
    assert result.created["building"] == 4
    assert await count(session, PlaceKind.HOUSEHOLD) == 64
    building = await place(session, "城东街道/阳光社区/第二网格/3栋")
    assert building.join_code  # buildings and units get a poster join code
    under = await session.scalar(select(func.count()).where(households_under(building.path)))
    assert under == 20
    community = await place(session, COMMUNITY)
    assert await session.scalar(select(func.count()).where(households_under(community.path))) == 60


async def test_importing_twice_changes_nothing(session):
    text = SAMPLE_CSV.read_text(encoding="utf-8")
    await import_csv(session, text)
    codes = dict((await session.execute(select(Place.id, Place.join_code))).all())
    again = await import_csv(session, text)
    assert again.created == {} and again.updated == 0 and again.unchanged == 64
    assert await count(session, PlaceKind.HOUSEHOLD) == 64
    assert dict((await session.execute(select(Place.id, Place.join_code))).all()) == codes


async def test_edited_file_updates_in_place(session):
    await import_csv(session, HEADER + "S,C,G,1栋,1单元,101,80\nS,C,G,1栋,1单元,102,90\n")
    result = await import_csv(session, HEADER + "S,C,G,1栋,1单元,101,85.5\n"
                                                "S,C,G,1栋,1单元,102,90\nS,C,G,1栋,1单元,103,70\n")
    assert result.updated == 1 and result.created == {"household": 1} and result.unchanged == 1
    room = await place(session, "S/C/G/1栋/1单元/101")
    assert room.floor_area == Decimal("85.50")


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("S,C,G,,1单元,101,80\n", 2, "empty building"),
        ("S,C,G,1栋,1单元,101,-3\n", 2, "must be a number from 0"),
        ("S,C,G,1栋,1单元,101,abc\n", 2, "is not a number"),
        ("S,C,G,1栋,1单元,101,80\nS,C,G,1栋,1单元,101,81\n", 3, "duplicate room"),
    ],
)
async def test_bad_rows_are_reported_and_nothing_is_imported(session, body, line, words):
    good = "S,C,G,2栋,1单元,101,80\n"
    with pytest.raises(ImportFailed) as failed:
        await import_csv(session, HEADER + good + body.replace("\n", "\n", 1))
    problems = failed.value.problems
    assert [p.line for p in problems] == [line + 1]
    assert words in problems[0].message
    assert await count(session, PlaceKind.HOUSEHOLD) == 0


def test_missing_columns_are_named():
    with pytest.raises(ImportFailed) as failed:
        parse_csv("street,community,building\nS,C,B\n")
    assert "grid" in failed.value.problems[0].message


async def test_export_round_trips(session):
    text = SAMPLE_CSV.read_text(encoding="utf-8")
    await import_csv(session, text)
    rows = await export_rows(session)
    assert rows[0][0] == "street" and len(rows) == 65
    exported = "\n".join(",".join(r) for r in rows) + "\n"
    assert sorted(exported.splitlines()) == sorted(text.splitlines())
    assert (await import_csv(session, exported)).unchanged == 64


EN_HEADER = ("street,community,grid,building,unit,room,floor_area_m2,street_en,community_en,"
             "grid_en,building_en,unit_en,room_en\n")
ESTATE_HEADER = ",estate,estate_en,owner_ref,developer\n"  # the sample's estates and owners


async def test_english_names_round_trip_and_update(session):
    """The optional English columns: imported, exported as they came, and a re-import with
    an edited English name changes that name in place (an empty cell leaves it)."""
    from bot.demo import with_english_names

    text = with_english_names(SAMPLE_CSV.read_text(encoding="utf-8"))
    result = await import_csv(session, text)
    assert result.created["household"] == 64 and result.renamed > 0
    building = await place(session, "城东街道/阳光社区/第二网格/3栋")
    assert (building.name_en, building.name_in("en"), building.name_in("zh_CN")) == \
        ("Building 3", "Building 3", "3栋")
    room = await place(session, "城东街道/阳光社区/第二网格/3栋/1单元/101")
    assert room.name_en is None and room.name_in("en") == "101"  # rooms keep their numbers

    rows = await export_rows(session)
    assert ",".join(rows[0]) + "\n" == EN_HEADER.replace("\n", ESTATE_HEADER)
    exported = "\n".join(",".join(r) for r in rows) + "\n"
    assert sorted(exported.splitlines()) == sorted(text.splitlines())
    again = await import_csv(session, exported)
    assert again.created == {} and again.renamed == 0 and again.unchanged == 64

    edited = exported.replace("Sunshine Community", "Sunny Side").replace(
        ",Building 3,Unit 2,", ",,Unit 2,")
    renamed = await import_csv(session, edited)
    assert renamed.renamed == 1 and renamed.created == {}
    community = await place(session, COMMUNITY)
    await session.refresh(community)
    await session.refresh(building)
    assert community.name_en == "Sunny Side" and building.name_en == "Building 3"


def test_english_names_that_disagree_are_reported():
    text = (EN_HEADER
            + "S,C,G,B,U,101,,Street,Community,Grid,Building 1,,\n"
            + "S,C,G,B,U,102,,Street,Community,Grid,Block 1,,\n")
    with pytest.raises(ImportFailed) as failed:
        parse_csv(text)
    [problem] = failed.value.problems
    assert problem.line == 3 and "building_en 'Block 1' differs from 'Building 1'" in \
        problem.message


async def test_exports_and_progress_name_places_in_the_viewers_language(session):
    """A pledge's signature export and its progress per building, for an English and a
    Chinese member of staff, on a community with English names."""
    from bot.demo import with_english_names
    from models.people import Role
    from models.pledges import Signers, progress_report, sign_pledge, signature_rows
    from tests.conftest import person, published_pledge, resident

    await import_csv(session, with_english_names(SAMPLE_CSV.read_text(encoding="utf-8")))
    en = await person(session, 1, "Mary", language="en", role=Role.STAFF, at=COMMUNITY)
    zh = await person(session, 2, "王芳", role=Role.STAFF, at=COMMUNITY)
    ann = await resident(session, zh, 3, f"{COMMUNITY}/第一网格/1栋/1单元/101")
    await resident(session, zh, 4, f"{COMMUNITY}/第二网格/3栋/2单元/201")
    pledge_id = await published_pledge(session, zh, COMMUNITY, "T", "B", signers=Signers.HOUSEHOLD)
    await sign_pledge(session, pledge_id=pledge_id, person=ann, version=1)
    for viewer, household, grids in (
        (en, "Sunshine Community · Building 1 · Unit 1 · 101", ["Grid 1", "Grid 2"]),
        (zh, "阳光社区 1栋 1单元 101", ["第一网格", "第二网格"]),
    ):
        _, rows = await signature_rows(session, pledge_id=pledge_id, by=viewer)
        assert [r.household for r in rows] == [household]
        report = await progress_report(session, pledge_id=pledge_id, by=viewer, node_id=0)
        assert [t.name for t in report.tallies] == grids
        grid2 = await place(session, f"{COMMUNITY}/第二网格")
        report = await progress_report(session, pledge_id=pledge_id, by=viewer,
                                       node_id=grid2.id)
        assert report.up == (await place(session, COMMUNITY)).id  # Back: the community
        assert report.where.endswith(grids[1])  # a grid is headed by its own name


OWNERS_HEADER = HEADER.replace("\n", ",estate,estate_en,owner_ref,developer\n")


async def test_estates_and_owners_are_imported_exported_and_kept(session):
    """The sample's estates, shared owner references and developer units: imported, exported
    as they came, and the same file again changes nothing."""
    from models.estates import Estate

    text = SAMPLE_CSV.read_text(encoding="utf-8")
    first = await import_csv(session, text)
    assert (first.estates, first.assigned) == (2, 4)
    garden = await session.scalar(select(Estate).where(Estate.name == "阳光花园"))
    assert garden.name_en == "Sunshine Garden"
    assert garden.community_id == (await place(session, COMMUNITY)).id
    for building in ("第一网格/1栋", "第一网格/2栋", "第二网格/3栋"):
        assert (await place(session, f"{COMMUNITY}/{building}")).estate_id == garden.id
    shared = (await session.scalars(select(Place.name).where(Place.owner_ref == "SG-0088")
                                    .order_by(Place.id))).all()
    assert shared == ["502", "201"]  # 2栋 2单元 502 and 3栋 1单元 201: one owner
    developer = (await session.scalars(select(Place.name).where(Place.developer)
                                       .order_by(Place.id))).all()
    assert developer == ["502", "501", "502"]
    assert (await place(session, f"{COMMUNITY}/第一网格/1栋/1单元/101")).developer is False

    rows = await export_rows(session)
    assert rows[0][-4:] == ("estate", "estate_en", "owner_ref", "developer")
    exported = "\n".join(",".join(r) for r in rows) + "\n"
    assert sorted(exported.splitlines()) == sorted(text.splitlines())
    again = await import_csv(session, exported)
    assert (again.created, again.updated, again.unchanged, again.estates, again.assigned,
            again.renamed) == ({}, 0, 64, 0, 0, 0)
    # a file without the owner columns leaves the households' owners as they are
    plain = "\n".join(",".join(r[:7]) for r in rows) + "\n"
    assert (await import_csv(session, plain)).updated == 0
    assert (await place(session, f"{COMMUNITY}/第二网格/3栋/2单元/501")).developer is True


async def test_an_edited_register_moves_buildings_and_changes_owners(session):
    await import_csv(session, OWNERS_HEADER + "S,C,G,1栋,1单元,101,80,东苑,,A-1,\n"
                                              "S,C,G,1栋,1单元,102,90,东苑,,A-1,yes\n"
                                              "S,C,G,2栋,1单元,101,70,东苑,,,\n")
    edited = await import_csv(session, OWNERS_HEADER + "S,C,G,1栋,1单元,101,80,东苑,East,A-1,\n"
                                                       "S,C,G,1栋,1单元,102,90,,,,no\n"
                                                       "S,C,G,2栋,1单元,101,70,西苑,,A-1,1\n")
    assert (edited.updated, edited.estates, edited.assigned, edited.renamed) == (2, 1, 1, 1)
    room = await place(session, "S/C/G/1栋/1单元/102")
    assert (room.owner_ref, room.developer) == (None, False)
    moved = await place(session, "S/C/G/2栋/1单元/101")
    assert (moved.owner_ref, moved.developer) == ("A-1", True)
    from models.estates import estate_of

    # 1栋's row without an estate left it in 东苑; 2栋 moved to the new 西苑
    assert (await estate_of(session, room)).name_en == "East"
    assert (await estate_of(session, moved)).name == "西苑"


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("S,C,G,1栋,1单元,102,80,西苑,,,\n", 3,
         "estate '西苑' differs from '东苑' on line 2 for building S/C/G/1栋"),
        ("S,C,G,1栋,1单元,102,80,东苑,East,,\nS,C,G,1栋,1单元,103,80,东苑,West,,\n", 4,
         "estate_en 'West' differs from 'East' on line 3 for estate 东苑"),
        ("S,C,G,2栋,1单元,102,80,,Court,,\n", 3, "estate_en 'Court' given without an estate"),
        ("S,C,G,2栋,1单元,102,80,,,,maybe\n", 3, "developer 'maybe' must be yes or no"),
        ("S,C,G,2栋,1单元,102,80,,," + "x" * 65 + ",\n", 3, "owner_ref longer than 64"),
    ],
)
async def test_estates_and_owners_that_do_not_fit_are_reported_by_line(session, body, line,
                                                                       words):
    with pytest.raises(ImportFailed) as failed:
        await import_csv(session, OWNERS_HEADER + "S,C,G,1栋,1单元,101,80,东苑,,,\n" + body)
    assert [(p.line, words in p.message) for p in failed.value.problems] == [(line, True)]
    assert await count(session, PlaceKind.HOUSEHOLD) == 0
