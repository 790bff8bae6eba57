"""The benchmark runner and the synthetic district, at a size a test can afford. Wall-clock
times are never asserted: only that the figures are computed and the last line is the JSON."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bench.__main__ import main as bench_main
from bench._profile import summary as profile_summary
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
        assert homes == 600 and areas == 600
        assert kinds == {"street": 1, "community": 1, "grid": 1, "building": 9, "unit": 25,
                         "household": 600}
        # the developer's unsold units have no owner; the other units one each
        developer = await s.scalar(select(func.count()).where(Place.developer))
        assert developer == info.developer_units and 0 < developer < 30
        assert owners == 600 - developer == len(info.owner_of)
        # a few owners own a second unit of their estate: one person, one owner reference
        shared = (await s.execute(select(Place.owner_ref, func.count())
                                  .where(Place.owner_ref.is_not(None))
                                  .group_by(Place.owner_ref))).all()
        assert len(shared) == info.shared_owners and 0 < len(shared) < 40
        assert all(n >= 2 for _, n in shared)
        extra_units = sum(n - 1 for _, n in shared)
        assert len(set(info.owner_of.values())) == owners - extra_units
        assert 0 < tenants < 120 and info.persons == owners - extra_units + tenants
        assert info.memberships == owners + tenants
        # estates of 15 buildings each within the community (9 buildings: one estate)
        assert len(info.estates) == 1
        assert await s.scalar(select(func.count()).where(
            Place.kind == PlaceKind.BUILDING, Place.estate_id == info.estates[0])) == 9
        # ids were given explicitly; new rows still get fresh ones (PostgreSQL sequences)
        newcomer = await person(s, 1, "新来的")
        assert newcomer.id == info.persons + 1
        assert await s.scalar(select(func.count()).select_from(Person)) == info.persons + 1
    again = await generate(db, households=600, seed=7, street="第二街道")
    assert again.persons == info.persons  # same seed, same district
    small = await generate(db, households=600, seed=7, street="第三街道", buildings_per_estate=2)
    assert len(small.estates) == 5  # 9 buildings, two an estate
    async with db.session() as s:
        estate_of = dict((await s.execute(select(Place.id, Place.estate_id).where(
            Place.kind == PlaceKind.BUILDING))).all())
        refs = (await s.execute(select(Place.owner_ref, Place.path).where(
            Place.owner_ref.is_not(None), Place.path.startswith(small.street_path)))).all()
        estates_of_ref: dict[str, set[int]] = {}
        for ref, path in refs:  # the building is the fourth place on a household's path
            estates_of_ref.setdefault(ref, set()).add(estate_of[int(path.split("/")[4])])
        assert estates_of_ref and all(len(e) == 1 for e in estates_of_ref.values())


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


def test_presses_signs_every_owner_and_reports_the_figures(capsys, tmp_path):
    """The press benchmark at a tiny size: linli, the echo bot and the same-calls bot each in a
    process of their own, on one emulator process; py-spy samples linli and (b) meanwhile."""
    assert bench_main(["presses", "--households", "600", "--owners", "20", "--waves", "2",
                       "--single", "5", "--backend", "sqlite", "--profile",
                       str(tmp_path)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(out[-1])
    assert {"vs_same_calls", "vs_echo", "single_p50_ms", "burst_p99_ms", "rss_mib"} <= set(
        figures)
    sqlite = figures["sqlite"]
    # every press answered, and every owner's confirm wrote a signature
    assert sqlite["lost"] == sqlite["single_lost"] == 0 and sqlite["attempted"] == 60
    assert sqlite["signed"] == sqlite["owners"] == 25
    assert sqlite["announced"] == sqlite["notified"] > 0
    assert sqlite["bot_errors"] == {"linli": 0, "echo": 0, "same": 0, "same-aiohttp": 0}
    # the baselines answered everything too, and (b) made the calls linli made, also on
    # linli's transport
    assert sqlite["echo"]["lost"] == sqlite["same"]["lost"] == 0
    assert sqlite["same_transport"]["lost"] == sqlite["same_transport"]["single_lost"] == 0
    assert sqlite["same_transport"]["calls"] == sqlite["calls"]
    assert figures["vs_same_transport"] == sqlite["vs_same_transport"] > 0
    assert sqlite["calls_match"] and sqlite["calls"]["confirm"][-1] == "answerCallbackQuery"
    assert figures["rss_mib"] == sqlite["rss_mib"] > 0
    assert any(line.startswith("linli, sqlite") for line in out)
    assert any(line.startswith("goals, sqlite:") for line in out)
    profiles = sorted(p.name for p in tmp_path.iterdir())
    assert profiles == ["linli-sqlite.txt", "same-aiohttp-sqlite.txt", "same-sqlite.txt"]
    assert "by package, inclusive:" in profile_summary(tmp_path / "linli-sqlite.txt")


def test_votes_tallies_the_seeded_ballots_and_reports_the_ratio(capsys):
    """The votes benchmark at a tiny size: a vote opened by the real verbs over the whole
    district, 70% of its roll owners voted; the bot's tally and the hand-written GROUP BY give
    the figures the seeding wrote."""
    assert bench_main(["votes", "--households", "600", "--runs", "1", "--backend", "sqlite",
                       "--part", "tally"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(out[-1])
    assert {"tally_ratio", "vs_same_calls", "vs_echo"} <= set(figures)
    sqlite = figures["sqlite"]
    # the roll counts each buyer once and the developer's unsold units as one owner
    assert sqlite["households"] == 600 and sqlite["developer_units"] > 0
    assert sqlite["roll_owners"] == sqlite["owner_persons"] + 1 < 600
    voted = round(sqlite["roll_owners"] * 0.7)
    assert sqlite["ballots"] == voted and sqlite["choices"] == 2 * voted  # two matters each
    assert sqlite["same_figures"] and sqlite["as_seeded"] and figures["tally_same_figures"]
    assert [m["owners_voted"] for m in sqlite["matters"]] == [voted, voted]
    assert all(m["agree"] + m["disagree"] + m["abstain"] == voted for m in sqlite["matters"])
    assert figures["tally_ratio"] == sqlite["tally_ratio"] > 0
    assert figures["vs_same_calls"] is None and "presses" not in sqlite  # (b) not asked for
    assert any(line.startswith("tally_ratio (worst) =") for line in out)
    # (a'): the secret election over the same roll, the same share voted; its tally by linli
    # and by hand the figures the seeding wrote
    election = sqlite["election"]
    assert election["roll_owners"] == sqlite["roll_owners"]
    assert election["ballots"] == election["owners_voted"] == voted
    assert election["same_figures"] and election["as_seeded"] and figures[
        "election_same_figures"]
    ticked = sum(c["owners"] for c in election["candidates"])
    assert election["choices"] == ticked + election["abstain"]  # a row a tick, one abstaining
    assert voted < ticked + election["abstain"] <= 2 * voted  # two of three, at most
    assert [c["elected"] for c in election["candidates"]].count(True) <= 2
    assert figures["election_ratio"] == election["tally_ratio"] > 0
    assert figures["secret_vs_same_calls"] is None and "secret_presses" not in sqlite
    assert any(line.startswith("election_ratio (worst) =") for line in out)


def test_votes_casts_every_ballot_by_presses_and_reports_the_figures(capsys):
    """Part (b) at a tiny size: owners without a ballot open it, choose on both matters,
    review and confirm through linli in a process of its own; the echo bot and the same-calls
    bot answer the same people on the same emulator process."""
    assert bench_main(["votes", "--households", "600", "--runs", "1", "--backend", "sqlite",
                       "--owners", "20", "--waves", "2", "--single", "5"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(out[-1])
    presses = figures["sqlite"]["presses"]
    # every press answered, and every owner's confirm stored their ballot
    assert presses["lost"] == presses["single_lost"] == 0 and presses["attempted"] == 100
    assert presses["cast"] == presses["owners"] == 25
    assert presses["noticed"] == presses["notified"] == 25  # the opening notices, sent
    assert presses["bot_errors"] == {"linli": 0, "echo": 0, "same": 0}
    assert presses["echo"]["lost"] == presses["same"]["lost"] == 0
    assert presses["calls_match"] and presses["calls"]["confirm"][-1] == "answerCallbackQuery"
    assert figures["vs_same_calls"] == presses["vs_same_calls"] > 0
    assert figures["vs_echo"] == presses["vs_echo"] > 0 and figures["tally_ratio"] > 0
    assert all(presses["burst_ms"][k]["p99"] > 0 for k in ("open", "choose1", "review"))
    assert any(line.startswith("linli, sqlite") for line in out)
    assert any(line.startswith("goals, sqlite:") for line in out)
    # (b'): as many owners cast secret ballots on the election, against the same-calls bot on
    # that ballot and (b)'s echo bot; every confirmed ballot marked on the roll
    secret = figures["sqlite"]["secret_presses"]
    assert secret["lost"] == secret["single_lost"] == 0 and secret["attempted"] == 100
    assert secret["cast"] == secret["owners"] == 25
    assert secret["noticed"] == secret["notified"] == 25
    assert secret["bot_errors"] == {"linli-secret": 0, "same-secret": 0}
    assert secret["same"]["lost"] == 0 and secret["echo"] == presses["echo"]
    assert secret["calls_match"] and secret["calls"]["confirm"][-1] == "answerCallbackQuery"
    assert figures["secret_vs_same_calls"] == secret["vs_same_calls"] > 0
    assert figures["secret_vs_echo"] == secret["vs_echo"] > 0
    assert secret["vs_echo"] == round(secret["rate"] / secret["baseline_rates"]["echo"], 3)
    assert all(secret["burst_ms"][k]["p99"] > 0 for k in ("open", "choose2", "confirm"))
    assert sum(line.startswith("linli, sqlite") for line in out) == 2  # (b) and (b')
    assert any(line.startswith("goals, secret, sqlite:") for line in out)


def test_broadcast_delivers_every_message_once_and_pairs_the_rounds(capsys):
    """The broadcast benchmark at a tiny size, one round, without the 30/s run: the bare
    client, the outbox with no limit, the pledge right after it, and the paid broadcast each
    reach every recipient exactly once, and the figures are the rounds' own."""
    assert bench_main(["broadcast", "--recipients", "150", "--rounds", "1",
                       "--skip-telegram"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(out[-1])
    assert figures["recipients"] == 150 and figures["rounds"] == 1
    assert figures["paid_lost"] == figures["paid_duplicated"] == 0
    assert "telegram_rate" not in figures  # skipped
    assert figures["unlimited_rate"] == figures["notice_rate"] > 0
    # one round: its ratios are the round's own pairs (the rates are rounded before they are
    # printed, the ratio from the unrounded rates)
    assert abs(figures["pledge_ratio"] - figures["pledge_rate"] / figures["notice_rate"]) < 0.002
    assert abs(figures["cpu_ratio"] - figures["outbox_cpu_ms"] / figures["bare_cpu_ms"]) < 0.01
    table = [line for line in out if line.startswith(("bare httpx client", "outbox,"))]
    assert sorted(line.split("  ")[0] for line in table) == [
        "bare httpx client, no limit", "outbox, no limit", "outbox, paid broadcast 1000/s",
        "outbox, pledge, no limit"]
    # columns: sent, seconds, rate, limit, lost, sent twice, 429s, CPU per message
    assert all(line.split()[-8] == "150" and line.split()[-4:-2] == ["0", "0"]
               for line in table)
