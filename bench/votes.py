"""`python -m bench votes`: an owners' decision over the whole district, tallied and voted on.

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

(a') The election's tally: a second vote over the same estate — the same roll, frozen the same
way — of one matter by secret ballot, the owners' committee (two of three candidates); the same
share of its roll owners have cast a secret ballot (the roll's mark, the ballot under its
receipt with the owner's area, its ticked candidates; written in bulk by the seeded
generator). Timed as (a): the bot's tally (`tally_of`: the GROUP BY over the secret ballots
joined to their choices, decided by `tally.tally_counts`) against the same two queries by hand
through the bare driver; the same figures — ballots and area, owners and area per candidate
and abstaining — and as seeded. `election_ratio` is linli / bare, the worst of the backends
run; goal ≤ 1.5.

(b) Ballots by button presses, on the same vote (`bench/_votepresses.py`): 2,000 owners without
a ballot cast theirs in waves of 200 pressing at once — "🗳 Vote" on the opening notice, a
choice on each matter, "Review", "Confirm" — and 30 more one press at a time, through linli
run as `linli run` runs it (a process of its own, against the emulator in another, limits
off); then, on the same emulator process, the two baselines of `bench presses`: PTB's echo bot
(the same people typing as many messages) and a bot without a database making the Bot API
calls linli made for each press. Each backend is compared with the best each baseline reached
in the run. Goals (printed, not enforced): presses/s ≥ 0.7 of the same-calls bot and ≥ 0.4 of
the echo bot on SQLite (PostgreSQL reported), nothing lost, every confirmed ballot stored;
latency p50/p99 per kind of press. `vs_same_calls` and `vs_echo` are SQLite's (the first
backend run); with `--part tally` they are null.

(b') Secret ballots by button presses, on the election of (a'): as many owners without a ballot
cast theirs in as many waves — "🗳 Vote", a candidate ticked, a second one, "Review",
"Confirm" (the copy with the receipt code) — and as many one press at a time, through linli;
then the bot without a database making the calls linli made for each of these presses
(`same-votes` in its election mode), on the same emulator; against it and against the echo
bot of (b) (the best each reached in the run). Goals as (b): ≥ 0.7 and ≥ 0.4 on SQLite,
nothing lost, every receipt's ballot stored. `secret_vs_same_calls` and `secret_vs_echo` are
SQLite's; with `--part tally` they are null.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack, nullcontext
from pathlib import Path
from typing import Any

from bench import _votepresses as presses
from bench import _votereport
from bench import _voteseed as seed
from bench._pressdriver import Emulator
from bench._votereport import GOAL, PRESS_GOALS
from bench.common import done_progress, emulator, medians, progress
from bench.presses import TOKEN, Run, default_concurrency
from bot.db import SQLITE_PRAGMAS, Database
from models.votes import tally
from models.votes.closing import tally_of

NAME = "votes"
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

# The election's two, over the secret ballots: ballots and their area; per matter and value
# (a candidate's number, or "" for abstaining) the owners and area behind it.
SECRET_VOTED_SQL = """
SELECT count(*), coalesce(sum(area), 0) FROM vote_secret_ballot WHERE vote_id = {vote}
"""
SECRET_CHOICES_SQL = """
SELECT c.matter, c.value, count(*), sum(b.area)
FROM vote_secret_choice c
JOIN vote_secret_ballot b ON b.vote_id = c.vote_id AND b.receipt = c.receipt
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


def election_figures_of(results: list[tally.MatterResult]) -> Figures:
    """The bot's election tally in the bare queries' form: each candidate by number, and
    abstaining as the empty value (candidates nobody ticked left out)."""
    counts = {}
    for r in results:
        for option in r.options:
            if option.owners:
                counts[r.number, str(option.option)] = (option.owners, option.area)
        if r.abstain.owners:
            counts[r.number, ""] = (r.abstain.owners, r.abstain.area)
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

    async def tally(self, vote_id: int, *, secret_ballot: bool = False) -> Figures:
        voted_sql, choices_sql = ((SECRET_VOTED_SQL, SECRET_CHOICES_SQL) if secret_ballot
                                  else (VOTED_SQL, CHOICES_SQL))
        if self.sqlite is not None:
            voted = self.sqlite.execute(voted_sql.format(vote="?"), (vote_id,)).fetchone()
            rows = self.sqlite.execute(choices_sql.format(vote="?"), (vote_id,)).fetchall()
        else:
            voted = await self.pg.fetchrow(voted_sql.format(vote="$1"), vote_id)
            rows = await self.pg.fetch(choices_sql.format(vote="$1"), vote_id)
        return bare_figures(voted, rows)


def expected(seeded: seed.Seeded) -> Figures:
    return seeded.ballots, seeded.area, dict(seeded.counts)


async def measure(db_url: str, backend: str, bare_target: str, args: argparse.Namespace,
                  tmp: Path, emu: Emulator | None) -> dict[str, Any]:
    db = Database(db_url)
    try:
        district = await seed.seed_district(db, args.households, progress, args.seed)
        vote = await seed.open_vote(db, district, progress, keep_outbox=emu is not None)
        seeded = await seed.seed_ballots(db, vote, args.voted, args.seed, progress)
        figures = await measure_tally(db, backend, bare_target, args, district, vote, seeded)
        election = await seed.open_vote(db, district, progress, keep_outbox=emu is not None,
                                        election=True)
        if emu is not None:  # (its notices wait for (b'): (b)'s bot would send them)
            await seed.hold_notices(db, election.vote_id)
        cast = await seed.seed_secret_ballots(db, election, args.voted, args.seed, progress)
        figures["election"] = await measure_election(db, backend, bare_target, args, election,
                                                     cast)
        if emu is not None:
            run = Run(emu, args, tmp)
            figures["presses"] = await presses.measure(run, db, db_url, vote.vote_id, args)
            figures["secret_presses"] = await presses.measure_secret(
                run, db, db_url, election.vote_id, args, figures["presses"]["echo"])
            done_progress()
        return figures
    finally:
        await db.dispose()


async def timed_tally(db: Database, backend: str, bare_target: str, args: argparse.Namespace,
                      vote: seed.OpenVote, seeded: seed.Seeded,
                      figures: Callable[[list[tally.MatterResult]], Figures], *,
                      secret_ballot: bool) -> tuple[list[tally.MatterResult], dict[str, Any]]:
    """The bot's tally of the vote and the same GROUP BY by hand through the bare driver, in
    turn, the median of `args.runs`: the bot's results, and the timings and whether both
    gave the seeded figures."""
    plain = await seed.get_vote(db, vote.vote_id)

    async def linli() -> list[tally.MatterResult]:
        async with db.session() as session:
            return await tally_of(session, plain)

    async with Bare(backend, bare_target) as bare:
        async def by_hand() -> Figures:
            return await bare.tally(vote.vote_id, secret_ballot=secret_ballot)

        what = "the election's tally" if secret_ballot else "the tally"
        progress(f"{backend}: timing {what}, linli and the hand-written GROUP BY in turn")
        (linli_s, results), (bare_s, bare_result) = await medians(args.runs, linli, by_hand)
    done_progress()
    mine = figures(results)
    return results, {"tally_ms": round(linli_s * 1000, 1), "bare_ms": round(bare_s * 1000, 1),
                     "tally_ratio": round(linli_s / bare_s, 3),
                     "same_figures": mine == bare_result,
                     "as_seeded": mine == expected(seeded) == bare_result}


async def measure_tally(db: Database, backend: str, bare_target: str,
                        args: argparse.Namespace, district: seed.District, vote: seed.OpenVote,
                        seeded: seed.Seeded) -> dict[str, Any]:
    """Part (a) on one backend: the bot's tally and the bare GROUP BY, in turn."""
    results, timed = await timed_tally(db, backend, bare_target, args, vote, seeded,
                                       figures_of, secret_ballot=False)
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
        **timed,
        "matters": [{"matter": r.number, "item": r.matter.item,
                     "owners_voted": r.owners_voted,
                     "area_voted_m2": tally.area_text(r.area_voted),
                     "agree": r.agree.owners, "disagree": r.disagree.owners,
                     "abstain": r.abstain.owners, "quorum": r.quorum, "passed": r.passed}
                    for r in results]}


async def measure_election(db: Database, backend: str, bare_target: str,
                           args: argparse.Namespace, vote: seed.OpenVote, seeded: seed.Seeded
                           ) -> dict[str, Any]:
    """Part (a') on one backend: the bot's tally of the secret election and the bare GROUP BY,
    in turn."""
    results, timed = await timed_tally(db, backend, bare_target, args, vote, seeded,
                                       election_figures_of, secret_ballot=True)
    [result] = results
    return {
        "roll_owners": vote.roll_owners, "roll_area_m2": tally.area_text(vote.roll_area),
        "ballots": seeded.ballots, "choices": sum(n for n, _a in seeded.counts.values()),
        **timed,
        "owners_voted": result.owners_voted, "abstain": result.abstain.owners,
        "quorum": result.quorum,
        "candidates": [{"candidate": o.option, "name": o.name, "owners": o.owners,
                        "area_m2": tally.area_text(o.area), "elected": o.elected}
                       for o in result.options]}


async def on_postgres(args: argparse.Namespace, tmp: Path,
                      emu: Emulator | None) -> dict[str, Any]:
    """The same on PostgreSQL, in a schema of its own, dropped afterwards."""
    import asyncpg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        return await measure(f"{PG_URL}?search_path={schema}", "pg", f"{dsn}|{schema}", args,
                             tmp, emu)
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


async def run_all(args: argparse.Namespace, backends: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    kept = args.logs is not None
    if kept:
        args.logs.mkdir(parents=True, exist_ok=True)
    with (nullcontext(tempfile.mkdtemp(prefix="linli-votes-", dir=args.logs)) if kept
          else tempfile.TemporaryDirectory(prefix="linli-votes-")) as tmp:
        async with AsyncExitStack() as stack:
            emu = None
            if args.part == "both":
                url = await stack.enter_async_context(emulator("off", TOKEN))
                emu = presses.make_emulator(url, args)
                stack.push_async_callback(emu.close)
            for backend in backends:
                where = Path(tmp) / backend
                where.mkdir()
                if backend == "sqlite":
                    path = where / "district.sqlite"
                    out[backend] = await measure(f"sqlite+aiosqlite:///{path}", "sqlite",
                                                 str(path), args, where, emu)
                else:
                    out[backend] = await on_postgres(args, where, emu)
    out["tally_ratio"] = max(out[b]["tally_ratio"] for b in backends)
    out["tally_same_figures"] = all(out[b]["same_figures"] and out[b]["as_seeded"]
                                    for b in backends)
    out["election_ratio"] = max(out[b]["election"]["tally_ratio"] for b in backends)
    out["election_same_figures"] = all(out[b]["election"]["same_figures"]
                                       and out[b]["election"]["as_seeded"] for b in backends)
    if args.part == "both":
        presses.compare(out, backends)
        presses.compare(out, backends, "secret_presses")
        first = out[backends[0]]["presses"]  # the goals are SQLite's (the first backend)
        for key in ("vs_same_calls", "vs_echo", "single_p50_ms", "burst_p99_ms", "rss_mib"):
            out[key] = first[key]
        first = out[backends[0]]["secret_presses"]
        for key in ("vs_same_calls", "vs_echo", "single_p50_ms", "burst_p99_ms"):
            out[f"secret_{key}"] = first[key]
    else:
        out |= {"vs_same_calls": None, "vs_echo": None, "secret_vs_same_calls": None,
                "secret_vs_echo": None}
    return out


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
    parser.add_argument("--part", choices=["tally", "both"], default="both",
                        help="(a) and (a') the tallies alone, or then (b) and (b') on their "
                             "votes")
    parser.add_argument("--owners", type=int, default=2_000,
                        help="(b), (b'): owners casting their ballots in waves")
    parser.add_argument("--waves", type=int, default=10, help="(b): waves the owners press in")
    parser.add_argument("--single", type=int, default=30,
                        help="(b): other owners casting theirs one press at a time")
    parser.add_argument("--concurrency", type=int, default=default_concurrency(),
                        help="(b): LINLI_CONCURRENT_UPDATES, and the baselines' "
                             "concurrent_updates")
    parser.add_argument("--logs", type=Path, default=None,
                        help="keep the run's directory (the bots' logs, the SQLite file) under "
                             "this one; without it, it goes with the run")
    parser.add_argument("--patience", type=float, default=120.0,
                        help="(b): seconds without progress before the rest counts as lost")
    args = parser.parse_args(argv)
    backends = ["sqlite", "pg"] if args.backend == "both" else [args.backend]
    figures: dict[str, Any] = asyncio.run(run_all(args, backends))
    figures |= {"voted_share": args.voted, "runs": args.runs, "goal": GOAL}
    _votereport.report(figures, args, backends)
    if args.part == "both":
        figures |= {"owners": args.owners, "waves": args.waves, "single": args.single,
                    "concurrency": args.concurrency, "press_goals": PRESS_GOALS}
        _votereport.report_presses(figures, args, backends)
        _votereport.report_presses(figures, args, backends, "secret_presses")
    return figures
