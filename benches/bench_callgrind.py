#!/usr/bin/env python3
"""Count instructions per operation with valgrind's callgrind tool.

For each row and implementation, two processes run under callgrind with the
same setup and PYTHONHASHSEED=0: one runs the statement N times in a loop,
the other runs an empty loop of N iterations. Their difference in total
instructions, divided by N, is the cost of one statement, including the
interpreter's dispatch of its bytecode. Interpreter startup and the setup
cancel out because both processes run them identically. Instruction counts
do not depend on machine load, unlike the pyperf timings.

    python benches/bench_callgrind.py
    python benches/bench_callgrind.py --loops 200000 --rows getattr,create
    python benches/bench_callgrind.py --compare-with /path/to/other/site-packages
    python benches/bench_callgrind.py --smoke
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional, Tuple

import proxy_cases as cases
import proxy_report as report

DEFAULT_ROWS = ("getattr,getattr_restricted,getattr_weak,getattr_weak_slots,call_method,"
                "getattr_denied,create,create_tuple_interface,create_dict_interface,"
                "create_weak,create_weak_list,create_weak_slots,len,getitem,add_left,add_right,"
                "hash,compare")
DEFAULT_LOOPS = 100_000
# Smoke mode checks that callgrind runs and its output parses, in a few
# seconds: one row, the bare object and the mx.Proxy builds only.
SMOKE_ROWS = "getattr"
SMOKE_IMPLEMENTATIONS = f"{cases.BARE},{cases.MX}"
SMOKE_LOOPS = 2_000

# Instructions per operation that the project aims to stay under.
TARGETS = {"getattr": 300, "create": 700}

SUMMARY_PATTERN = re.compile(r"^(?:summary|totals):\s+(\d+)", re.MULTILINE)


def count_instructions(source: str, workdir: str, python: str) -> int:
    """Run ``source`` under callgrind and return the instructions it executed."""
    script = os.path.join(workdir, "callgrind_case.py")
    profile = os.path.join(workdir, "callgrind.out")
    with open(script, "w") as output:
        output.write(source)
    environment = dict(os.environ, PYTHONHASHSEED="0")
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={profile}",
               python, script]
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    if result.returncode != 0:
        raise RuntimeError(f"callgrind run failed with exit code {result.returncode}:\n"
                           + result.stderr[-2000:])
    with open(profile) as profile_file:
        match = SUMMARY_PATTERN.search(profile_file.read())
    if not match:
        raise RuntimeError(f"no instruction total found in {profile}")
    return int(match.group(1))


def loops_for(row: cases.Row, loops: int) -> int:
    """Scale the loop count down for statements that scan the registry."""
    if row.entries:
        return max(1, loops // row.entries * 10)
    return loops


def measure(rows: List[cases.Row], implementations: List[cases.Implementation],
            failures: Dict[Tuple[str, str], str], loops: int, python: str
            ) -> Dict[Tuple[str, str], float]:
    """Return instructions per statement for every supported pair."""
    counts: Dict[Tuple[str, str], float] = {}
    # Pairs with the same setup and loop count share one empty-loop run.
    empty_counts: Dict[Tuple[str, int], int] = {}
    with tempfile.TemporaryDirectory(prefix="mxproxy-callgrind-") as workdir:
        for row in rows:
            row_loops = loops_for(row, loops)
            for implementation in implementations:
                if not row.supports(implementation) or (row.key, implementation.key) in failures:
                    continue
                setup = row.setup_code(implementation)
                call = f"run_loop({row_loops})\n"
                if (setup, row_loops) not in empty_counts:
                    empty_counts[(setup, row_loops)] = count_instructions(
                        cases.loop_source(setup, "pass") + call, workdir, python)
                total = count_instructions(cases.loop_source(setup, row.stmt) + call,
                                           workdir, python)
                per_statement = (total - empty_counts[(setup, row_loops)]) / row_loops
                counts[(row.key, implementation.key)] = per_statement
                print(f"{row.key}/{implementation.key}: {per_statement:,.0f} instructions",
                      flush=True)
    return counts


def instruction_table(rows: List[cases.Row], implementations: List[cases.Implementation],
                      counts: Dict[Tuple[str, str], float], check_targets: bool) -> List[str]:
    builds = report.mx_implementations(implementations)
    header = ["Operation"] + [implementation.label for implementation in implementations]
    if check_targets:
        header += ["Target"] + [f"{build.label} result" for build in builds]
    lines = []
    for row in rows:
        cells = [row.title]
        for implementation in implementations:
            count = counts.get((row.key, implementation.key))
            if count is not None and row.entries:
                cells.append(f"{count:,.0f} ({count / row.entries:,.1f} per entry)")
            elif count is not None:
                cells.append(f"{count:,.0f}")
            else:
                cells.append("n/a" if not row.supports(implementation) else "–")
        if check_targets:
            limit = TARGETS.get(row.key)
            cells.append(f"<= {limit}" if limit else "")
            for build in builds:
                count = counts.get((row.key, build.key))
                if limit is None or count is None:
                    cells.append("")
                else:
                    cells.append("PASS" if count <= limit else "MISS")
        lines.append(cells)
    return report.markdown_table(header, lines)


def parse_arguments(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=None,
                        help=f"statements per measured loop (default: {DEFAULT_LOOPS:,})")
    parser.add_argument("--rows", default=None,
                        help="comma-separated rows (default: attribute, creation and a few "
                             "slot rows): " + ", ".join(cases.ROWS_BY_KEY))
    parser.add_argument("--impls", default="all",
                        help="comma-separated implementations (default: all that import)")
    parser.add_argument("--compare-with", metavar="PATH", default=None,
                        help="directory holding another mx.Proxy build (it must contain "
                             "mx/Proxy/); adds a column")
    parser.add_argument("--smoke", action="store_true",
                        help=f"row {SMOKE_ROWS}, implementations {SMOKE_IMPLEMENTATIONS} "
                             f"(plus --compare-with), {SMOKE_LOOPS:,} loops; "
                             "targets not checked")
    parser.add_argument("--report", metavar="FILE", default=None,
                        help="also write the markdown table to FILE")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_arguments(argv)
    if args.compare_with:
        args.compare_with = os.path.abspath(args.compare_with)
    if not shutil.which("valgrind"):
        sys.exit("valgrind was not found on PATH; install it (Debian: apt-get install valgrind).")
    if args.smoke:
        row_keys = args.rows or SMOKE_ROWS
        loops = args.loops or SMOKE_LOOPS
        if args.impls == "all":
            args.impls = SMOKE_IMPLEMENTATIONS
    else:
        row_keys = args.rows or DEFAULT_ROWS
        loops = args.loops or DEFAULT_LOOPS
    try:
        rows = cases.select_rows(row_keys)
        requested = cases.select_implementations(args.impls, args.compare_with)
    except ValueError as error:
        sys.exit(f"Invalid --rows or --impls: {error}")

    implementations = []
    failures: Dict[Tuple[str, str], str] = {}
    for implementation in requested:
        key = implementation.key
        try:
            info = cases.probe_implementation(implementation, rows)
        except cases.ProbeError as error:
            if implementation.mx_path:
                sys.exit(f"Cannot use the mx.Proxy build in {implementation.mx_path}: {error}")
            print(f"Skipping {implementation.label}: not importable: {error}")
            continue
        implementations.append(implementation)
        for row_key, message in info["failures"].items():
            failures[(row_key, key)] = message

    counts = measure(rows, implementations, failures, loops, sys.executable)
    lines = ["# mx.Proxy instructions per operation (callgrind)", "",
             f"{loops:,} statements per loop; (loop - empty loop) / loops. "
             f"Python {sys.version.split()[0]}, PYTHONHASHSEED=0.", ""]
    lines += instruction_table(rows, implementations, counts, check_targets=not args.smoke)
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    if args.report:
        with open(args.report, "w") as output:
            output.write(text)


if __name__ == "__main__":
    main()
