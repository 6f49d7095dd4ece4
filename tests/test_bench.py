"""The benchmarks of bench/ run end to end at tiny sizes; nothing here is timed.

The benchmarks are plain scripts importing their neighbours (``harness``,
``simpy_model``), so their folder goes on ``sys.path`` for the tests that call
their ``main``.  The profile helper runs as a subprocess, as it is meant to:
its name would shadow the standard library's ``profile`` module in this process.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("simpy")

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module


def test_async_invoke_runs_every_row_and_agrees_with_simpy(bench, capsys):
    # GIVEN the invocation benchmark, shortened to 300 events and one run per row
    async_invoke = bench("async_invoke")
    # WHEN it runs
    result = async_invoke.main(["--events", "300", "--runs", "1"])
    out = capsys.readouterr().out
    # THEN every lambda_lab row's attempts agree with SimPy's, within the tolerance
    assert result["agree"], result["agreement"]
    # AND it printed one summary line per workload, with its goal
    assert "async traffic: lambda_lab/SimPy best" in out
    assert "(goal 2.0)" in out
    assert "user's loop: lambda_lab/SimPy best" in out
    assert "(goal 1.0)" in out
    assert "sync traffic: lambda_lab/SimPy best" in out
    # AND every row has a peak memory from its untimed run
    assert all(r.peak for r in result["results"].values())


def test_coldstart_agrees_with_simfaas(bench, capsys):
    # GIVEN the cold-start benchmark against SimFaaS, shortened to 2,000 virtual seconds
    pytest.importorskip("simfaas")
    coldstart = bench("coldstart")
    # WHEN it runs once per row
    result = coldstart.main(["--seconds", "2000", "--runs", "1"])
    out = capsys.readouterr().out
    # THEN both tools agree on cold starts and instances, and M/G/inf on busy environments
    assert result["agree"], result["checks"]
    assert "cold-start probability: lambda_lab" in out
    assert "mean instance count: lambda_lab" in out
    # AND it printed the speed ratio against SimFaaS, with its goal
    assert "cold start: SimFaaS/lambda_lab wall best" in out
    assert "(goal 2.0)" in out


def test_harness_falls_back_to_its_copy_and_fails_clearly_without_either(
    bench, monkeypatch, tmp_path
):
    # GIVEN the harness, pointed at a shared bench folder without simpy_lean.py
    harness = bench("harness")
    monkeypatch.setattr(harness, "SHARED_BENCH", tmp_path)
    # WHEN the reference model is loaded THEN the checked copy stands in
    assert hasattr(harness.load_simpy_lean(), "RETRY_DELAYS")
    # AND without the copy either, it exits naming both places
    monkeypatch.setattr(harness, "REFERENCE_COPY", tmp_path / "nothing.py")
    with pytest.raises(SystemExit, match=r"reference model is missing"):
        harness.load_simpy_lean()


def test_the_reference_copy_is_the_shared_file(bench):
    # GIVEN the shared reference, where this machine has it
    harness = bench("harness")
    shared = harness.SHARED_BENCH / "simpy_lean.py"
    if not shared.is_file():
        pytest.skip(f"{shared} is not on this machine")
    # THEN the copy CI uses is byte for byte the same
    assert harness.REFERENCE_COPY.read_bytes() == shared.read_bytes()


def test_profile_helper_writes_its_reports(tmp_path):
    # GIVEN pyinstrument, and the profile helper on a tiny async workload
    pytest.importorskip("pyinstrument")
    # WHEN it profiles that workload into a temporary folder
    done = subprocess.run(
        [
            sys.executable,
            BENCH / "profile.py",
            "async-traffic",
            "--events",
            "300",
            "--out",
            tmp_path,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    # THEN it succeeds and writes a text and an HTML report of the workload
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "async-traffic.txt").read_text(encoding="utf-8")
    assert "traffic" in text
    assert (tmp_path / "async-traffic.html").stat().st_size > 0


def test_the_mappings_benchmark_runs_on_a_small_workload():
    # GIVEN the SQS mapping benchmark WHEN it runs on 2,000 messages
    done = subprocess.run(
        [sys.executable, str(BENCH / "mappings.py"), "--messages", "2000", "--runs", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    # THEN it finishes, every message accounted for, and prints its figures
    assert done.returncode == 0, done.stderr
    assert "sqs mapping: best" in done.stdout and "kinesis mapping: best" in done.stdout
    assert "kafka mapping: best" in done.stdout
    assert "peak resident" in done.stdout
