"""Part (b) of `bench votes`: owners casting their ballots by button presses through the real
application, against the two baselines of `bench presses`, on the same emulator process.

The vote of part (a) is open with 70% of its owners voted; the first owners on its roll
without a ballot cast theirs. Their opening notices ("🗳 Vote"), held in the outbox, are
released once linli runs (`python -m bot.cli run`, in a process of its own, limits off); the
other 150,000 owners' announcement and opening notice are dropped, so the run does not spend
its minutes sending them. Then, in waves of owners pressing at once (`bench/_pressdriver.py`),
each owner presses "🗳 Vote" (the ballot, as a new message), a choice on matter 1 and on
matter 2 (the ballot edited in place, the choices carried in the buttons), "Review" and
"Confirm" (the button marked, the copy of the ballot sent); then more owners one press at a
time. Every confirmed ballot must be in the database.

Baselines, each PTB's Application with linli's `concurrent_updates` (`bench/_pressbots.py`):
(a) the echo bot, the same people typing as many messages as they press; (b) a bot without a
database answering each press with the Bot API calls linli made for it in this run
(`same-votes`: the same texts' sizes and buttons).

Part (b'), `measure_secret`: the same on the secret election of part (a'): the first owners on
its roll not marked as voted press "🗳 Vote", tick a candidate, tick a second, "Review" and
"Confirm" (the copy with the receipt code); the same-calls bot in its election mode answers
the same presses with the calls linli made for them; the echo bot's figures are (b)'s (the
same people, as many messages: it does not depend on the vote). Every confirmed ballot must be
marked on the roll.
"""

from __future__ import annotations

import argparse
import json
import random
from typing import Any

from bench import _voteseed as seed
from bench._pressdriver import Emulator, Flow, echo_waves, one_at_a_time, press_waves
from bench.common import cpu_seconds, peak_rss_mib, progress
from bench.presses import TOKEN, Run, rate, summary
from bot.db import Database
from handlers.votes.ballot_state import DIGITS
from handlers.votes.buttons import Ballot, Cast, OpenVote, Review

KINDS = ("open", "choose1", "choose2", "review", "confirm")
WEIGHTS = (0.7, 0.2, 0.1)  # how the pressing owners choose: agree, disagree, abstain
PAIRS = ((1, 2), (1, 3), (2, 3))  # the two candidates a pressing owner ticks, in turn


def flow_for(vote_id: int, owners: list[tuple[int, int]], seed_: int) -> Flow:
    """Each owner's five presses, with their own roll owner and choices in the buttons."""
    rng = random.Random(f"{seed_}:presses")
    personal = {}
    for telegram_id, owner_id in owners:
        state = "".join(rng.choices("ads", WEIGHTS, k=2))
        personal[telegram_id] = (OpenVote(vote_id).encode(),
                                 Ballot(vote_id, owner_id, state[0] + "-").encode(),
                                 Ballot(vote_id, owner_id, state).encode(),
                                 Review(vote_id, owner_id, state).encode(),
                                 Cast(vote_id, owner_id, state).encode())
    return Flow(tuple((kind, "") for kind in KINDS), personal)


def election_flow_for(vote_id: int, owners: list[tuple[int, int]], seed_: int) -> Flow:
    """Each owner's five presses on the secret election (one matter, three candidates: its
    state one base-32 character, a bit per candidate): the ballot, a first candidate ticked, a
    second, review, confirm."""
    rng = random.Random(f"{seed_}:secret presses")
    personal = {}
    for telegram_id, owner_id in owners:
        first, second = rng.choice(PAIRS)
        one, two = DIGITS[1 << (first - 1)], DIGITS[(1 << (first - 1)) | (1 << (second - 1))]
        personal[telegram_id] = (OpenVote(vote_id).encode(),
                                 Ballot(vote_id, owner_id, one).encode(),
                                 Ballot(vote_id, owner_id, two).encode(),
                                 Review(vote_id, owner_id, two).encode(),
                                 Cast(vote_id, owner_id, two).encode())
    return Flow(tuple((kind, "") for kind in KINDS), personal)


async def linli(run: Run, db: Database, db_url: str, vote_id: int,
                owners: list[tuple[int, int]], alone: list[tuple[int, int]],
                flow: Flow, *, secret_ballot: bool = False
                ) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """linli as `linli run` builds it: the opening notices, the waves, one press at a time."""
    emu, args = run.emu, run.args
    everyone = [t for t, _o in owners + alone]
    held = await seed.hold_opening_notices(db, vote_id, everyone)
    await emu.reset(everyone)
    env = {"LINLI_DATABASE_URL": db_url, "LINLI_API_BASE_URL": f"{emu.url}/bot",
           "LINLI_API_FILE_URL": f"{emu.url}/file/bot", "LINLI_BOT_TOKEN": TOKEN,
           "LINLI_OUTBOX_RATE": "1000000", "LINLI_CONCURRENT_UPDATES": str(args.concurrency)}
    label = "linli-secret" if secret_ballot else "linli"
    async with run.bot(label, ["-m", "bot.cli", "run"], env) as pid:
        await emu.catch_up()
        await seed.release_notices(db, vote_id)
        progress(f"linli: the opening notice to {held:,} owners")
        noticed = await emu.wait_calls("sendMessage", held)
        cpu = cpu_seconds(pid)
        burst = await press_waves(emu, [t for t, _o in owners], flow, run.wave_size(),
                                  progress, label)
        cpu = cpu_seconds(pid) - cpu
        single, recipe = await one_at_a_time(emu, [t for t, _o in alone], flow, progress,
                                             label)
        rss = peak_rss_mib(pid)
    cast = await seed.cast_by(db, vote_id, [o for _t, o in owners + alone],
                              secret_ballot=secret_ballot)
    return summary(burst, cpu, single) | {
        "rss_mib": round(rss, 1), "notified": held, "noticed": len(noticed),
        "notice_rate": round(rate(noticed), 1), "cast": cast,
        "owners": len(owners) + len(alone), "calls": recipe}, recipe


async def echo(run: Run, users: list[int]) -> dict[str, Any]:
    """PTB's echo bot: the same people typing, as many messages each as presses."""
    await run.emu.reset(users)
    async with run.bot("echo", run.baseline("echo"), {}) as pid:
        cpu = cpu_seconds(pid)
        burst = await echo_waves(run.emu, users, len(KINDS), run.wave_size(), progress)
        cpu = cpu_seconds(pid) - cpu
        rss = peak_rss_mib(pid)
    return summary(burst, cpu) | {"rss_mib": round(rss, 1)}


async def same_calls(run: Run, vote_id: int, owners: list[tuple[int, int]],
                     alone: list[tuple[int, int]], flow: Flow,
                     recipe: dict[str, list[str]], *, secret_ballot: bool = False
                     ) -> dict[str, Any]:
    """The bot without a database making linli's calls for each press (`secret_ballot`: on
    the secret election's ballot)."""
    everyone = owners + alone
    await run.emu.reset([t for t, _o in everyone])
    chats, flow_file = run.tmp / "vote-chats.txt", run.tmp / "vote-flow.json"
    chats.write_text("\n".join(str(t) for t, _o in everyone))
    flow_file.write_text(json.dumps({
        "prefixes": {"open": OpenVote.prefix, "ballot": Ballot.prefix, "review": Review.prefix,
                     "cast": Cast.prefix},
        "data": {"open": OpenVote(vote_id).encode()},
        "owners": {str(t): o for t, o in everyone}, "recipe": recipe}
        | ({"election": {"candidates": list(seed.CANDIDATES)}} if secret_ballot else {})))
    command = run.baseline("same-votes", "--flow", str(flow_file), "--chats", str(chats))
    label = "same-secret" if secret_ballot else "same"
    async with run.bot(label, command, {}) as pid:  # (its opening notices sent first)
        cpu = cpu_seconds(pid)
        burst = await press_waves(run.emu, [t for t, _o in owners], flow, run.wave_size(),
                                  progress, label)
        cpu = cpu_seconds(pid) - cpu
        single, same_recipe = await one_at_a_time(run.emu, [t for t, _o in alone], flow,
                                                  progress, label)
        rss = peak_rss_mib(pid)
    return summary(burst, cpu, single) | {"rss_mib": round(rss, 1), "calls": same_recipe}


async def measure(run: Run, db: Database, db_url: str, vote_id: int,
                  args: argparse.Namespace) -> dict[str, Any]:
    """Part (b) on one backend: linli, then the two baselines."""
    wanted = args.owners + args.single
    pressing = await seed.press_owners(db, vote_id, wanted)
    if len(pressing) < wanted:
        raise SystemExit(f"the roll has {len(pressing):,} owners without a ballot; {wanted:,} "
                         "are wanted (--owners + --single)")
    owners, alone = pressing[:args.owners], pressing[args.owners:]
    flow = flow_for(vote_id, pressing, args.seed)
    figures, recipe = await linli(run, db, db_url, vote_id, owners, alone, flow)
    figures["echo"] = await echo(run, [t for t, _o in owners])
    figures["same"] = await same_calls(run, vote_id, owners, alone, flow, recipe)
    figures["calls_match"] = figures["same"]["calls"] == recipe
    figures["burst_p99_ms"] = figures["burst_ms"]["confirm"]["p99"]
    figures["bot_errors"] = dict(run.errors)
    return figures


async def measure_secret(run: Run, db: Database, db_url: str, vote_id: int,
                         args: argparse.Namespace, echoed: dict[str, Any]) -> dict[str, Any]:
    """Part (b') on one backend: linli casting secret ballots, then the same-calls bot; the
    echo bot's figures `echoed` are (b)'s."""
    wanted = args.owners + args.single
    pressing = await seed.press_owners(db, vote_id, wanted, secret_ballot=True)
    if len(pressing) < wanted:
        raise SystemExit(f"the election's roll has {len(pressing):,} owners without a ballot; "
                         f"{wanted:,} are wanted (--owners + --single)")
    owners, alone = pressing[:args.owners], pressing[args.owners:]
    flow = election_flow_for(vote_id, pressing, args.seed)
    figures, recipe = await linli(run, db, db_url, vote_id, owners, alone, flow,
                                  secret_ballot=True)
    figures["echo"] = echoed
    figures["same"] = await same_calls(run, vote_id, owners, alone, flow, recipe,
                                       secret_ballot=True)
    figures["calls_match"] = figures["same"]["calls"] == recipe
    figures["burst_p99_ms"] = figures["burst_ms"]["confirm"]["p99"]
    figures["bot_errors"] = {k: n for k, n in run.errors.items()
                             if k in ("linli-secret", "same-secret")}
    return figures


def compare(out: dict[str, Any], backends: list[str], key: str = "presses") -> None:
    """Each backend against the best each baseline did in the whole run (they do not depend
    on the backend; the machine's speed drifts). `key`: (b)'s figures, or (b')'s."""
    best = {b: max(out[k][key][b]["rate"] for k in backends) for b in ("echo", "same")}
    for k in backends:
        f = out[k][key]
        f["baseline_rates"] = best
        f["vs_echo"] = round(f["rate"] / max(1e-9, best["echo"]), 3)
        f["vs_same_calls"] = round(f["rate"] / max(1e-9, best["same"]), 3)


def make_emulator(url: str, args: argparse.Namespace) -> Emulator:
    return Emulator(url, connections=max(args.owners // args.waves, 1) + 16,
                    patience=args.patience)
