"""The benchmark runner and the synthetic district, at a size a test can afford. Wall-clock
times are never asserted: only that the figures are computed and the last line is the JSON."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bench.__main__ import main as bench_main
from bench.synth import generate
from models.people import Membership, Person, Relation
from models.places import Place, PlaceKind, households_under
from tests.conftest import person


async def test_the_generator_builds_a_deterministic_district(db):
    info = await generate(db, households=600, seed=7)
    assert (info.households, info.units, info.buildings) == (600, 25, 9)
    async with db.session() as s:
        homes = await s.scalar(select(func.count()).select_from(Place)
                               .where(households_under(info.street_path)))
        kinds = dict((await s.execute(select(Place.kind, func.count()).group_by(Place.kind)))
                     .all())
        owners = await s.scalar(select(func.count()).select_from(Membership)
                                .where(Membership.relation == Relation.OWNER))
        tenants = await s.scalar(select(func.count()).select_from(Membership)
                                 .where(Membership.relation == Relation.TENANT))
        areas = await s.scalar(select(func.count()).select_from(Place).where(
            Place.kind == PlaceKind.HOUSEHOLD, Place.floor_area.is_not(None)))
        assert homes == 600 and areas == 600 and owners == 600
        assert kinds == {"street": 1, "community": 1, "grid": 1, "building": 9, "unit": 25,
                         "household": 600}
        assert 0 < tenants < 120 and info.persons == 600 + tenants == info.memberships
        # ids were given explicitly; new rows still get fresh ones (PostgreSQL sequences)
        newcomer = await person(s, 1, "新来的")
        assert newcomer.id == info.persons + 1
        assert await s.scalar(select(func.count()).select_from(Person)) == info.persons + 1
    again = await generate(db, households=600, seed=7, street="第二街道")
    assert again.persons == info.persons  # same seed, same district


def test_the_runner_prints_the_figures_as_the_last_line(capsys):
    assert bench_main(["pledges", "--households", "500", "--runs", "1"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(out[-1])
    sqlite = figures["sqlite"]
    assert sqlite["non_signers_rows"] > 0 and sqlite["progress_rows"] == 21  # units
    assert figures["ratio"] == max(sqlite["non_signers_ratio"], sqlite["progress_ratio"]) > 0
    assert any("not signed under the street" in line for line in out)
    assert any(line.startswith("ratio (worst) =") for line in out)


def test_help_lists_the_benchmarks(capsys):
    assert bench_main(["--help"]) == 0
    listed = capsys.readouterr().out
    assert "pledges" in listed and "broadcast" in listed
    assert bench_main(["nonesuch"]) == 2


def test_presses_signs_every_owner_and_reports_the_figures(capsys):
    """The press benchmark at a tiny size: linli, the echo bot and the same-calls bot each in a
    process of their own, on one emulator process."""
    assert bench_main(["presses", "--households", "600", "--owners", "20", "--waves", "2",
                       "--single", "5", "--backend", "sqlite"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(out[-1])
    assert {"vs_same_calls", "vs_echo", "single_p50_ms", "burst_p99_ms", "rss_mib"} <= set(
        figures)
    sqlite = figures["sqlite"]
    # every press answered, and every owner's confirm wrote a signature
    assert sqlite["lost"] == sqlite["single_lost"] == 0 and sqlite["attempted"] == 60
    assert sqlite["signed"] == sqlite["owners"] == 25
    assert sqlite["announced"] == sqlite["notified"] > 0
    assert sqlite["bot_errors"] == {"linli": 0, "echo": 0, "same": 0}
    # the baselines answered everything too, and (b) made the calls linli made
    assert sqlite["echo"]["lost"] == sqlite["same"]["lost"] == 0
    assert sqlite["calls_match"] and sqlite["calls"]["confirm"][-1] == "answerCallbackQuery"
    assert figures["rss_mib"] == sqlite["rss_mib"] > 0
    assert any(line.startswith("linli, sqlite") for line in out)
    assert any(line.startswith("goals, sqlite:") for line in out)
