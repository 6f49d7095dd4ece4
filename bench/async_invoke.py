"""Invocation speed: lambda_lab, through its public API, against plain SimPy models.

The workload (as in ``../shared/bench/async_public_api.py``): requests arrive as
a Poisson stream (50/s) at one function with reserved concurrency 20, no Init
phase and exponential durations (mean 0.2 s); the handler raises for 30% of
its calls, decided by a seeded ``random.Random`` of its own.  Asynchronous
events that fail are retried twice (60 s, then 120 s later).  Rows:

* ``SimPy (lean)``: ``../shared/bench/simpy_lean.py``, a minimal SimPy model of
  that workload without a trace.  THE reference: every ratio is lambda_lab
  divided by this row.
* ``SimPy with trace``: ``simpy_model.py``, the same Lambda semantics as
  lambda_lab (throttle backoff, environments, a full trace) written in SimPy.
* ``lambda_lab traffic`` (a): ``lab.add_traffic(..., invocation_type="Event",
  count=N)`` then ``lab.run()``.  Goal: 2x SimPy (lean).
* ``lambda_lab loop`` (b): the user's own loop, ``lab.run(until=t)`` then
  ``lab.invoke(..., invocation_type="Event")`` per arrival.  Goal: 1x.
* ``lambda_lab sync traffic`` (c): ``add_traffic`` with ``RequestResponse``.
  No goal; reported.  A synchronous error is not retried, so this row does
  about 1/1.39 of the async rows' handler calls for the same events.

The figure of merit is handler calls (attempts) per wall second of the timed
part: ``env.run()`` / ``lab.run()``, or the whole loop for (b).  Each row runs
``--runs`` times interleaved (best and median reported), then once more,
untimed, for tracemalloc's peak.  The models draw different random numbers,
so their attempt counts must agree statistically (within 5%); the exit status
is 1 only when they do not; a goal not reached is reported, not failed.

    python bench/async_invoke.py                          # 100,000 events, 5 runs
    python bench/async_invoke.py --events 2000 --runs 1   # a quick smoke run
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections.abc import Callable
from functools import partial
from time import perf_counter
from typing import Any

import simpy
from harness import Sample, counts_agree, load_simpy_lean, measure, print_table
from simpy_model import LambdaModel

import lambda_lab as ll

EVENTS = 100_000
RATE, CONCURRENCY, MEAN, P_FAIL = 50.0, 20, 0.2, 0.3
#: Attempts of lambda_lab and SimPy must agree within this share (issue 7).
RELATIVE_TOLERANCE = 0.05
LEAN, TRACED = "SimPy (lean)", "SimPy with trace"
#: lambda_lab rows: (row, summary label, goal or None).
LAB_ROWS = {
    "lambda_lab traffic": ("async traffic", 2.0),
    "lambda_lab loop": ("user's loop", 1.0),
    "lambda_lab sync traffic": ("sync traffic", None),
}


def flaky_lab(seed: int, duration: Any) -> tuple[ll.Lab, list[int]]:
    """A lab with the benchmark's function; returns it and its handler-call counter."""
    fail = random.Random(seed + 1)
    lab = ll.Lab(seed=seed)
    attempts = [0]

    def handler(event: Any, context: Any) -> None:
        attempts[0] += 1
        if fail.random() < P_FAIL:
            raise RuntimeError("boom")

    lab.create_function(
        "f", handler, duration=duration, init_duration=0, reserved_concurrency=CONCURRENCY
    )
    return lab, attempts


def traffic(n: int, seed: int = 1, invocation_type: str = "Event") -> Sample:
    """(a) and (c): ``n`` Poisson arrivals from ``add_traffic``; times ``lab.run()``."""
    lab, attempts = flaky_lab(seed, ll.Exponential(MEAN))
    lab.add_traffic(
        "f", ll.Poisson(RATE), payload={"i": 0}, invocation_type=invocation_type, count=n
    )
    start = perf_counter()
    lab.run()
    wall = perf_counter() - start
    return Sample(wall, attempts[0], {"events": n})


def sync_traffic(n: int, seed: int = 1) -> Sample:
    """(c): as ``traffic``, with synchronous (``RequestResponse``) requests."""
    return traffic(n, seed, "RequestResponse")


def loop(n: int, seed: int = 1) -> Sample:
    """(b): the user's loop, one ``run(until=t)`` and ``invoke`` per arrival; times it all."""
    arrivals = random.Random(seed)
    durations = random.Random(seed + 2)
    lab, attempts = flaky_lab(seed, lambda event: durations.expovariate(1 / MEAN))
    start = perf_counter()
    t = 0.0
    for i in range(n):
        t += arrivals.expovariate(RATE)
        lab.run(until=t)
        lab.invoke("f", {"i": i}, invocation_type="Event")
    lab.run()
    wall = perf_counter() - start
    return Sample(wall, attempts[0], {"events": n})


def simpy_lean(n: int, seed: int, model: Any) -> Sample:
    """The reference row: ``simpy_lean.main``, which times its own ``env.run()``."""
    stats, wall = model.main(n, seed)
    return Sample(wall, stats["attempts"], {"events": stats["ok"] + stats["failed"]})


def simpy_traced(n: int, seed: int) -> Sample:
    """The second reference: ``simpy_model.LambdaModel``, with its full trace."""
    fail = random.Random(seed + 1)
    calls = [0]

    def handler(event: Any, context: Any) -> None:
        calls[0] += 1
        if fail.random() < P_FAIL:
            raise RuntimeError("boom")

    env = simpy.Environment()
    model = LambdaModel(
        env,
        handler,
        seed=seed,
        reserved_concurrency=CONCURRENCY,
        mean_duration=MEAN,
        init_duration=0.0,
    )

    def arrivals():
        gap = model.rng.expovariate
        for i in range(n):
            yield env.timeout(gap(RATE))
            model.submit({"i": i})

    env.process(arrivals())
    start = perf_counter()
    env.run()
    wall = perf_counter() - start
    return Sample(wall, calls[0], {"events": n})


def attempts_sigma(n: int) -> float:
    """Standard deviation of the difference of two independent async attempt counts.

    An event is tried once, twice or three times, with probability 1-p, p(1-p), p^2.
    """
    p = P_FAIL
    probs = {1: 1 - p, 2: p * (1 - p), 3: p * p}
    mean = sum(k * q for k, q in probs.items())
    variance = sum(k * k * q for k, q in probs.items()) - mean * mean
    return math.sqrt(2 * n * variance)


def rows(events: int, seed: int, simpy_seed: int) -> dict[str, Callable[[], Sample]]:
    """Every row of the benchmark, each a callable running it once."""
    lean = load_simpy_lean()
    return {
        LEAN: partial(simpy_lean, events, simpy_seed, lean),
        TRACED: partial(simpy_traced, events, simpy_seed),
        "lambda_lab traffic": partial(traffic, events, seed),
        "lambda_lab loop": partial(loop, events, seed),
        "lambda_lab sync traffic": partial(sync_traffic, events, seed),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its table, agreement and summary lines; returns the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=EVENTS, help="arrivals per run")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each row")
    parser.add_argument("--seed", type=int, default=1, help="seed of the labs")
    # A different seed on purpose: with equal ones the random streams might line up,
    # and agreement would prove less than it seems to.
    parser.add_argument("--simpy-seed", type=int, default=101, help="seed of the SimPy models")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    args = parser.parse_args(argv)

    results = measure(rows(args.events, args.seed, args.simpy_seed), args.runs, not args.no_memory)
    print_table(
        f"Invocations: {args.events:,} Poisson({RATE:g}/s) arrivals, reserved concurrency "
        f"{CONCURRENCY}, Exponential({MEAN:g} s), {P_FAIL:.0%} handler errors",
        results,
        "attempts",
    )
    print()

    lean = results[LEAN]
    reference = lean.samples[0]
    agreement = {}
    for name in [TRACED, *LAB_ROWS]:
        if name == "lambda_lab sync traffic":
            # No retries: each request that is not throttled runs once, so compare with
            # the events SimPy settled (its first attempts), not with its attempts.
            expected, sigma, what = reference.stats["events"], 0.0, "events"
        else:
            expected, sigma, what = reference.work, attempts_sigma(args.events), "attempts"
        checks = [
            counts_agree(s.work, expected, RELATIVE_TOLERANCE, sigma) for s in results[name].samples
        ]
        ok = all(agrees for agrees, _ in checks)
        agreement[name] = ok
        print(
            f"{name}: {results[name].samples[0].work:,} attempts vs SimPy's {expected:,} "
            f"{what} (tolerance ±{checks[0][1]:,.0f}): {'agree' if ok else 'DISAGREE'}"
        )
    print()

    ratios = {}
    for name, (label, goal) in LAB_ROWS.items():
        r = results[name]
        ratios[label] = (r.best / lean.best, r.median / lean.median)
        target = f"goal {goal:.1f}" if goal is not None else "no goal"
        print(
            f"{label}: lambda_lab/SimPy best {ratios[label][0]:.2f}x "
            f"median {ratios[label][1]:.2f}x ({target})"
        )
    traced = results[TRACED]
    print(
        f"SimPy with trace/SimPy (lean) best {traced.best / lean.best:.2f}x "
        f"median {traced.median / lean.median:.2f}x (for scale)"
    )
    return {
        "results": results,
        "agreement": agreement,
        "ratios": ratios,
        "agree": all(agreement.values()),
    }


if __name__ == "__main__":
    sys.exit(0 if main()["agree"] else 1)
