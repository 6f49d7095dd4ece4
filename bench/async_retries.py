"""Asynchronous retries: lambda_lab against the same model written in SimPy, in one process.

The workload: events arrive as a Poisson stream (50/s) at one function with
reserved concurrency 20 and exponential durations (mean 0.2 s).  The handler
raises for 30% of its calls, decided by a seeded ``random.Random`` of its own,
so both models see the same failure sequence.  Lambda's defaults apply: two
retries (60 s after the first failed attempt ends, 120 s after the second),
throttles retried with a backoff of 1 s doubling to 300 s, events older than
21,600 s dropped.  Both models keep a full trace.

The figure of merit is handler calls (attempts) simulated per wall-clock
second, lambda_lab divided by SimPy (``simpy_model.py``); the target is 2x.
Each model runs ``--runs`` times, interleaved, and the best and median are
reported.  Peak memory is tracemalloc's peak of Python allocations, taken in
one more run of each model that is not timed, because tracing slows the run.
The two models draw different random numbers, so their outcome counts agree
statistically, not exactly; the report checks that they do.

    python bench/async_retries.py                  # the full workload
    python bench/async_retries.py --events 2000    # a quick smoke run
    python bench/async_retries.py --simpy-same-gc  # SimPy with lambda_lab's GC setting

While time moves, ``lab.run()`` raises the threshold of full (generation 2)
garbage collections to 1,000 (the simulator makes no reference cycles);
SimPy runs with Python's default.  ``--simpy-same-gc`` gives SimPy the same
setting, to show how much of the ratio is that choice rather than the engine.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import simpy
from simpy_model import LambdaModel

import lambda_lab as ll

ARRIVAL_RATE = 50.0
RESERVED_CONCURRENCY = 20
MEAN_DURATION = 0.2
FAILURE_RATE = 0.3
TARGET_RATIO = 2.0
#: Counts agree when within this share of each other, or within 4 standard
#: deviations of Poisson noise for small counts, whichever is looser.
RELATIVE_TOLERANCE = 0.03


class FlakyHandler:
    """A trivial handler that raises for ``failure_rate`` of its calls, and counts them."""

    def __init__(self, failure_rate: float, seed: int) -> None:
        self.failure_rate = failure_rate
        self.rng = random.Random(seed)
        self.calls = 0

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.calls += 1
        if self.rng.random() < self.failure_rate:
            raise ValueError(f"flaky failure for event {event['n']}")
        return {"n": event["n"], "request": context.aws_request_id}


@dataclass
class Run:
    """One simulation: its wall time, handler calls and outcome counts."""

    model: str
    wall: float
    attempts: int
    trace_length: int
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def attempts_per_second(self) -> float:
        return self.attempts / self.wall


def simulate_lambda_lab(events: int, seed: int, handler_seed: int) -> tuple[float, Any, Any]:
    """Run the workload on lambda_lab; returns (wall seconds, handler, lab)."""
    handler = FlakyHandler(FAILURE_RATE, handler_seed)
    lab = ll.Lab(seed=seed)
    fn = lab.create_function(
        "f",
        handler,
        reserved_concurrency=RESERVED_CONCURRENCY,
        duration=ll.Exponential(MEAN_DURATION),
    )
    engine = lab.world.engine
    submit = lab.world.submit_event
    gap = engine.rng.expovariate

    def arrive(n: int) -> None:
        submit(fn, {"n": n})
        if n + 1 < events:
            engine.schedule(gap(ARRIVAL_RATE), arrive, n + 1)

    engine.schedule(gap(ARRIVAL_RATE), arrive, 0)
    start = perf_counter()
    lab.run()
    return perf_counter() - start, handler, lab


def simulate_simpy(events: int, seed: int, handler_seed: int) -> tuple[float, Any, Any]:
    """Run the workload on the SimPy model; returns (wall seconds, handler, model)."""
    handler = FlakyHandler(FAILURE_RATE, handler_seed)
    env = simpy.Environment()
    model = LambdaModel(
        env,
        handler,
        seed=seed,
        reserved_concurrency=RESERVED_CONCURRENCY,
        mean_duration=MEAN_DURATION,
    )

    def arrivals():
        gap = model.rng.expovariate
        for n in range(events):
            yield env.timeout(gap(ARRIVAL_RATE))
            model.submit({"n": n})

    env.process(arrivals())
    start = perf_counter()
    env.run()
    return perf_counter() - start, handler, model


def outcomes(records: list[dict[str, Any]]) -> dict[str, int]:
    """The counts both models must agree on, from a trace."""
    kinds = Counter(r["kind"] for r in records)
    drops = Counter(r["reason"] for r in records if r["kind"] == "dropped")
    return {
        "events accepted": kinds["accepted"],
        "attempts started": kinds["attempt_started"],
        "attempts failed": kinds["attempt_ended"]
        - sum(1 for r in records if r["kind"] == "attempt_ended" and r["status"] == "ok"),
        "succeeded": kinds["succeeded"],
        "dropped": kinds["dropped"],
        "dropped RetriesExhausted": drops["RetriesExhausted"],
        "dropped EventAgeExceeded": drops["EventAgeExceeded"],
        "throttles": kinds["throttle"],
        "retries scheduled": kinds["retry_scheduled"],
        "cold starts": sum(1 for r in records if r["kind"] == "attempt_started" and r["cold"]),
    }


MODELS = {"lambda_lab": simulate_lambda_lab, "SimPy": simulate_simpy}


def timed_run(model: str, events: int, seed: int, handler_seed: int, same_gc: bool = False) -> Run:
    gc.collect()
    threshold = gc.get_threshold()
    if same_gc and model == "SimPy":
        gc.set_threshold(*threshold[:2], max(threshold[2], 1000))  # as lab.run() does
    try:
        wall, handler, world = MODELS[model](events, seed, handler_seed)
    finally:
        gc.set_threshold(*threshold)
    records = world.trace.records if model == "lambda_lab" else world.trace
    return Run(model, wall, handler.calls, len(records), outcomes(records))


def peak_memory(model: str, events: int, seed: int, handler_seed: int) -> int:
    """tracemalloc's peak (bytes) over one untimed run, trace included."""
    gc.collect()
    tracemalloc.start()
    try:
        MODELS[model](events, seed, handler_seed)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def agree(a: int, b: int) -> bool:
    """Whether two counts from differently seeded runs of one model agree."""
    return abs(a - b) <= max(RELATIVE_TOLERANCE * max(a, b), 4 * math.sqrt(max(a, b)))


def best(runs: list[Run]) -> float:
    return max(r.attempts_per_second for r in runs)


def median(runs: list[Run]) -> float:
    return statistics.median(r.attempts_per_second for r in runs)


def report(args: argparse.Namespace, runs: dict[str, list[Run]], peaks: dict[str, int]) -> dict:
    """Print the comparison; returns its figures."""
    first = {name: model_runs[0] for name, model_runs in runs.items()}
    lab_out, simpy_out = first["lambda_lab"].outcomes, first["SimPy"].outcomes
    # Every event ends in exactly one terminal record, and every handler call is an attempt.
    consistent = all(
        r.outcomes["succeeded"] + r.outcomes["dropped"] == args.events
        and r.attempts == r.outcomes["attempts started"]
        for model_runs in runs.values()
        for r in model_runs
    )
    checked = ("attempts started", "attempts failed", "succeeded", "dropped", "throttles")
    agreement = {key: agree(lab_out[key], simpy_out[key]) for key in checked}
    ratio_best = best(runs["lambda_lab"]) / best(runs["SimPy"])
    ratio_median = median(runs["lambda_lab"]) / median(runs["SimPy"])

    print(
        f"Asynchronous retries: {args.events:,} events, Poisson {ARRIVAL_RATE:g}/s, reserved "
        f"concurrency {RESERVED_CONCURRENCY}, Exponential(mean={MEAN_DURATION:g} s),\n"
        f"handler fails {FAILURE_RATE:.0%} of calls, 2 retries (60 s, 120 s), throttle backoff "
        "1 s doubling to 300 s, max event age 21600 s.\n"
        f"{args.runs} timed run(s) per model, interleaved; SimPy {simpy.__version__}; "
        f"seeds: lambda_lab {args.seed}, SimPy {args.simpy_seed}, handler {args.handler_seed}.\n"
        "GC: lambda_lab raises the generation-2 threshold while it runs; SimPy runs with "
        + ("the same setting (--simpy-same-gc)." if args.simpy_same_gc else "Python's default.")
    )
    print()
    row = "{:<28}{:>16}{:>16}"
    print(row.format("", "lambda_lab", "SimPy"))
    walls = [sorted(r.wall for r in model_runs) for model_runs in runs.values()]
    print(row.format("wall time best (s)", *(f"{w[0]:.3f}" for w in walls)))
    print(row.format("wall time median (s)", *(f"{statistics.median(w):.3f}" for w in walls)))
    print(row.format("attempts/s best", *(f"{best(rs):,.0f}" for rs in runs.values())))
    print(row.format("attempts/s median", *(f"{median(rs):,.0f}" for rs in runs.values())))
    print(row.format("attempts (handler calls)", *(f"{r.attempts:,}" for r in first.values())))
    print(row.format("trace records", *(f"{r.trace_length:,}" for r in first.values())))
    if peaks:
        print(row.format("peak memory (MiB)", *(f"{peaks[name] / 2**20:,.1f}" for name in runs)))
        print("  (tracemalloc peak of Python allocations, in a separate untimed run)")
    print()
    row = "{:<28}{:>12}{:>12}{:>9}  {}"
    print(row.format("outcomes (first run)", "lambda_lab", "SimPy", "diff", ""))
    for key, value in lab_out.items():
        other = simpy_out[key]
        diff = f"{(value - other) / other:+.1%}" if other else "-"
        verdict = ("agree" if agreement[key] else "DISAGREE") if key in agreement else ""
        print(row.format(key, f"{value:,}", f"{other:,}", diff, verdict))
    print(
        "each event ends exactly once, attempts == handler calls: "
        + ("yes" if consistent else "NO (a model lost or duplicated an event)")
    )
    print()
    met = "met" if ratio_best >= TARGET_RATIO else "NOT met"
    print(
        f"lambda_lab / SimPy attempts per second: best {ratio_best:.2f}x, "
        f"median {ratio_median:.2f}x (target >= {TARGET_RATIO:.1f}x: {met})"
    )
    return {
        "outcomes": {"lambda_lab": lab_out, "SimPy": simpy_out},
        "agreement": agreement,
        "consistent": consistent,
        "ratio_best": ratio_best,
        "ratio_median": ratio_median,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="events to submit")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each model")
    parser.add_argument("--seed", type=int, default=1, help="seed of the lab")
    parser.add_argument("--simpy-seed", type=int, default=101, help="seed of the SimPy model")
    parser.add_argument("--handler-seed", type=int, default=2, help="seed of the handlers' RNG")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument(
        "--simpy-same-gc",
        action="store_true",
        help="run SimPy with the GC threshold lambda_lab sets while it runs",
    )
    args = parser.parse_args(argv)
    # Different seeds on purpose: with equal ones the two random streams happen to line
    # up, and agreement would prove less than it seems to.
    seeds = {"lambda_lab": args.seed, "SimPy": args.simpy_seed}

    runs: dict[str, list[Run]] = {name: [] for name in MODELS}
    for i in range(args.runs):
        # Alternate the order so neither model always runs on a warmer or more fragmented heap.
        for name in MODELS if i % 2 == 0 else reversed(MODELS):
            runs[name].append(
                timed_run(name, args.events, seeds[name], args.handler_seed, args.simpy_same_gc)
            )
    peaks = {}
    if not args.no_memory:
        for name in MODELS:
            peaks[name] = peak_memory(name, args.events, seeds[name], args.handler_seed)
    return {"runs": runs, "peaks": peaks, **report(args, runs, peaks)}


if __name__ == "__main__":
    main()
