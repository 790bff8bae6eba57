"""`python -m bench pledges`: who has not signed, and progress per building, at district scale.

A synthetic district (156,000 households, `bench/synth.py`) and a one-per-household pledge over
the whole street that 60% have signed. Timed, best of several runs, in the same process on the
same database: the service functions (`non_signers`, `progress`: SQLAlchemy Core through the
async driver) against hand-written SQL doing the same thing through the bare driver connection
(aiosqlite / asyncpg) — the ratio is what our layers cost; goal: ≤ 1.5.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import tempfile
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bench.common import best_of, done_progress, progress, table
from bench.synth import SynthInfo, generate
from bot.db import Database
from models import Base
from models.base import utcnow
from models.pledges import (
    Pledge,
    PledgeStatus,
    Signature,
    SignedHow,
    Signers,
    non_signers,
    text_hash,
)
from models.pledges import progress as pledge_progress

NAME = "pledges"
GOAL = 1.5
PG_URL = os.environ.get("LINLI_BENCH_PG_URL",
                        os.environ.get("LINLI_TEST_PG_URL",
                                       "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))

# The same questions, written by hand.
NOT_SIGNED_SQL = """
SELECT m.person_id, p.name, p.telegram_id, m.household_id, h.name, u.name, b.name
FROM membership m
JOIN person p ON p.id = m.person_id
JOIN place h ON h.id = m.household_id
JOIN place u ON u.id = h.parent_id
JOIN place b ON b.id = u.parent_id
WHERE m.status = 'approved' AND h.kind = 'household' AND h.path >= :lo AND h.path < :hi
  AND NOT EXISTS (SELECT 1 FROM signature s
                  WHERE s.pledge_id = :pledge AND s.household_id = m.household_id)
ORDER BY h.path, m.id
"""
PROGRESS_SQL = """
SELECT b.id, b.name, u.id, u.name, u.path,
       COUNT(DISTINCT m.household_id), COUNT(DISTINCT s.household_id)
FROM membership m
JOIN place h ON h.id = m.household_id
JOIN place u ON u.id = h.parent_id
JOIN place b ON b.id = u.parent_id
LEFT JOIN signature s ON s.pledge_id = :pledge AND s.household_id = m.household_id
WHERE m.status = 'approved' AND h.kind = 'household' AND h.path >= :lo AND h.path < :hi
GROUP BY b.id, b.name, u.id, u.name, u.path
"""


class RawDriver:
    """Hand-written SQL through the bare driver under SQLAlchemy's pooled connection."""

    def __init__(self, driver: Any, dialect: str) -> None:
        self.driver, self.dialect = driver, dialect

    async def fetch(self, sql: str, params: dict[str, Any]) -> list[Any]:
        if self.dialect == "sqlite":  # aiosqlite: named :params as sqlite3 takes them
            cursor = await self.driver.execute(sql, params)
            return list(await cursor.fetchall())
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            names.append(match.group(1))
            return f"${len(names)}"

        numbered = re.sub(r":(\w+)", number, sql)
        return list(await self.driver.fetch(numbered, *[params[n] for n in names]))


async def seed_pledge(db: Database, info: SynthInfo, share: float, seed: int) -> int:
    """An open one-per-household pledge over the street, signed by `share` of households."""
    now = utcnow()
    async with db.session() as session:
        pledge = Pledge(place_id=info.street_id, title="文明过年 不放烟花", body="我承诺。",
                        signers=Signers.HOUSEHOLD, status=PledgeStatus.OPEN, version=1,
                        text_hash=text_hash("文明过年 不放烟花", "我承诺。"), opens_at=now,
                        published_at=now, closes_at=now.replace(year=now.year + 1))
        session.add(pledge)
        await session.commit()
        pledge_id = pledge.id
    rng = random.Random(seed)
    households = sorted(info.owner_of)
    signed = rng.sample(households, round(len(households) * share))
    rows = [{"pledge_id": pledge_id, "person_id": info.owner_of[h], "household_id": h,
             "signer_key": f"h:{h}", "version": 1, "text_hash": "x" * 64,
             "how": SignedHow.SELF.value, "assisted_by_id": None, "signed_at": now,
             "code": f"S{n:08d}"} for n, h in enumerate(signed)]
    async with db.engine.begin() as conn:
        for start in range(0, len(rows), 5_000):
            await conn.execute(insert(Signature), rows[start:start + 5_000])
            progress(f"signatures {min(start + 5_000, len(rows)):,}/{len(rows):,}")
        await conn.exec_driver_sql("ANALYZE")
    return pledge_id


async def measure(url: str, backend: str, households: int, share: float, runs: int,
                  seed: int) -> dict[str, Any]:
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        info = await generate(db, households=households, seed=seed, progress=progress)
        pledge_id = await seed_pledge(db, info, share, seed)
        path = info.street_path
        params = {"lo": path, "hi": path[:-1] + "0", "pledge": pledge_id}
        figures: dict[str, Any] = {"generate_s": round(info.seconds, 2),
                                   "persons": info.persons, "units": info.units,
                                   "buildings": info.buildings}
        async with db.session() as session:
            pledge = await session.get_one(Pledge, pledge_id)
            session.expunge(pledge)  # a plain object: no lazy loads while timing
        async with db.engine.connect() as conn:
            raw = RawDriver((await conn.get_raw_connection()).driver_connection, backend)

            async def service_missing() -> int:
                async with db.session() as session:
                    return len(await non_signers(session, pledge=pledge, paths=[path]))

            async def service_progress() -> int:
                async with db.session() as session:
                    return len(await pledge_progress(session, pledge=pledge, paths=[path]))

            for name, service, sql in (("non_signers", service_missing, NOT_SIGNED_SQL),
                                       ("progress", service_progress, PROGRESS_SQL)):
                progress(f"{backend}: timing {name} (service)")
                service_s, service_rows = await best_of(runs, service)
                progress(f"{backend}: timing {name} (hand-written SQL)")

                async def by_hand(sql: str = sql) -> int:
                    return len(await raw.fetch(sql, params))

                sql_s, sql_rows = await best_of(runs, by_hand)
                if service_rows != sql_rows:
                    raise AssertionError(f"{name}: service {service_rows} rows, SQL {sql_rows}")
                figures[f"{name}_rows"] = service_rows
                figures[f"{name}_service_ms"] = round(service_s * 1000, 1)
                figures[f"{name}_sql_ms"] = round(sql_s * 1000, 1)
                figures[f"{name}_ratio"] = round(service_s / sql_s, 3)
        done_progress()
        return figures
    finally:
        await db.dispose()


async def run(households: int, share: float, runs: int, backends: list[str],
              seed: int = 1) -> dict[str, Any]:
    out: dict[str, Any] = {"households": households, "signed_share": share, "runs": runs}
    for backend in backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(prefix="linli-bench-") as tmp:
                url = f"sqlite+aiosqlite:///{Path(tmp) / 'district.sqlite'}"
                out["sqlite"] = await measure(url, "sqlite", households, share, runs, seed)
        else:
            import asyncpg

            schema = f"bench_{uuid.uuid4().hex[:10]}"
            dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
            admin = await asyncpg.connect(dsn)
            try:
                await admin.execute(f"CREATE SCHEMA {schema}")
                out["pg"] = await measure(f"{PG_URL}?search_path={schema}", "pg", households,
                                          share, runs, seed)
            finally:
                await admin.execute(f"DROP SCHEMA {schema} CASCADE")
                await admin.close()
    ratios = [out[b][f"{q}_ratio"] for b in backends for q in ("non_signers", "progress")]
    out["ratio"] = max(ratios)
    out["goal"] = GOAL
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench pledges", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=156_000)
    parser.add_argument("--signed", type=float, default=0.6, help="share signed (0.6)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs; the best counts")
    parser.add_argument("--backend", choices=["sqlite", "pg", "both"], default="sqlite")
    args = parser.parse_args(argv)
    backends = ["sqlite", "pg"] if args.backend == "both" else [args.backend]
    figures = asyncio.run(run(args.households, args.signed, args.runs, backends))
    rows = []
    for backend in backends:
        f = figures[backend]
        for name, label in (("non_signers", "not signed under the street"),
                            ("progress", "progress per building/unit")):
            rows.append([backend, label, f[f"{name}_rows"], f[f"{name}_service_ms"],
                         f[f"{name}_sql_ms"], f[f"{name}_ratio"]])
    print(f"{args.households:,} households, {args.signed:.0%} signed, best of {args.runs}")
    print(table(["db", "query", "rows", "service ms", "hand SQL ms", "ratio"], rows))
    verdict = "met" if figures["ratio"] <= GOAL else "NOT met"
    print(f"ratio (worst) = {figures['ratio']:.3f}; goal ≤ {GOAL}: {verdict}")
    return figures
