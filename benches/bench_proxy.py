#!/usr/bin/env python3
"""Time mx.Proxy against weakref.proxy, wrapt, zope.proxy and lazy-object-proxy.

For each group of rows of proxy_cases.ROWS (creation, attribute, slot,
registry) the script starts worker processes (timing_worker.py) one at a
time. Each worker times every row of the group on the bare object, mx.Proxy
and every importable peer in the same process, alternating between them.
A build given with --compare-with is timed in its own worker processes,
started right after each of the others, so two mx packages never share an
interpreter. Results use pyperf's data model:
each ROW/IMPLEMENTATION is a pyperf benchmark, and -o writes a pyperf JSON
file that ``python -m pyperf stats`` and ``compare_to`` read.

After the timings the script measures proxy sizes and memory growth
(memory_probe.py, one process per implementation) and prints a markdown
report with ratios and the project's targets, marked PASS or MISS. Targets
never change the exit code.

    python benches/bench_proxy.py --fast -o results.json --report report.md
    python benches/bench_proxy.py --smoke
    python benches/bench_proxy.py --fast --compare-with /path/to/other/site-packages

See BENCHMARKS.md for what each figure means.
"""

import argparse
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from typing import Dict, List, Optional, Tuple

import pyperf

import proxy_cases as cases
import proxy_report as report

HERE = os.path.dirname(os.path.abspath(__file__))

# pyperf's defaults for CPython, and what its --fast and --rigorous select.
DEFAULT_PROCESSES = 20
DEFAULT_VALUES = 3
FAST_PROCESSES = 10
FAST_VALUES = 2
RIGOROUS_PROCESSES = 40

# Smoke mode: one worker process per group of rows, no warm-up, one value of
# SMOKE_LOOPS loops, and SMOKE_CYCLES memory cycles per case.
SMOKE_LOOPS = 20
SMOKE_CYCLES = 10_000
FULL_CYCLES = 1_000_000

Timings = Dict[Tuple[str, str], float]


def parse_arguments(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Timing options follow pyperf's; see BENCHMARKS.md.")
    timing = parser.add_argument_group("timing")
    timing.add_argument("-p", "--processes", type=int, default=None,
                        help=f"worker processes per group of rows (default: {DEFAULT_PROCESSES})")
    timing.add_argument("-n", "--values", type=int, default=None,
                        help=f"timed values per worker and cell (default: {DEFAULT_VALUES})")
    timing.add_argument("-w", "--warmups", type=int, default=1,
                        help="warm-up values per worker and cell (default: 1)")
    timing.add_argument("-l", "--loops", type=int, default=0,
                        help="loops per value; 0 calibrates them per cell (default: 0)")
    timing.add_argument("--min-time", type=float, default=0.1,
                        help="minimum seconds per value when calibrating (default: 0.1)")
    timing.add_argument("--fast", action="store_true",
                        help=f"{FAST_PROCESSES} processes and {FAST_VALUES} values, as pyperf --fast")
    timing.add_argument("--rigorous", action="store_true",
                        help=f"{RIGOROUS_PROCESSES} processes, as pyperf --rigorous")
    timing.add_argument("-o", "--output", metavar="FILE", default=None,
                        help="write the timings as pyperf JSON to FILE, which must not exist")

    suite = parser.add_argument_group("suite")
    suite.add_argument("--smoke", action="store_true",
                       help="one worker per group of rows, one value of a few loops, and "
                            f"{SMOKE_CYCLES:,} memory cycles; targets are not checked")
    suite.add_argument("--compare-with", metavar="PATH", default=None,
                       help="directory holding another mx.Proxy build (it must contain "
                            "mx/Proxy/); adds a column timed in separate processes")
    suite.add_argument("--impls", default="all",
                       help="comma-separated implementations to time: "
                            + ", ".join(key for key in cases.IMPLEMENTATION_ORDER
                                        if key != cases.OTHER)
                            + " (default: all that import)")
    suite.add_argument("--rows", default=None,
                       help="comma-separated rows to time (default: all): "
                            + ", ".join(cases.ROWS_BY_KEY))
    suite.add_argument("--cycles", type=int, default=None,
                       help="create/destroy cycles per memory case "
                            f"(default: {FULL_CYCLES:,}, or {SMOKE_CYCLES:,} with --smoke)")
    suite.add_argument("--no-memory", action="store_true",
                       help="skip the size and memory growth measurements")
    suite.add_argument("--report", metavar="FILE", default=None,
                       help="also write the markdown report to FILE")
    args = parser.parse_args(argv)

    if args.smoke:
        args.processes, args.values, args.warmups = 1, 1, 0
        args.loops = args.loops or SMOKE_LOOPS
    elif args.rigorous:
        args.processes = args.processes or RIGOROUS_PROCESSES
    elif args.fast:
        args.processes = args.processes or FAST_PROCESSES
        args.values = args.values or FAST_VALUES
    args.processes = args.processes or DEFAULT_PROCESSES
    args.values = args.values or DEFAULT_VALUES
    if args.output and os.path.exists(args.output):
        parser.error(f"the output file {args.output} already exists; "
                     "choose another name or remove it")
    if args.compare_with:
        args.compare_with = os.path.abspath(args.compare_with)
    return args


def probe_all(implementations: List[cases.Implementation], rows: List[cases.Row]
              ) -> Tuple[List[cases.Implementation], Dict[str, dict], Dict[str, str],
                         Dict[Tuple[str, str], str]]:
    """Probe each implementation in its own process.

    Returns the importable implementations, their descriptions, the reason
    for each one skipped (by label), and the error of each failing
    (row, implementation) pair.
    """
    available = []
    descriptions: Dict[str, dict] = {}
    skipped: Dict[str, str] = {}
    failures: Dict[Tuple[str, str], str] = {}
    for implementation in implementations:
        try:
            info = cases.probe_implementation(implementation, rows)
        except cases.ProbeError as error:
            if implementation.mx_path:
                sys.exit(f"Cannot use the mx.Proxy build in {implementation.mx_path}: {error}")
            skipped[implementation.label] = f"not importable: {error}"
            print(f"Skipping {implementation.label}: not importable: {error}", flush=True)
            continue
        available.append(implementation)
        descriptions[implementation.key] = info
        for row_key, message in info["failures"].items():
            failures[(row_key, implementation.key)] = message
    return available, descriptions, skipped, failures


def run_worker(rows: List[cases.Row], group: List[cases.Implementation], skip: List[str],
               args: argparse.Namespace, loops: Optional[Dict[str, int]]) -> str:
    """Start timing_worker.py for ``rows`` and ``group``, and return its output.

    Without ``loops`` the worker calibrates them.
    """
    row_keys = ",".join(row.key for row in rows)
    command = [sys.executable, os.path.join(HERE, "timing_worker.py"), "--rows", row_keys,
               "--impls", ",".join(implementation.key for implementation in group),
               "--skip", ",".join(skip),
               "--warmups", str(args.warmups), "--values", str(args.values),
               "--min-time", str(args.min_time)]
    if loops is None:
        command.append("--calibrate")
    else:
        command += ["--loops", ",".join(f"{name}={count}" for name, count in loops.items())]
    if group[0].mx_path:
        command += ["--mx-path", group[0].mx_path]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"timing worker for rows {row_keys} failed with exit code "
                           f"{result.returncode}:\n{result.stderr}")
    return result.stdout


def supported_cells(rows: List[cases.Row], group: List[cases.Implementation],
                    failures: Dict[Tuple[str, str], str]) -> List[str]:
    return [f"{row.key}/{implementation.key}" for row in rows for implementation in group
            if row.supports(implementation) and (row.key, implementation.key) not in failures]


def time_group(rows: List[cases.Row], implementations: List[cases.Implementation],
               failures: Dict[Tuple[str, str], str], args: argparse.Namespace
               ) -> List[pyperf.Benchmark]:
    """Time one group of rows: calibrate, then alternate the workers.

    The installed implementations share each worker. A compared build gets
    its own worker, started right after each of theirs.
    """
    local = [implementation for implementation in implementations if not implementation.mx_path]
    compared = [implementation for implementation in implementations if implementation.mx_path]
    skip = [f"{row_key}/{impl_key}" for row_key, impl_key in failures]
    sides = []
    for group in (local, compared):
        cells = supported_cells(rows, group, failures)
        if not cells:
            continue
        if args.loops:
            loops = {name: args.loops for name in cells}
        else:
            loops = json.loads(run_worker(rows, group, skip, args, None))["loops"]
        sides.append((group, skip, loops))

    benchmarks: Dict[str, pyperf.Benchmark] = {}
    for _ in range(args.processes):
        for group, skip, loops in sides:
            suite = pyperf.BenchmarkSuite.loads(run_worker(rows, group, skip, args, loops))
            for benchmark in suite:
                name = benchmark.get_name()
                if name in benchmarks:
                    benchmarks[name].add_runs(benchmark)
                else:
                    benchmarks[name] = benchmark
    return list(benchmarks.values())


def time_rows(rows: List[cases.Row], implementations: List[cases.Implementation],
              failures: Dict[Tuple[str, str], str], args: argparse.Namespace
              ) -> Tuple[Timings, List[pyperf.Benchmark]]:
    """Time every supported cell, one group of rows at a time.

    Returns the median seconds per statement of each cell and the pyperf
    benchmarks.
    """
    timings: Timings = {}
    all_benchmarks = []
    groups: Dict[str, List[cases.Row]] = {}
    for row in rows:
        groups.setdefault(row.group, []).append(row)
    for group_rows in groups.values():
        benchmarks = time_group(group_rows, implementations, failures, args)
        order = {row.key: index for index, row in enumerate(group_rows)}
        benchmarks.sort(key=lambda benchmark: order[benchmark.get_name().partition("/")[0]])
        for benchmark in benchmarks:
            row_key, _, implementation_key = benchmark.get_name().partition("/")
            timings[(row_key, implementation_key)] = benchmark.median()
            all_benchmarks.append(benchmark)
            spread = (f" +- {benchmark.format_value(benchmark.stdev())}"
                      if benchmark.get_nvalue() > 1 else "")
            print(f"{benchmark.get_name()}: median {benchmark.format_value(benchmark.median())}"
                  f"{spread}", flush=True)
    return timings, all_benchmarks


def measure_memory(implementations: List[cases.Implementation], cycles: int
                   ) -> Dict[str, dict]:
    """Run memory_probe.py once per implementation, one process at a time."""
    memory = {}
    for implementation in implementations:
        if implementation.kind == cases.BARE:
            continue
        command = [sys.executable, os.path.join(HERE, "memory_probe.py"),
                   "--impl", implementation.key, "--cycles", str(cycles)]
        if implementation.mx_path:
            command += ["--mx-path", implementation.mx_path]
        print(f"Measuring memory of {implementation.label} ({cycles:,} cycles per case)",
              flush=True)
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            print(f"Memory measurement of {implementation.label} failed with exit code "
                  f"{result.returncode}:\n{result.stderr}", file=sys.stderr)
            continue
        memory[implementation.key] = json.loads(result.stdout.strip().splitlines()[-1])
    return memory


def describe_settings(args: argparse.Namespace, cycles: Optional[int]) -> str:
    if args.loops:
        loops = f"{args.loops:,} loops each"
    else:
        loops = f"loops calibrated to at least {args.min_time * 1e3:.0f} ms each"
    text = (f"Worker processes per group of rows: {args.processes}. Per worker and cell: "
            f"{args.warmups} warm-up and {args.values} timed values, {loops}")
    if cycles:
        text += f". Memory: {cycles:,} cycles per case"
    return text


def build_report(args: argparse.Namespace, rows: List[cases.Row],
                 implementations: List[cases.Implementation], timings: Timings,
                 failures, memory, descriptions, skipped, cycles) -> str:
    lines = ["# mx.Proxy benchmark report", ""]
    lines.append(f"Run on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC. "
                 + describe_settings(args, cycles) + ".")
    if args.smoke:
        lines += ["", "**Smoke run:** the figures only show that every benchmark runs. "
                      "They are not measurements, and targets are not checked."]
    lines += ["", "## Time per statement (ns, median)", ""]
    lines += report.timing_table(rows, implementations, timings, failures)
    if not args.smoke and report.mx_implementations(implementations):
        lines += ["", "## Targets", ""]
        lines += report.targets_table(implementations, timings, memory)
    if memory:
        lines += ["", "## Memory", ""]
        lines += report.memory_tables(implementations, memory)
    lines += ["", "## Environment", ""]
    lines += report.machine_description()
    lines.append(f"- pyperf: {pyperf.__version__}")
    lines += report.implementation_lines(implementations, descriptions, skipped)
    if args.compare_with:
        lines.append(f"- compared build: {args.compare_with}")
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_arguments(argv)
    try:
        rows = cases.select_rows(args.rows)
        requested = cases.select_implementations(args.impls, args.compare_with)
    except ValueError as error:
        sys.exit(f"Invalid --rows or --impls: {error}")
    implementations, descriptions, skipped, failures = probe_all(requested, rows)
    if not implementations:
        sys.exit("No implementation could be imported; install the packages in "
                 "benches/requirements.txt.")

    timings, benchmarks = time_rows(rows, implementations, failures, args)
    if args.output and benchmarks:
        pyperf.BenchmarkSuite(benchmarks).dump(args.output)

    cycles = None
    memory: Dict[str, dict] = {}
    if not args.no_memory:
        cycles = args.cycles or (SMOKE_CYCLES if args.smoke else FULL_CYCLES)
        memory = measure_memory(implementations, cycles)

    text = build_report(args, rows, implementations, timings, failures, memory,
                        descriptions, skipped, cycles)
    print()
    print(text)
    if args.report:
        with open(args.report, "w") as output:
            output.write(text)


if __name__ == "__main__":
    main()
