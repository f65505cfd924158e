"""Time a group of rows for several implementations in one process, interleaved.

bench_proxy.py starts this script once per worker process. Every
(row, implementation) cell of the group runs in this interpreter, and the
values alternate between the cells (the order rotates each round), so a
change in machine load during the run affects every cell alike. Ratios
between cells of one group, within a row or across rows, stay comparable.

With ``--calibrate`` it prints ``{"loops": {"ROW/IMPLEMENTATION": loops}}``:
for each cell the smallest power of two whose timing lasts at least
``--min-time`` seconds, as pyperf calibrates. Otherwise it prints a pyperf
benchmark suite in JSON with one run per cell, named ``ROW/IMPLEMENTATION``.
"""

import argparse
import json
import sys
from typing import Callable, Dict, List, Optional, Tuple

import pyperf

import proxy_cases as cases

# Calibration stops doubling here even if a timing is still short.
MAX_LOOPS = 2 ** 32


# One timed cell: its benchmark name, row and compiled time function.
Cell = Tuple[str, cases.Row, Callable[[int], float]]


def parse_loops(text: str) -> Dict[str, int]:
    """Parse ``NAME=loops,NAME=loops`` as written by the manager."""
    loops = {}
    for item in text.split(","):
        name, _, count = item.partition("=")
        loops[name] = int(count)
    return loops


def build_cells(row_keys: str, implementation_keys: str, skip: str,
                mx_path: Optional[str]) -> List[Cell]:
    """Compile every supported (row, implementation) pair not in ``skip``."""
    skipped = set(filter(None, skip.split(",")))
    implementations = [cases.make_implementation(key, mx_path)
                       for key in implementation_keys.split(",")]
    cells = []
    for row in cases.select_rows(row_keys):
        for implementation in implementations:
            name = f"{row.key}/{implementation.key}"
            if row.supports(implementation) and name not in skipped:
                cells.append((name, row, cases.make_time_function(row, implementation)))
    return cells


def calibrate(cells: List[Cell], min_time: float) -> Dict[str, int]:
    loops = {}
    for name, _, time_function in cells:
        count = 1
        while time_function(count) < min_time and count < MAX_LOOPS:
            count *= 2
        loops[name] = count
    return loops


def measure(cells: List[Cell], loops: Dict[str, int], warmups: int,
            values: int) -> pyperf.BenchmarkSuite:
    """Return a suite with one run per cell."""
    warmup_values: Dict[str, list] = {name: [] for name, _, _ in cells}
    timed_values: Dict[str, list] = {name: [] for name, _, _ in cells}
    for round_index in range(warmups + values):
        shift = round_index % len(cells)
        for name, row, time_function in cells[shift:] + cells[:shift]:
            value = time_function(loops[name]) / (loops[name] * row.duplicate)
            if round_index < warmups:
                warmup_values[name].append((loops[name], value))
            else:
                timed_values[name].append(value)

    # Only the first run collects the machine's metadata through pyperf. The
    # other runs of this process copy it.
    machine_metadata: Optional[dict] = None
    benchmarks = []
    for name, row, _ in cells:
        metadata = {"name": name, "loops": loops[name], "inner_loops": row.duplicate,
                    "statement": row.stmt.replace("\n", "; ")}
        if machine_metadata is not None:
            metadata = dict(machine_metadata, **metadata)
        run = pyperf.Run(timed_values[name], warmups=warmup_values[name] or None,
                         metadata=metadata, collect_metadata=machine_metadata is None)
        if machine_metadata is None:
            machine_metadata = {key: value for key, value in run.get_metadata().items()
                                if key not in metadata}
        benchmarks.append(pyperf.Benchmark([run]))
    return pyperf.BenchmarkSuite(benchmarks)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", required=True, help="comma-separated row keys")
    parser.add_argument("--impls", required=True, help="comma-separated implementations")
    parser.add_argument("--skip", default="",
                        help="comma-separated ROW/IMPLEMENTATION cells to leave out")
    parser.add_argument("--mx-path", default=None,
                        help="directory holding the compared mx.Proxy build")
    parser.add_argument("--calibrate", action="store_true",
                        help="print the loop counts instead of timing")
    parser.add_argument("--loops", default=None,
                        help="loops per cell, ROW/IMPLEMENTATION=N,...")
    parser.add_argument("--warmups", type=int, default=1,
                        help="warm-up values per cell (default: 1)")
    parser.add_argument("--values", type=int, default=3,
                        help="timed values per cell (default: 3)")
    parser.add_argument("--min-time", type=float, default=0.1,
                        help="minimum seconds per value when calibrating")
    args = parser.parse_args(argv)

    cells = build_cells(args.rows, args.impls, args.skip, args.mx_path)
    if not cells:
        sys.exit(f"no row of {args.rows} supports any of {args.impls}")
    if args.calibrate:
        print(json.dumps({"loops": calibrate(cells, args.min_time)}))
        return
    if not args.loops:
        sys.exit("--loops is required unless --calibrate is given")
    suite = measure(cells, parse_loops(args.loops), args.warmups, args.values)
    suite.dump(sys.stdout)


if __name__ == "__main__":
    main()
