"""The benchmarks of bench/ run end to end at tiny sizes; nothing here is timed.

The benchmarks are plain scripts, so their folder goes on ``sys.path`` for
the test (``async_retries`` imports ``simpy_model`` as its neighbour).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

pytest.importorskip("simpy")

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module


def test_coldstart_matches_its_reference_models(bench, capsys):
    # GIVEN the cold-start benchmark, shortened to 300 virtual seconds
    coldstart = bench("coldstart")
    # WHEN it runs
    result = coldstart.main(["--seconds", "300"])
    # THEN it served requests without throttling and printed its report
    assert result["requests"] > 200
    assert result["throttles"] == 0
    assert "requests per wall second" in capsys.readouterr().out
    # AND the pool model, fed the lab's arrivals and durations, finds the same numbers
    reference = result["reference"]
    assert result["cold_probability"] == pytest.approx(reference["cold"])
    # (simulation_metrics rounds environment averages to MEAN_DIGITS decimals)
    for key in ("total", "busy", "idle"):
        assert result["environments"][key] == pytest.approx(reference[key], abs=0.5e-4)


def test_async_retries_models_agree_on_outcomes(bench, capsys):
    # GIVEN the asynchronous retry benchmark, shortened to 2,000 events and one run
    async_retries = bench("async_retries")
    # WHEN it runs both models
    result = async_retries.main(["--events", "2000", "--runs", "1", "--no-memory"])
    # THEN each model settles every event exactly once, and counts each handler call
    assert result["consistent"]
    lab, simpy = result["outcomes"]["lambda_lab"], result["outcomes"]["SimPy"]
    assert lab["succeeded"] + lab["dropped"] == simpy["succeeded"] + simpy["dropped"] == 2000
    # AND the two models agree on the outcomes, within the benchmark's tolerance
    assert all(result["agreement"].values()), result["agreement"]
    # AND about 30% of attempts failed in each, as the handler was told to
    for outcome in (lab, simpy):
        assert outcome["attempts failed"] / outcome["attempts started"] == pytest.approx(
            0.3, abs=0.05
        )
    assert "lambda_lab / SimPy attempts per second" in capsys.readouterr().out
