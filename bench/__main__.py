"""`python -m bench [NAME] [OPTIONS]`: run one benchmark (or, with no name, every one with its
defaults). Each prints a readable table while it runs; the last line printed is one JSON object
of its figures — with several benchmarks, one object keyed by name. `--help` lists them.
"""

from __future__ import annotations

import json
import os
import sys

from bench.common import discover


def usage(benchmarks: dict) -> str:  # type: ignore[type-arg]
    lines = [__doc__.strip(), "", "benchmarks:"]
    for name, module in benchmarks.items():
        summary = (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""
        lines.append(f"  {name:<12} {summary}")
    lines.append("\n`python -m bench NAME --help` shows a benchmark's options.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    benchmarks = discover()
    if argv and argv[0] in ("-h", "--help"):
        print(usage(benchmarks))
        return 0
    if argv and not argv[0].startswith("-"):
        name = argv.pop(0)
        if name not in benchmarks:
            print(f"unknown benchmark {name!r}\n\n{usage(benchmarks)}", file=sys.stderr)
            return 2
        figures = benchmarks[name].main(argv)
        print(json.dumps(figures, ensure_ascii=False, sort_keys=True))
        return 0
    everything = {}
    for name, module in benchmarks.items():
        print(f"== {name} ==")
        everything[name] = module.main(list(argv))
    print(json.dumps(everything, ensure_ascii=False, sort_keys=True))
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # a benchmark may leave non-daemon threads (a driver's, an emulator's); do not wait on them
    os._exit(code)
