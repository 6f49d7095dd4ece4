"""Per-module mutation score from mutmut 3's results; fails below a minimum.

Run from the repository root after ``mutmut run``::

    python scripts/mutation_report.py [--min 90] [--prefix lambda_lab.sim.]

The results come from ``mutmut results --all true`` (one ``<mutant>: <status>``
line per mutant, mutmut's public output).  If that command fails, the script
reads the ``mutants/**/*.py.meta`` files mutmut writes (``exit_code_by_key``)
and maps exit codes to statuses as mutmut does.  A mutant counts as killed
when the tests failed on it, timed out, or the type checker caught it; the
score is killed / (total - skipped); ``unchecked`` mutants (a run cut short)
count as not killed.  Modules with no mutants (empty
``__init__``) are left out.  The exit status is 1 if any module under
``--prefix`` scores below ``--min``, 2 if there are no results at all.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

KILLED = {"killed", "timeout", "caught by type check"}
LINE = re.compile(r"^\s*(?P<name>\S+__mutmut_\d+): (?P<status>.+?)\s*$")
# mutmut.stats.status_by_exit_code, for reading the meta files without mutmut
STATUS_BY_EXIT_CODE = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    2: "check was interrupted by user",
    None: "not checked",
    33: "no tests",
    34: "skipped",
    35: "suspicious",
    36: "timeout",
    37: "caught by type check",
    -24: "timeout",
    24: "timeout",
    152: "timeout",
    255: "timeout",
    -11: "segfault",
    -9: "segfault",
}


def module_of(mutant: str) -> str:
    """``pkg.mod.xǁClassǁmethod__mutmut_3`` -> ``pkg.mod`` (as mutmut's get_module_from_key)."""
    parts = mutant.split(".")
    for i in range(len(parts) - 1, -1, -1):
        if parts[i].startswith(("x_", "xǁ")):
            return ".".join(parts[:i])
    return mutant.rsplit(".", 1)[0]


def from_cli(mutmut: list[str]) -> dict[str, str]:
    out = subprocess.run(
        [*mutmut, "results", "--all", "true"], capture_output=True, text=True, check=True
    )
    statuses = {}
    for line in out.stdout.splitlines():
        match = LINE.match(line)
        if match:
            statuses[match["name"]] = match["status"]
    return statuses


def from_meta(root: Path) -> dict[str, str]:
    statuses = {}
    for meta in sorted((root / "mutants").rglob("*.py.meta")):
        data = json.loads(meta.read_text("utf-8"))
        for name, code in data.get("exit_code_by_key", {}).items():
            statuses[name] = STATUS_BY_EXIT_CODE.get(code, "suspicious")
    return statuses


def table(statuses: dict[str, str]) -> dict[str, Counter]:
    by_module: dict[str, Counter] = defaultdict(Counter)
    for name, status in statuses.items():
        by_module[module_of(name)][status] += 1
    return by_module


def score(counts: Counter) -> tuple[int, int, float]:
    total = sum(counts.values()) - counts["skipped"]
    killed = sum(counts[s] for s in KILLED)
    return killed, total, 100.0 * killed / total if total else 100.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--min", type=float, default=90.0, help="minimum score in %% (90)")
    parser.add_argument("--prefix", default="lambda_lab.sim.", help="modules held to --min")
    parser.add_argument("--meta", action="store_true", help="read mutants/*.meta directly")
    parser.add_argument(
        "--mutmut",
        default=f"{sys.executable} -m mutmut",
        help="the mutmut command (default: this Python's -m mutmut)",
    )
    args = parser.parse_args(argv)

    statuses: dict[str, str] = {}
    if not args.meta:
        try:
            statuses = from_cli(args.mutmut.split())
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"mutmut results failed ({exc}); reading mutants/*.meta", file=sys.stderr)
    if not statuses:
        statuses = from_meta(Path.cwd())
    if not statuses:
        print("no mutation results: run `mutmut run` first", file=sys.stderr)
        return 2

    rows = table(statuses)
    width = max(len(m) for m in rows)
    header = f"{'module':<{width}}  {'killed':>6}  {'total':>5}  {'score':>6}  "
    header += f"{'survived':>8}  {'no tests':>8}  {'timeout':>7}  {'unchecked':>9}  {'other':>5}"
    print(header)
    print("-" * len(header))
    failing = []
    all_killed = all_total = 0
    for module in sorted(rows):
        counts = rows[module]
        killed, total, pct = score(counts)
        all_killed += killed
        all_total += total
        unchecked = counts["not checked"]
        other = total - killed - counts["survived"] - counts["no tests"] - unchecked
        mark = ""
        if module.startswith(args.prefix) and pct < args.min:
            failing.append(module)
            mark = "  < min"
        print(
            f"{module:<{width}}  {killed:>6}  {total:>5}  {pct:>5.1f}%  "
            f"{counts['survived']:>8}  {counts['no tests']:>8}  {counts['timeout']:>7}  "
            f"{unchecked:>9}  {other:>5}{mark}"
        )
    print("-" * len(header))
    overall = 100.0 * all_killed / all_total if all_total else 100.0
    print(f"{'all':<{width}}  {all_killed:>6}  {all_total:>5}  {overall:>5.1f}%")
    if failing:
        print(f"\n{len(failing)} module(s) below {args.min:g}%: {', '.join(failing)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
