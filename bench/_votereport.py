"""`python -m bench votes`: the readable table and the goals' verdicts of a run's figures (the
measuring is in bench/votes.py)."""

from __future__ import annotations

import argparse
from typing import Any

from bench import _voteseed as seed
from bench.common import table
from bench.presses import verdict

GOAL = 1.5
PRESS_GOALS = {"vs_same_calls": 0.7, "vs_echo": 0.4, "lost": 0}  # on SQLite; PostgreSQL told

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
    election = first["election"]
    print(f"\n(a') the election's tally, by secret ballot: {election['roll_owners']:,} owners on "
          f"the roll, {election['ballots']:,} secret ballots ({args.voted:.0%}), "
          f"{election['choices']:,} choices (2 of {len(seed.CANDIDATES)} candidates); median "
          f"of {args.runs}")
    rows = [[b, figures[b]["election"]["ballots"], figures[b]["election"]["tally_ms"],
             figures[b]["election"]["bare_ms"], figures[b]["election"]["tally_ratio"],
             "yes" if figures[b]["election"]["same_figures"]
             and figures[b]["election"]["as_seeded"] else "NO"] for b in backends]
    print(table(["db", "secret ballots", "tally_of ms", "bare GROUP BY ms", "ratio",
                 "same figures"], rows))
    print(table(["candidate", "name", "owners", "area m²", "elected"],
                [[c["candidate"], c["name"], c["owners"], c["area_m2"], yes_no(c["elected"])]
                 for c in election["candidates"]]
                + [["", "(abstaining)", election["abstain"], "", ""]]))
    verdict = "met" if figures["election_ratio"] <= GOAL else "NOT met"
    print(f"election_ratio (worst) = {figures['election_ratio']:.3f}; goal ≤ {GOAL}: {verdict}; "
          f"the same figures on every backend, as seeded: "
          f"{'yes' if figures['election_same_figures'] else 'NO'}")


def report_presses(figures: dict[str, Any], args: argparse.Namespace,
                   backends: list[str], key: str = "presses") -> None:
    """Part (b)'s table and goals, or (b')'s (`key` "secret_presses")."""
    secret_ballot = key == "secret_presses"
    header = ["run", "presses/s", "vs echo", "vs same", "CPU ms", "open ms", "choose ms",
              "review ms", "confirm ms", "alone p50 ms", "RSS MiB", "lost"]

    def latencies(f: dict[str, Any]) -> list[str]:
        got = f["burst_ms"]
        choose = [got[k] for k in ("choose1", "choose2") if k in got]
        cells = [got.get("open"), max(choose, key=lambda c: c["p99"]) if choose else None,
                 got.get("review"), got.get("confirm")]
        return [f"{c['p50']:,.0f} / {c['p99']:,.0f}" if c else "" for c in cells]

    rows = []
    for backend in backends:
        f = figures[backend][key]
        rows.append([f"linli, {backend}", f["rate"], f["vs_echo"], f["vs_same_calls"],
                     f["cpu_ms"], *latencies(f), f["single_p50_ms"], f["rss_mib"],
                     f["lost"] + f["single_lost"]])
        same, e = f["same"], f["echo"]
        rows.append([f"  same calls, no db ({backend} run)", same["rate"], "", "",
                     same["cpu_ms"], *latencies(same), same["single_p50_ms"], same["rss_mib"],
                     same["lost"] + same["single_lost"]])
        rows.append([f"  echo bot, updates ({backend} run{', of (b)' if secret_ballot else ''})",
                     e["rate"], "", "", e["cpu_ms"],
                     f"{e['burst_ms']['echo']['p50']:,.0f} / {e['burst_ms']['echo']['p99']:,.0f}",
                     "", "", "", "", e["rss_mib"], e["lost"]])
    if secret_ballot:
        print(f"\n(b') secret ballots by button presses: {args.owners:,} owners in {args.waves} "
              f"waves, then {args.single} one press at a time; open → tick a candidate → a "
              f"second → review → confirm (the copy with the receipt code); concurrent updates "
              f"{args.concurrency}; emulator limits off")
    else:
        print(f"\n(b) ballots by button presses: {args.owners:,} owners in {args.waves} waves, "
              f"then {args.single} one press at a time; open → choose on matter 1 → on matter 2 "
              f"→ review → confirm; concurrent updates {args.concurrency}; emulator limits off")
    print(table(header, rows))
    best = figures[backends[0]][key]["baseline_rates"]
    print(f"latencies p50 / p99 from press to answer (choose: the slower press); vs echo / vs "
          f"same: against the best of each baseline in this run (echo {best['echo']:,}/s, "
          f"same calls {best['same']:,}/s)")
    for backend in backends:
        f = figures[backend][key]
        print(f"{backend}: {'secret ' if secret_ballot else ''}ballots cast {f['cast']:,} of "
              f"{f['owners']:,}; the opening notice "
              f"to {f['notified']:,} owners at {f['notice_rate']:,}/s; alone p50 by press "
              f"{f['single_ms']}; linli's calls {f['calls']} "
              f"({'mirrored' if f['calls_match'] else 'NOT mirrored'} by the same-calls bot)")
    for backend in backends:
        f = figures[backend][key]
        verdicts = [verdict("presses/s vs same calls", f["vs_same_calls"], ">=",
                            PRESS_GOALS["vs_same_calls"]),
                    verdict("vs echo", f["vs_echo"], ">=", PRESS_GOALS["vs_echo"]),
                    verdict("lost", f["lost"] + f["single_lost"], "<=", 0),
                    verdict("confirmed ballots missing", f["owners"] - f["cast"], "<=", 0)]
        print(f"goals{', secret' if secret_ballot else ''}, {backend}: " + "; ".join(verdicts)
              + f"; burst p99 (confirm) {f['burst_p99_ms']:,.0f} ms; errors in the bots' logs "
                f"{f['bot_errors']}")
