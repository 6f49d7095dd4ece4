"""Cold starts: a long synchronous workload, checked against a reference model.

Requests arrive as a Poisson stream (0.9/s) for 100,000 s of virtual time;
each is a synchronous invocation of a trivial handler whose duration is
exponential with mean 2 s; idle environments are kept for 600 s.  The function
timeout is set to its maximum (900 s) so that durations are not cut off at
the 3 s default and the mean really is 2 s.

The report gives the cold-start probability, the time-averaged number of
environments (total, busy, idle) from ``lab.metrics``, throttles, and requests
simulated per wall-clock second (the run only).  Two references check the
numbers:

* analytic (M/G/inf): the mean number of busy environments is the arrival
  rate times the mean time an environment is busy per request, 0.9 x 2 s =
  1.8, plus the Init phase of the requests that start cold;
* a tiny pool model in pure Python, replaying the lab's own arrival times and
  durations (read from the trace): it reuses the most recently used idle
  environment, starts a new one otherwise, and reclaims one idle for 600 s.
  Fed the same inputs it must find the same cold starts and the same averages.

    python bench/coldstart.py                    # the full workload
    python bench/coldstart.py --seconds 300      # a quick smoke run
"""

from __future__ import annotations

import argparse
import heapq
from collections import deque
from time import perf_counter
from typing import Any

import lambda_lab as ll
from lambda_lab.sim.invoke.sync import request_response

ARRIVAL_RATE = 0.9
MEAN_DURATION = 2.0
KEEP_ALIVE = 600.0
INIT_DURATION = 0.25  # lambda_lab's default Init phase
TIMEOUT = 900  # the maximum, so that no duration is cut off
KEYS = ("total", "busy", "idle")
RATIOS = ("cold", *KEYS)


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    return {"ok": context.aws_request_id}


def simulate(seconds: float, seed: int) -> tuple[float, Any]:
    """Run the workload; returns (wall seconds of the run, lab)."""
    lab = ll.Lab(seed=seed, keep_alive_seconds=KEEP_ALIVE)
    fn = lab.create_function("f", handler, timeout=TIMEOUT, duration=ll.Exponential(MEAN_DURATION))
    engine, service = lab.engine, lab.service
    gap = engine.rng.expovariate

    def responded(response: Any, throttle_reason: str | None, inv: Any) -> None:
        pass  # the trace records the response; nothing waits for it

    def arrive(_: Any) -> None:
        request_response(service, fn, "{}", responded)
        engine.schedule(gap(ARRIVAL_RATE), arrive)

    engine.schedule(gap(ARRIVAL_RATE), arrive)
    start = perf_counter()
    lab.run(until=seconds)
    return perf_counter() - start, lab


def replay(arrivals: list[tuple[float, float]], horizon: float) -> dict[str, float]:
    """The pool model: cold starts and mean environments for ``(arrival, duration)`` pairs.

    A request starting cold is busy for the Init phase and then its duration.
    Environments that become idle go on a stack ordered by when they became
    idle, so the most recently used is on top and the next to expire at the
    bottom.
    """
    ends: list[tuple[float, int]] = []  # (time it becomes idle, environment)
    idle: deque[tuple[float, int]] = deque()  # (time it became idle, environment)
    created: list[float] = []
    lifetime = busy_time = 0.0
    cold = 0
    for t, duration in arrivals:
        while ends and ends[0][0] <= t:
            idle.append(heapq.heappop(ends))
        while idle and idle[0][0] + KEEP_ALIVE <= t:
            since, env = idle.popleft()
            lifetime += since + KEEP_ALIVE - created[env]
            created[env] = -1.0
        if idle:
            env = idle.pop()[1]
            busy = duration
        else:
            env = len(created)
            created.append(t)
            busy = INIT_DURATION + duration
            cold += 1
        busy_time += min(t + busy, horizon) - t
        heapq.heappush(ends, (t + busy, env))
    for since, env in list(idle) + ends:
        if since + KEEP_ALIVE <= horizon:
            lifetime += since + KEEP_ALIVE - created[env]
            created[env] = -1.0
    lifetime += sum(horizon - c for c in created if c >= 0)
    return {
        "cold": cold / len(arrivals) if arrivals else 0.0,
        "total": lifetime / horizon,
        "busy": busy_time / horizon,
        "idle": (lifetime - busy_time) / horizon,
    }


def lab_inputs(lab: Any) -> list[tuple[float, float]]:
    """Each request's arrival time and handler duration, read from the trace.

    A request still running at the horizon has no ``attempt_ended``; its full
    duration is not known, so it counts as running to the horizon.
    """
    started: dict[str, float] = {}
    durations: dict[str, float] = {}
    for r in lab.trace:
        if r["kind"] == "invoke":
            started[r["request_id"]] = r["t"]
        elif r["kind"] == "attempt_ended":
            durations[r["request_id"]] = r["duration"]
    return [(t, durations.get(rid, lab.now)) for rid, t in started.items()]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=100_000, help="virtual seconds to run")
    parser.add_argument("--seed", type=int, default=1, help="seed of the lab")
    args = parser.parse_args(argv)

    wall, lab = simulate(args.seconds, args.seed)
    metrics = lab.metrics("f")
    started = lab.trace.filter(kind="attempt_started")
    requests = len(lab.trace.filter(kind="invoke"))
    cold = sum(1 for r in started if r["cold"]) / len(started) if started else 0.0
    ours = lab.simulation_metrics("f")
    environments = ours["environments"]
    reference = replay(lab_inputs(lab), args.seconds)
    # M/G/inf: busy = arrival rate x mean busy time per request (Init too, when cold).
    expected_busy = ARRIVAL_RATE * (MEAN_DURATION + cold * INIT_DURATION)

    print(
        f"Cold starts: Poisson {ARRIVAL_RATE:g}/s synchronous requests for {args.seconds:,.0f} s, "
        f"Exponential(mean={MEAN_DURATION:g} s),\nkeep-alive {KEEP_ALIVE:g} s, "
        f"Init {INIT_DURATION:g} s, timeout {TIMEOUT} s, seed {args.seed}."
    )
    print()
    print(f"requests                    {requests:,}")
    print(f"attempts started            {len(started):,}")
    print(f"throttles                   {metrics['Throttles']:,}")
    print(f"errors (incl. timeouts)     {metrics['Errors']:,}")
    print(f"cold-start probability      {cold:.5f} ({ours['cold_starts']:,} cold)")
    print(f"peak concurrency            {metrics['ConcurrentExecutions']}")
    print(
        f"mean environments           total {environments['total']:.4f}, "
        f"busy {environments['busy']:.4f}, idle {environments['idle']:.4f}"
    )
    print(f"wall time of the run        {wall:.3f} s")
    print(f"requests per wall second    {requests / wall:,.0f}")
    print()
    print(
        f"analytic busy (M/G/inf)     {ARRIVAL_RATE:g} x {MEAN_DURATION:g} s = "
        f"{ARRIVAL_RATE * MEAN_DURATION:.4f}; with Init of cold starts {expected_busy:.4f}"
    )
    print(f"measured / expected busy    {environments['busy'] / expected_busy:.4f}")
    print(
        f"pool model (same inputs)    cold {reference['cold']:.5f}, "
        f"total {reference['total']:.4f}, busy {reference['busy']:.4f}, "
        f"idle {reference['idle']:.4f}"
    )
    pairs = [(cold, reference["cold"])] + [(environments[k], reference[k]) for k in KEYS]
    ratios = [
        f"{key} {a / b:.4f}" if b else f"{key} -" for key, (a, b) in zip(RATIOS, pairs, strict=True)
    ]
    print("lab / pool model            " + ", ".join(ratios))
    return {
        "requests": requests,
        "cold_probability": cold,
        "environments": environments,
        "throttles": metrics["Throttles"],
        "requests_per_second": requests / wall,
        "expected_busy": expected_busy,
        "reference": reference,
    }


if __name__ == "__main__":
    main()
