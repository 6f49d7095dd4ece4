"""Profile one benchmark workload of lambda_lab under pyinstrument.

Runs each named workload once (its lambda_lab side only, set-up included) under
pyinstrument's sampling profiler and writes ``<workload>.txt`` and
``<workload>.html`` into ``--out`` (default ``bench/profiles/``, ignored by git).
The workloads are those of ``async_invoke.py`` and ``coldstart.py``:

    python bench/profile.py async-traffic                 # 100,000 events
    python bench/profile.py loop sync-traffic --events 20000
    python bench/profile.py coldstart --seconds 20000
    python bench/profile.py all

Run it as a script, as above: its name shadows the standard library's
``profile`` module for whatever it imports from this folder, which none of
the benchmarks does.  pyinstrument comes with the ``bench`` extra
(``pip install -e ".[bench]"``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import async_invoke
import coldstart

PROFILES = Path(__file__).resolve().parent / "profiles"
WORKLOADS = ("async-traffic", "loop", "sync-traffic", "coldstart")


def workload(name: str, events: int, seconds: float) -> Callable[[], object]:
    """The lambda_lab run of workload ``name``, as a callable of no arguments."""
    if name == "async-traffic":
        return lambda: async_invoke.traffic(events)
    if name == "loop":
        return lambda: async_invoke.loop(events)
    if name == "sync-traffic":
        return lambda: async_invoke.sync_traffic(events)
    return lambda: coldstart.lambda_lab_run(seconds, 1)


def profile(name: str, events: int, seconds: float, out: Path) -> list[Path]:
    """Profile workload ``name`` once; returns the text and HTML reports written."""
    try:
        from pyinstrument import Profiler
    except ImportError:  # an optional dependency: say how to get it
        sys.exit('error: pyinstrument is missing; install it with: pip install -e ".[bench]"')
    run = workload(name, events, seconds)
    profiler = Profiler()
    profiler.start()
    try:
        run()
    finally:
        profiler.stop()
    out.mkdir(parents=True, exist_ok=True)
    text, html = out / f"{name}.txt", out / f"{name}.html"
    text.write_text(profiler.output_text(unicode=True, color=False), encoding="utf-8")
    html.write_text(profiler.output_html(), encoding="utf-8")
    return [text, html]


def main(argv: list[str] | None = None) -> list[Path]:
    """Profile the workloads named on the command line; returns the reports written."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workloads", nargs="+", choices=(*WORKLOADS, "all"))
    parser.add_argument(
        "--events", type=int, default=async_invoke.EVENTS, help="arrivals (async workloads)"
    )
    parser.add_argument(
        "--seconds", type=float, default=coldstart.SECONDS, help="virtual seconds (coldstart)"
    )
    parser.add_argument("--out", type=Path, default=PROFILES, help="folder of the reports")
    args = parser.parse_args(argv)
    names = WORKLOADS if "all" in args.workloads else dict.fromkeys(args.workloads)
    written = []
    for name in names:
        paths = profile(name, args.events, args.seconds, args.out)
        print(f"{name}: " + ", ".join(str(p) for p in paths))
        written += paths
    return written


if __name__ == "__main__":
    main()
