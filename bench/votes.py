"""`python -m bench votes`: the art. 278 tally of an owners' decision over the whole district.

(a) The tally. The synthetic district (156,000 households, `bench/synth.py`) as one estate, and
one owners' decision with two matters over it, written, announced and opened by the real verbs
(`bench/_voteseed.py`: the roll of 156,000 owners frozen as the bot freezes it); 70% of the roll
owners have voted (ballots and their choice rows written in bulk by a seeded generator). Timed,
the median of several rounds after a warm-up, each round running both in turn (the order
alternating), in the same process on the same database: the bot's
tally, `models.votes.closing.tally_of` (its matters, two GROUP BY queries through SQLAlchemy and
the async driver, decided by `tally.tally_counts`), against the same two GROUP BY queries
written by hand through the bare driver (sqlite3 on a connection of its own to the same file,
with linli's pragmas; asyncpg on PostgreSQL). Both must give the same figures — owners and
area voted, owners and area per matter and choice — and both must equal what the seeding wrote.
`tally_ratio` is linli / bare, the worst of the backends run; goal ≤ 1.5.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import uuid
from pathlib import Path
from typing import Any

from bench import _voteseed as seed
from bench.common import done_progress, medians, progress, table
from bot.db import SQLITE_PRAGMAS, Database
from models.votes import tally
from models.votes.closing import tally_of

NAME = "votes"
GOAL = 1.5
PG_URL = os.environ.get("LINLI_BENCH_PG_URL",
                        os.environ.get("LINLI_TEST_PG_URL",
                                       "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))

# The tally's two questions, written by hand: owners and area voted; per matter and choice.
VOTED_SQL = """
SELECT count(b.id), coalesce(sum(o.area), 0)
FROM vote_ballot b JOIN vote_roll_owner o ON o.id = b.owner_id
WHERE b.vote_id = {vote}
"""
CHOICES_SQL = """
SELECT c.matter, c.value, count(*), sum(o.area)
FROM vote_ballot_choice c
JOIN vote_ballot b ON b.id = c.ballot_id
JOIN vote_roll_owner o ON o.id = b.owner_id
WHERE c.vote_id = {vote}
GROUP BY c.matter, c.value
"""

# (owners voted, area voted, {(matter, choice): (owners, area)})
Figures = tuple[int, int, dict[tuple[int, str], tuple[int, int]]]


def figures_of(results: list[tally.MatterResult]) -> Figures:
    """The bot's tally in the bare queries' form (choices nobody made left out)."""
    counts = {}
    for r in results:
        for choice, count in (("agree", r.agree), ("disagree", r.disagree),
                              ("abstain", r.abstain)):
            if count.owners:
                counts[r.number, choice] = (count.owners, count.area)
    first = results[0]
    return first.owners_voted, first.area_voted, counts


def bare_figures(voted: Any, rows: Any) -> Figures:
    return (int(voted[0]), int(voted[1]),
            {(int(m), str(v)): (int(n), int(a)) for m, v, n, a in rows})


class Bare:
    """The hand-written queries through the bare driver, on a connection of its own."""

    def __init__(self, backend: str, target: str) -> None:
        self.backend, self.target = backend, target
        self.sqlite: sqlite3.Connection | None = None
        self.pg: Any = None

    async def __aenter__(self) -> Bare:
        if self.backend == "sqlite":
            self.sqlite = sqlite3.connect(self.target)
            for name, value in SQLITE_PRAGMAS.items():
                self.sqlite.execute(f"PRAGMA {name}={value}")
        else:
            import asyncpg

            dsn, schema = self.target.split("|")
            self.pg = await asyncpg.connect(dsn, server_settings={"search_path": schema})
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.sqlite is not None:
            self.sqlite.close()
        if self.pg is not None:
            await self.pg.close()

    async def tally(self, vote_id: int) -> Figures:
        if self.sqlite is not None:
            voted = self.sqlite.execute(VOTED_SQL.format(vote="?"), (vote_id,)).fetchone()
            rows = self.sqlite.execute(CHOICES_SQL.format(vote="?"), (vote_id,)).fetchall()
        else:
            voted = await self.pg.fetchrow(VOTED_SQL.format(vote="$1"), vote_id)
            rows = await self.pg.fetch(CHOICES_SQL.format(vote="$1"), vote_id)
        return bare_figures(voted, rows)


def expected(seeded: seed.Seeded) -> Figures:
    return seeded.ballots, seeded.area, dict(seeded.counts)


async def measure(db_url: str, backend: str, bare_target: str,
                  args: argparse.Namespace) -> dict[str, Any]:
    db = Database(db_url)
    try:
        district = await seed.seed_district(db, args.households, progress, args.seed)
        vote = await seed.open_vote(db, district, progress)
        seeded = await seed.seed_ballots(db, vote, args.voted, args.seed, progress)
        plain = await seed.get_vote(db, vote.vote_id)

        async def linli() -> list[tally.MatterResult]:
            async with db.session() as session:
                return await tally_of(session, plain)

        async with Bare(backend, bare_target) as bare:
            async def by_hand() -> Figures:
                return await bare.tally(vote.vote_id)

            progress(f"{backend}: timing the tally, linli and the hand-written GROUP BY in turn")
            (linli_s, results), (bare_s, bare_result) = await medians(args.runs, linli, by_hand)
        done_progress()
        mine = figures_of(results)
        return {
            "households": district.synth.households, "persons": district.synth.persons,
            "buildings": district.synth.buildings, "roll_owners": vote.roll_owners,
            # art. 9's owners: each buyer once, the developer's unsold units together one
            "owner_persons": len(set(district.synth.owner_of.values())),
            "developer_units": district.synth.developer_units,
            "roll_area_m2": tally.area_text(vote.roll_area), "told": vote.told,
            "ballots": seeded.ballots, "choices": sum(n for n, _a in seeded.counts.values()),
            "generate_s": round(district.synth.seconds, 1),
            "announce_open_s": round(vote.seconds, 1),
            "tally_ms": round(linli_s * 1000, 1), "bare_ms": round(bare_s * 1000, 1),
            "tally_ratio": round(linli_s / bare_s, 3),
            "same_figures": mine == bare_result,
            "as_seeded": mine == expected(seeded) == bare_result,
            "matters": [{"matter": r.number, "item": r.matter.item,
                         "owners_voted": r.owners_voted,
                         "area_voted_m2": tally.area_text(r.area_voted),
                         "agree": r.agree.owners, "disagree": r.disagree.owners,
                         "abstain": r.abstain.owners, "quorum": r.quorum, "passed": r.passed}
                        for r in results]}
    finally:
        await db.dispose()


async def on_sqlite(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="linli-votes-") as tmp:
        path = Path(tmp) / "district.sqlite"
        return await measure(f"sqlite+aiosqlite:///{path}", "sqlite", str(path), args)


async def on_postgres(args: argparse.Namespace) -> dict[str, Any]:
    """The same on PostgreSQL, in a schema of its own, dropped afterwards."""
    import asyncpg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        return await measure(f"{PG_URL}?search_path={schema}", "pg", f"{dsn}|{schema}", args)
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


async def run_all(args: argparse.Namespace, backends: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for backend in backends:
        out[backend] = await (on_sqlite(args) if backend == "sqlite" else on_postgres(args))
    out["tally_ratio"] = max(out[b]["tally_ratio"] for b in backends)
    out["tally_same_figures"] = all(out[b]["same_figures"] and out[b]["as_seeded"]
                                    for b in backends)
    return out


def yes_no(value: bool | None) -> str:
    return "—" if value is None else "yes" if value else "no"


def report(figures: dict[str, Any], args: argparse.Namespace, backends: list[str]) -> None:
    first = figures[backends[0]]
    print(f"(a) the tally: {first['households']:,} households, {first['roll_owners']:,} owners "
          f"on the roll ({first['roll_area_m2']} m²), {first['ballots']:,} ballots "
          f"({args.voted:.0%}), {first['choices']:,} choices; median of {args.runs}")
    rows = [[b, figures[b]["ballots"], figures[b]["tally_ms"], figures[b]["bare_ms"],
             figures[b]["tally_ratio"],
             "yes" if figures[b]["same_figures"] and figures[b]["as_seeded"] else "NO"]
            for b in backends]
    print(table(["db", "ballots", "tally_of ms", "bare GROUP BY ms", "ratio", "same figures"],
                rows))
    print(table(["matter", "item", "voted", "area voted m²", "agree", "disagree", "abstain",
                 "quorum", "passed"],
                [[m["matter"], m["item"], m["owners_voted"], m["area_voted_m2"], m["agree"],
                  m["disagree"], m["abstain"], yes_no(m["quorum"]), yes_no(m["passed"])]
                 for m in first["matters"]]))
    verdict = "met" if figures["tally_ratio"] <= GOAL else "NOT met"
    print(f"tally_ratio (worst) = {figures['tally_ratio']:.3f}; goal ≤ {GOAL}: {verdict}; "
          f"the same figures on every backend, as seeded: "
          f"{'yes' if figures['tally_same_figures'] else 'NO'}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench votes", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=156_000)
    parser.add_argument("--voted", type=float, default=0.7,
                        help="share of the roll owners who voted (0.7)")
    parser.add_argument("--runs", type=int, default=7,
                        help="timed rounds (each runs both); the median counts")
    parser.add_argument("--backend", choices=["sqlite", "pg", "both"], default="both")
    parser.add_argument("--seed", type=int, default=1, help="the generator's seed")
    args = parser.parse_args(argv)
    backends = ["sqlite", "pg"] if args.backend == "both" else [args.backend]
    figures: dict[str, Any] = asyncio.run(run_all(args, backends))
    figures |= {"voted_share": args.voted, "runs": args.runs, "goal": GOAL,
                # (b), the ballots cast by button presses, is not built yet
                "vs_same_calls": None, "vs_echo": None}
    report(figures, args, backends)
    return figures
