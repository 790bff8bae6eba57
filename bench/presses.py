"""`python -m bench presses`: a grid's owners sign a pledge at once, through the real bot.

The synthetic district (156,000 households, `bench/synth.py`); its staff publish an open
one-per-household pledge to one grid through the real verbs, and the outbox announces it with
its "Read and sign" button. linli runs as `linli run` does, in a process of its own
(`python -m bot.cli run`, long polling, limits off: LINLI_OUTBOX_RATE=1000000), against the
emulator in another (`--limits off`). Then 2,000 distinct owners sign, in waves of owners
pressing at once (`bench/_pressdriver.py`): "Read and sign", "I agree and sign", "Confirm and
sign". Measured: whole-flow presses/s, burst latency per kind of press, one press alone (owners
pressing one at a time), the bot's CPU per press and its peak RSS, presses lost (goal 0), and
the pledge announcement's delivery rate against a plain notice's to the same people.

In the same run, on the same emulator process, two baselines (`bench/_pressbots.py`), each
PTB's Application with the same `concurrent_updates` as linli: (a) the echo bot, the same
people typing instead of pressing (updates/s); (b) a bot without a database that answers each
press with the Bot API calls linli made for it (counted from linli's own calls in this run).
Both run after each backend's linli run; since they do not depend on the backend, each backend
is compared with the best rate each baseline reached in the whole run.
Goals (printed, not enforced): presses/s ≥ 0.7 of (b) and ≥ 0.4 of (a), one press alone p50 ≤
15 ms, peak RSS < 150 MiB, pledge/notice broadcast rate ≥ 0.9 — on SQLite; PostgreSQL too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bench import _pressseed as seed
from bench._pressdriver import (
    Burst,
    Emulator,
    Flow,
    echo_waves,
    one_at_a_time,
    percentile,
    press_waves,
)
from bench._profile import record
from bench.common import child, cpu_seconds, done_progress, emulator, peak_rss_mib, progress, table
from bot.config import Settings
from bot.db import Database
from handlers.pledges.buttons import Confirm, NotNow, Read, Sign

NAME = "presses"
TOKEN = "123456789:BENCHpressesTOKENabcdefghijklm"
ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("LINLI_BENCH_PG_URL",
                        os.environ.get("LINLI_TEST_PG_URL",
                                       "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))
GOALS = {"vs_same_calls": 0.7, "vs_echo": 0.4, "single_p50_ms": 15.0, "rss_mib": 150.0,
         "broadcast_ratio": 0.9, "lost": 0}


def default_concurrency() -> int:
    """linli's own default for LINLI_CONCURRENT_UPDATES (16 while the setting is new)."""
    setting = Settings.model_fields.get("concurrent_updates")
    return setting.default if setting is not None and isinstance(setting.default, int) else 16


class Run:
    """One backend's measurement: the emulator, the options, a temp dir for logs and files."""

    def __init__(self, emu: Emulator, args: argparse.Namespace, tmp: Path) -> None:
        self.emu, self.args, self.tmp = emu, args, tmp
        self.errors: dict[str, int] = {}  # errors and tracebacks in each bot's log

    @asynccontextmanager
    async def bot(self, label: str, command: Sequence[str],
                  env: dict[str, str]) -> AsyncIterator[int]:
        """A bot process, polling the emulator by the time this yields its pid."""
        log = self.tmp / f"{label}.log"
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        with child([sys.executable, *command], env={**env, "PYTHONPATH": path}, log=log,
                   cwd=self.tmp) as process:
            # PTB's polling starts by deleting any webhook, then polls at once (a getUpdates
            # call is logged only when it returns: after its long poll)
            polls = await self.emu.wait_calls("deleteWebhook", 1,
                                              lambda: process.poll() is None)
            if not polls:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{label} did not start polling:\n{tail}")
            yield process.pid
        self.errors[label] = sum(1 for line in log.read_text(errors="replace").splitlines()
                                 if " ERROR " in line or line.startswith("Traceback"))

    def baseline(self, mode: str, *extra: str) -> list[str]:
        return ["-m", "bench._pressbots", "--mode", mode, "--url", self.emu.url, "--token",
                TOKEN, "--concurrency", str(self.args.concurrency), *extra]

    def profile(self, label: str) -> Path | None:
        """Where py-spy's samples of this bot's press waves go (`--profile`), if anywhere."""
        if getattr(self.args, "profile", None) is None:  # (bench votes runs presses too)
            return None
        self.args.profile.mkdir(parents=True, exist_ok=True)
        return self.args.profile / f"{label}-{self.tmp.name}.txt"

    def wave_size(self) -> int:
        return max(1, -(-self.args.owners // self.args.waves))


def rate(calls: Sequence[dict[str, Any]]) -> float:
    """Messages per second from the first delivery to the last."""
    if len(calls) < 2:
        return 0.0
    seconds = calls[-1]["time"] - calls[0]["time"]
    return (len(calls) - 1) / seconds if seconds > 0 else 0.0


def summary(burst: Burst, cpu: float, single: Burst | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rate": round(burst.rate, 1), "lost": burst.lost, "attempted": burst.attempted,
        "cpu_ms": round(1000 * cpu / max(1, burst.answered), 2),
        "burst_ms": {k: {"p50": round(percentile(v, 0.5), 1), "p99": round(percentile(v, 0.99), 1)}
                     for k, v in burst.latency_ms.items()}}
    if single is not None:
        out["single_ms"] = {k: round(percentile(v, 0.5), 1)
                            for k, v in single.latency_ms.items()}
        out["single_lost"] = single.lost
        out["single_p50_ms"] = max(out["single_ms"].values(), default=0.0)
    return out


async def linli(run: Run, db: Database, db_url: str,
                district: seed.District) -> tuple[dict[str, Any], Flow, dict[str, list[str]]]:
    """linli as `linli run` builds it: a notice, the pledge announced, the waves, one press
    at a time."""
    emu, args = run.emu, run.args
    owners = district.owners[:args.owners]
    alone = district.owners[args.owners:args.owners + args.single]
    await emu.reset([*district.audience, seed.STAFF_TELEGRAM_ID])
    env = {"LINLI_DATABASE_URL": db_url, "LINLI_API_BASE_URL": f"{emu.url}/bot",
           "LINLI_API_FILE_URL": f"{emu.url}/file/bot", "LINLI_BOT_TOKEN": TOKEN,
           "LINLI_OUTBOX_RATE": "1000000", "LINLI_CONCURRENT_UPDATES": str(args.concurrency)}
    async with run.bot("linli", ["-m", "bot.cli", "run"], env) as pid:
        # the plain notice first: after the presses, the people who just pressed would still
        # be inside the per-chat limit (3 messages in 3 s) and hold the notice back
        await emu.catch_up()
        recipients = await seed.publish_notice(db, district)
        progress(f"linli: a plain notice to {recipients:,} people")
        noticed = await emu.wait_calls("sendMessage", recipients)
        pledge_id, notified = await seed.publish_pledge(db, district)
        progress(f"linli: announcing the pledge to {notified:,} people")
        announced = await emu.wait_calls("sendMessage", notified)
        flow = Flow((("read", Read(pledge_id).encode()), ("sign", Sign(pledge_id, 1).encode()),
                     ("confirm", Confirm(pledge_id, 1).encode())))
        cpu = cpu_seconds(pid)
        with record(pid, run.profile("linli")):
            burst = await press_waves(emu, owners, flow, run.wave_size(), progress, "linli")
        cpu = cpu_seconds(pid) - cpu
        single, recipe = await one_at_a_time(emu, alone, flow, progress, "linli")
        rss = peak_rss_mib(pid)
    figures = summary(burst, cpu, single) | {
        "rss_mib": round(rss, 1), "notified": notified, "announced": len(announced),
        "pledge_broadcast_rate": round(rate(announced), 1),
        "notice_broadcast_rate": round(rate(noticed), 1), "notice_recipients": recipients,
        "signed": await seed.signed(db, pledge_id), "owners": len(owners) + len(alone),
        "calls": recipe}
    figures["broadcast_ratio"] = round(figures["pledge_broadcast_rate"]
                                       / max(1e-9, figures["notice_broadcast_rate"]), 3)
    flow_file = run.tmp / "flow.json"
    flow_file.write_text(json.dumps({"data": dict(flow.presses) | {
        "cancel": NotNow(pledge_id).encode()}, "recipe": recipe}))
    return figures, flow, recipe


async def echo(run: Run, users: list[int]) -> dict[str, Any]:
    """PTB's echo bot: the same people typing, as many messages each as presses."""
    await run.emu.reset(users)
    async with run.bot("echo", run.baseline("echo"), {}) as pid:
        cpu = cpu_seconds(pid)
        burst = await echo_waves(run.emu, users, 3, run.wave_size(), progress)
        cpu = cpu_seconds(pid) - cpu
        rss = peak_rss_mib(pid)
    return summary(burst, cpu) | {"rss_mib": round(rss, 1)}


async def same_calls(run: Run, owners: list[int], alone: list[int], flow: Flow,
                     transport: str = "httpx") -> dict[str, Any]:
    """The bot without a database making linli's calls for each press, on PTB's own HTTP
    transport (httpx) or on linli's (aiohttp)."""
    await run.emu.reset([*owners, *alone])
    chats = run.tmp / "chats.txt"
    chats.write_text("\n".join(str(c) for c in [*owners, *alone]))
    command = run.baseline("same", "--flow", str(run.tmp / "flow.json"), "--chats", str(chats),
                           "--transport", transport)
    label = "same" if transport == "httpx" else f"same-{transport}"
    async with run.bot(label, command, {}) as pid:
        cpu = cpu_seconds(pid)
        with record(pid, run.profile(label)):
            burst = await press_waves(run.emu, owners, flow, run.wave_size(), progress,
                                      "same calls")
        cpu = cpu_seconds(pid) - cpu
        single, recipe = await one_at_a_time(run.emu, alone, flow, progress, "same calls")
        rss = peak_rss_mib(pid)
    return summary(burst, cpu, single) | {"rss_mib": round(rss, 1), "calls": recipe}


async def measure(run: Run, backend: str, db_url: str) -> dict[str, Any]:
    db = Database(db_url)
    try:
        district = await seed.seed_district(db, run.args.households, progress)
        wanted = run.args.owners + run.args.single
        if len(district.owners) < wanted:
            raise SystemExit(f"the first grid has {len(district.owners):,} owners; "
                             f"{wanted:,} are wanted (--owners + --single)")
        figures, flow, recipe = await linli(run, db, db_url, district)
    finally:
        await db.dispose()
    owners = district.owners[:run.args.owners]
    alone = district.owners[run.args.owners:wanted]
    figures["echo"] = await echo(run, owners)
    figures["same"] = await same_calls(run, owners, alone, flow)
    figures["same_transport"] = await same_calls(run, owners, alone, flow, "aiohttp")
    figures["calls_match"] = figures["same"]["calls"] == recipe
    figures["burst_p99_ms"] = figures["burst_ms"]["confirm"]["p99"]
    figures["households"] = district.synth.households
    figures["bot_errors"] = run.errors
    done_progress()
    return figures


async def run_all(args: argparse.Namespace, backends: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}  # by backend
    with tempfile.TemporaryDirectory(prefix="linli-presses-") as tmp:
        async with emulator("off", TOKEN) as url:
            emu = Emulator(url, connections=max(args.owners // args.waves, 1) + 16,
                           patience=args.patience)
            try:
                for backend in backends:
                    run = Run(emu, args, Path(tmp) / backend)
                    run.tmp.mkdir()
                    if backend == "sqlite":
                        out["sqlite"] = await measure(
                            run, backend, f"sqlite+aiosqlite:///{run.tmp / 'district.sqlite'}")
                    else:
                        out["pg"] = await on_postgres(run)
            finally:
                await emu.close()
    # The baselines do not depend on the backend: each backend's run is measured against the
    # best each baseline did in this run (this machine's speed drifts while others use it).
    best = {b: max(out[k][b]["rate"] for k in backends)
            for b in ("echo", "same", "same_transport")}
    for k in backends:
        f = out[k]
        f["baseline_rates"] = best
        f["vs_echo"] = round(f["rate"] / max(1e-9, best["echo"]), 3)
        f["vs_same_calls"] = round(f["rate"] / max(1e-9, best["same"]), 3)
        # linli's own cost beside the calls' when both use the same transport (not a goal)
        f["vs_same_transport"] = round(f["rate"] / max(1e-9, best["same_transport"]), 3)
    return out


async def on_postgres(run: Run) -> dict[str, Any]:
    """The same on PostgreSQL, in a schema of its own, dropped afterwards."""
    import asyncpg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        return await measure(run, "pg", f"{PG_URL}?search_path={schema}")
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


def report(figures: dict[str, Any], backends: list[str]) -> None:
    header = ["run", "presses/s", "vs echo", "vs same", "vs same+", "CPU ms", "p50/p99 read ms",
              "sign ms", "confirm ms", "alone p50 ms", "RSS MiB", "lost"]
    rows = []

    def latencies(f: dict[str, Any]) -> list[str]:
        return [f"{f['burst_ms'][k]['p50']:,.0f} / {f['burst_ms'][k]['p99']:,.0f}"
                if k in f["burst_ms"] else "" for k in ("read", "sign", "confirm")]

    for backend in backends:
        f = figures[backend]
        rows.append([f"linli, {backend}", f["rate"], f["vs_echo"], f["vs_same_calls"],
                     f["vs_same_transport"], f["cpu_ms"], *latencies(f), f["single_p50_ms"],
                     f["rss_mib"], f["lost"]])
        e = f["echo"]
        for name, same in ((f"  same calls, no db ({backend} run)", f["same"]),
                           ("  same+: on linli's transport", f["same_transport"])):
            rows.append([name, same["rate"], "", "", "", same["cpu_ms"], *latencies(same),
                         same["single_p50_ms"], same["rss_mib"], same["lost"]])
        rows.append([f"  echo bot, updates ({backend} run)", e["rate"], "", "", "", e["cpu_ms"],
                     f"{e['burst_ms']['echo']['p50']:,.0f} / {e['burst_ms']['echo']['p99']:,.0f}",
                     "", "", "", e["rss_mib"], e["lost"]])
    first = figures[backends[0]]
    print(f"{first['households']:,} households; {figures['owners']:,} owners in "
          f"{figures['waves']} waves; concurrent updates {figures['concurrency']}; "
          "emulator limits off; 2 cores shared with whatever else runs")
    print(table(header, rows))
    best = first["baseline_rates"]
    print(f"vs echo / vs same: against the best of each baseline in this run (echo "
          f"{best['echo']:,}/s, same calls {best['same']:,}/s, same+ {best['same_transport']:,}/s)"
          "; latencies from press to answer. The baselines run on PTB's own HTTP transport "
          "(httpx), linli on aiohttp (bot/request.py); same+ is (b) on aiohttp too: linli's "
          "own cost beside the calls', not a goal")
    for backend in backends:
        f = figures[backend]
        print(f"{backend}: alone p50 by press {f['single_ms']}; signed {f['signed']:,} of "
              f"{f['owners']:,}; pledge announcement {f['pledge_broadcast_rate']:,}/s vs plain "
              f"notice {f['notice_broadcast_rate']:,}/s = {f['broadcast_ratio']}; linli's calls "
              f"{f['calls']} ({'mirrored' if f['calls_match'] else 'NOT mirrored'} by (b))")
    for backend in backends:
        f = figures[backend]
        verdicts = [verdict("presses/s vs same calls", f["vs_same_calls"], ">=", 0.7),
                    verdict("vs echo", f["vs_echo"], ">=", 0.4),
                    verdict("one press alone p50 ms", f["single_p50_ms"], "<=", 15.0),
                    verdict("peak RSS MiB", f["rss_mib"], "<", 150.0),
                    verdict("pledge/notice broadcast", f["broadcast_ratio"], ">=", 0.9),
                    verdict("lost", f["lost"] + f["single_lost"], "<=", 0)]
        print(f"goals, {backend}: " + "; ".join(verdicts)
              + f"; burst p99 (confirm) {f['burst_p99_ms']:,.0f} ms; errors in the bots' logs "
                f"{f['bot_errors']}")


def verdict(label: str, value: float, op: str, goal: float) -> str:
    met = {">=": value >= goal, "<=": value <= goal, "<": value < goal}[op]
    return f"{label} {value} (goal {op} {goal}: {'met' if met else 'NOT met'})"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench presses", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=156_000)
    parser.add_argument("--owners", type=int, default=2_000, help="owners signing in waves")
    parser.add_argument("--waves", type=int, default=10, help="waves the owners press in")
    parser.add_argument("--single", type=int, default=30,
                        help="other owners signing one press at a time")
    parser.add_argument("--backend", choices=["sqlite", "pg", "both"], default="both")
    parser.add_argument("--concurrency", type=int, default=default_concurrency(),
                        help="LINLI_CONCURRENT_UPDATES, and the baselines' concurrent_updates")
    parser.add_argument("--patience", type=float, default=120.0,
                        help="seconds without progress before the rest counts as lost")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="sample linli and the same-calls bot with py-spy during the press "
                             "waves, into DIR (summary: python -m bench._profile FILE)")
    args = parser.parse_args(argv)
    backends = ["sqlite", "pg"] if args.backend == "both" else [args.backend]
    figures: dict[str, Any] = asyncio.run(run_all(args, backends))
    figures |= {"owners": args.owners, "waves": args.waves, "single": args.single,
                "concurrency": args.concurrency, "goals": GOALS}
    report(figures, backends)
    first = figures[backends[0]]
    for key in ("vs_same_calls", "vs_echo", "single_p50_ms", "burst_p99_ms", "rss_mib",
                "vs_same_transport"):
        figures[key] = first[key]
    return figures
