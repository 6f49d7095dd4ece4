"""Cold starts: lambda_lab against SimFaaS on SimFaaS's own workload, in one process.

The workload (SimFaaS's example): requests arrive as a Poisson stream (0.9/s)
for 100,000 s of virtual time; a warm request is served in an exponential time
of mean 1.991 s, a cold one in 2.244 s on average; an environment idle for
600 s expires.  SimFaaS (``ServerlessSimulator``) draws the cold service time
as an exponential of mean 2.244 s; lambda_lab, as a fixed Init phase of
0.253 s plus the same Exponential(1.991 s) as a warm request, through its
public API only: ``create_function(duration=ll.Exponential(1.991),
init_duration=0.253, timeout=900)`` (900 s, so that no duration is cut) in a
``Lab(keep_alive_seconds=600)``, synchronous requests from ``add_traffic``,
timed around ``lab.run(until=...)``.  SimFaaS is timed around
``generate_trace()``.

Checks (the exit status is 1 when one fails; a missed speed goal only prints):

* both tools' cold-start probability and mean instance count agree, within
  10% or 4 standard deviations of the difference, whichever is looser (the
  deviations are estimated from the runs themselves, see ``tolerances``);
* analytic (M/G/inf): lambda_lab's mean number of busy environments is the
  arrival rate times the mean busy time of a request, Init of the cold ones
  included, within 4 standard deviations of a time average over the run.

The speed ratio is SimFaaS's wall time divided by lambda_lab's (goal 2.0),
from best and median of ``--runs`` interleaved runs; peak memory comes from
one more, untimed, run of each.

    python bench/coldstart.py                              # 100,000 s, 5 runs
    python bench/coldstart.py --seconds 2000 --runs 1      # a quick smoke run
"""

from __future__ import annotations

import argparse
import math
import sys
from functools import partial
from time import perf_counter
from typing import Any

import numpy as np
from harness import Result, Sample, counts_agree, measure, print_table
from simfaas.ServerlessSimulator import ServerlessSimulator
from simfaas.SimProcess import ExpSimProcess

import lambda_lab as ll

SECONDS = 100_000.0
ARRIVAL_RATE = 0.9
WARM_MEAN = 1.991
COLD_MEAN = 2.244
INIT_DURATION = round(COLD_MEAN - WARM_MEAN, 3)  # 0.253 s: cold = Init + a warm duration
KEEP_ALIVE = 600.0
TIMEOUT = 900  # the maximum, so that no duration is cut off
RELATIVE_TOLERANCE = 0.10
GOAL = 2.0
LAB, SIMFAAS = "lambda_lab", "SimFaaS"


def handler(event: Any, context: Any) -> None:
    """A handler that does nothing: the simulated durations are all that matter."""


def lambda_lab_run(seconds: float, seed: int) -> Sample:
    """The workload on lambda_lab; times ``lab.run(until=seconds)``."""
    lab = ll.Lab(seed=seed, keep_alive_seconds=KEEP_ALIVE)
    lab.create_function(
        "f",
        handler,
        timeout=TIMEOUT,
        duration=ll.Exponential(WARM_MEAN),
        init_duration=INIT_DURATION,
    )
    lab.add_traffic("f", ll.Poisson(ARRIVAL_RATE), payload={}, stop=seconds)
    start = perf_counter()
    lab.run(until=seconds)
    wall = perf_counter() - start
    requests = len(lab.trace.filter(kind="invoke"))
    ours = lab.simulation_metrics("f")
    cold = ours["cold_starts"]
    return Sample(
        wall,
        requests,
        {
            "requests": requests,
            "cold": cold,
            "cold_probability": cold / requests if requests else 0.0,
            "instances": ours["environments"]["total"],
            "busy": ours["environments"]["busy"],
            "throttles": lab.metrics("f")["Throttles"],
        },
    )


def simfaas_run(seconds: float, seed: int) -> Sample:
    """The workload on SimFaaS's ``ServerlessSimulator``; times ``generate_trace()``."""
    np.random.seed(seed)  # SimFaaS draws from numpy's global generator
    sim = ServerlessSimulator(
        arrival_process=ExpSimProcess(rate=ARRIVAL_RATE),
        warm_service_process=ExpSimProcess(rate=1 / WARM_MEAN),
        cold_service_process=ExpSimProcess(rate=1 / COLD_MEAN),
        expiration_threshold=KEEP_ALIVE,
        max_time=seconds,
    )
    start = perf_counter()
    sim.generate_trace()
    wall = perf_counter() - start
    counts = np.array(sim.hist_server_count, dtype=float)
    weights = np.array(sim.time_lengths, dtype=float)
    mean = float(np.average(counts, weights=weights))
    return Sample(
        wall,
        sim.total_req_count,
        {
            "requests": sim.total_req_count,
            "cold": sim.total_cold_count,
            "cold_probability": sim.get_cold_start_prob(),
            "instances": sim.get_average_server_count(),
            # the spread of the instance count over time, for the tolerance
            "instances_sd": math.sqrt(float(np.average((counts - mean) ** 2, weights=weights))),
        },
    )


def tolerances(lab: dict[str, Any], ref: dict[str, Any], seconds: float) -> dict[str, float]:
    """The standard deviation of each compared figure's difference between the two tools.

    Cold starts are counted as Poisson, so the difference of two counts has
    variance about their sum.  The instance count stays correlated for about
    one keep-alive (an environment lives at least that long), so a time average
    over ``seconds`` is about as good as ``seconds / (2 keep-alive)``
    independent samples of it.
    """
    requests = max(lab["requests"], 1)
    windows = max(seconds / (2 * KEEP_ALIVE), 1.0)
    return {
        "cold_probability": math.sqrt(lab["cold"] + ref["cold"]) / requests,
        "instances": math.sqrt(2) * ref["instances_sd"] / math.sqrt(windows),
    }


def mginf_busy(cold_probability: float, seconds: float) -> tuple[float, float]:
    """Expected mean busy environments (M/G/inf) and the standard deviation of its time average.

    The busy count of M/G/inf is Poisson with mean rate x E[S]; its time
    average over T has variance about rate x E[S^2] / T.
    """
    mean_busy = WARM_MEAN + cold_probability * INIT_DURATION
    second_moment = 2 * WARM_MEAN**2  # of the exponential; Init adds little
    return ARRIVAL_RATE * mean_busy, math.sqrt(ARRIVAL_RATE * second_moment / seconds)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its table, checks and summary line; returns the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=SECONDS, help="virtual seconds per run")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each row")
    parser.add_argument("--seed", type=int, default=1, help="seed of the lab and of SimFaaS")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    args = parser.parse_args(argv)

    rows = {
        LAB: partial(lambda_lab_run, args.seconds, args.seed),
        SIMFAAS: partial(simfaas_run, args.seconds, args.seed),
    }
    results: dict[str, Result] = measure(rows, args.runs, not args.no_memory)
    print_table(
        f"Cold starts: Poisson({ARRIVAL_RATE:g}/s) for {args.seconds:,.0f} s, warm "
        f"Exponential({WARM_MEAN:g} s), cold mean {COLD_MEAN:g} s, keep-alive {KEEP_ALIVE:g} s",
        results,
        "requests",
    )
    print()

    lab, ref = results[LAB].samples[0].stats, results[SIMFAAS].samples[0].stats
    sigmas = tolerances(lab, ref, args.seconds)
    checks = {}
    for key, label, fmt in (
        ("cold_probability", "cold-start probability", ".5f"),
        ("instances", "mean instance count", ".4f"),
    ):
        ok, tolerance = counts_agree(lab[key], ref[key], RELATIVE_TOLERANCE, sigmas[key])
        checks[key] = ok
        print(
            f"{label}: lambda_lab {lab[key]:{fmt}}, SimFaaS {ref[key]:{fmt}} "
            f"(tolerance ±{tolerance:{fmt}}): {'agree' if ok else 'DISAGREE'}"
        )
    print(
        f"cold starts / requests: lambda_lab {lab['cold']:,} / {lab['requests']:,}, "
        f"SimFaaS {ref['cold']:,} / {ref['requests']:,}; lambda_lab throttles {lab['throttles']}"
    )
    expected, sigma = mginf_busy(lab["cold_probability"], args.seconds)
    checks["mginf"] = abs(lab["busy"] - expected) <= 4 * sigma
    print(
        f"mean busy environments (M/G/inf): lambda_lab {lab['busy']:.4f}, expected "
        f"{expected:.4f} (tolerance ±{4 * sigma:.4f}): "
        f"{'agree' if checks['mginf'] else 'DISAGREE'}"
    )
    print()

    best = results[SIMFAAS].best_wall / results[LAB].best_wall
    median = results[SIMFAAS].median_wall / results[LAB].median_wall
    print(
        f"cold start: SimFaaS/lambda_lab wall best {best:.2f}x median {median:.2f}x (goal {GOAL})"
    )
    return {
        "results": results,
        "checks": checks,
        "ratios": (best, median),
        "agree": all(checks.values()),
    }


if __name__ == "__main__":
    sys.exit(0 if main()["agree"] else 1)
