"""Render the suite's figures as markdown: timing table, targets, memory.

Times are in nanoseconds per statement. A ratio ``A / B`` below 1 means A
is faster. Targets are reported with PASS or MISS and never change the
exit code.
"""

import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import proxy_cases as cases

# (row key, implementation key) -> seconds per statement.
Timings = Dict[Tuple[str, str], float]

# A leak in every cycle adds at least 16 bytes, the size of the smallest
# Python object, so growth below one byte per cycle cannot come from one.
GROWTH_LIMIT_PER_CYCLE = 1.0


def format_ns(seconds: Optional[float]) -> str:
    if seconds is None:
        return "–"
    ns = seconds * 1e9
    return f"{ns:,.1f}" if ns < 1000 else f"{ns:,.0f}"


def format_ratio(ratio: Optional[float]) -> str:
    return "–" if ratio is None else f"{ratio:.2f}"


def ratio(numerator: Optional[float], denominator: Optional[float]) -> Optional[float]:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def markdown_table(header: Sequence[str], lines: Sequence[Sequence[str]]) -> List[str]:
    def format_line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    separator = ["---"] + ["--:"] * (len(header) - 1)
    return [format_line(header), "| " + " | ".join(separator) + " |"] + [
        format_line(line) for line in lines]


def fastest_wrapper(timings: Timings, row_key: str) -> Optional[float]:
    """Return the time of the fastest of wrapt, zope.proxy and lazy-object-proxy."""
    times = [timings[(row_key, kind)] for kind in cases.WRAPPER_KINDS
             if (row_key, kind) in timings]
    return min(times) if times else None


def mx_implementations(implementations: Sequence[cases.Implementation]) -> List[cases.Implementation]:
    return [implementation for implementation in implementations if implementation.kind == cases.MX]


def timing_table(rows: Sequence[cases.Row], implementations: Sequence[cases.Implementation],
                 timings: Timings, failures: Dict[Tuple[str, str], str]) -> List[str]:
    """Return the table of ns per statement, one column per implementation.

    A cell is n/a when the implementation cannot perform the row's operation.
    A numbered n/a points to the error that the probe raised.
    """
    mx_builds = mx_implementations(implementations)
    header = ["Operation"] + [implementation.label for implementation in implementations]
    reference = mx_builds[0] if mx_builds else None
    if reference:
        header += [f"{reference.label} / weakref.proxy", f"{reference.label} / fastest wrapper"]
        header += [f"{reference.label} / {other.label}" for other in mx_builds[1:]]

    notes: List[str] = []
    lines = []
    for row in rows:
        cells = [row.title]
        for implementation in implementations:
            cell_key = (row.key, implementation.key)
            if cell_key in timings and row.entries:
                per_entry = timings[cell_key] * 1e9 / row.entries
                cells.append(f"{format_ns(timings[cell_key])} ({per_entry:.2f} per entry)")
            elif cell_key in timings:
                cells.append(format_ns(timings[cell_key]))
            elif cell_key in failures:
                notes.append(f"{implementation.label} on {row.title}: {failures[cell_key]}")
                cells.append(f"n/a [{len(notes)}]")
            elif row.supports(implementation):
                cells.append("–")
            else:
                cells.append("n/a")
        if reference:
            mine = timings.get((row.key, reference.key))
            cells.append(format_ratio(ratio(mine, timings.get((row.key, cases.WEAKREF)))))
            cells.append(format_ratio(ratio(mine, fastest_wrapper(timings, row.key))))
            for other in mx_builds[1:]:
                cells.append(format_ratio(ratio(mine, timings.get((row.key, other.key)))))
        lines.append(cells)

    output = markdown_table(header, lines)
    if notes:
        output.append("")
        output += [f"[{number}] {note}" for number, note in enumerate(notes, 1)]
    return output


@dataclass(frozen=True)
class Target:
    """A figure that the project sets a maximum for. Lower values are better."""

    title: str
    limit: float
    # (timings, memory of one build, build key) -> value, or None if unmeasured.
    compute: Callable[[Timings, dict, str], Optional[float]]
    unit: str = ""


def _time_ratio(row_key: str, reference_row: str, reference_impl: Optional[str]) -> Callable:
    """Build a target function: build's time on ``row_key`` over
    ``reference_impl``'s time on ``reference_row`` (the build itself if None).
    """
    def compute(timings: Timings, memory: dict, build: str) -> Optional[float]:
        reference = timings.get((reference_row, reference_impl or build))
        return ratio(timings.get((row_key, build)), reference)
    return compute


def _slot_ratio(row_key: str) -> Callable:
    def compute(timings: Timings, memory: dict, build: str) -> Optional[float]:
        return ratio(timings.get((row_key, build)), fastest_wrapper(timings, row_key))
    return compute


def _checkweakrefs_per_entry(timings: Timings, memory: dict, build: str) -> Optional[float]:
    seconds = timings.get(("checkweakrefs", build))
    if seconds is None:
        return None
    return seconds * 1e9 / cases.ROWS_BY_KEY["checkweakrefs"].entries


def _proxy_size(memory: dict, build: str) -> Optional[float]:
    return memory.get("sizeof", {}).get("Proxy(obj)")


def _maximum_growth(field: str) -> Callable:
    """Build a target function: the largest growth per cycle over all cases."""
    def compute(timings: Timings, memory: dict, build: str) -> Optional[float]:
        values = [case[field] / case["cycles"] for case in memory.get("growth", [])
                  if case[field] is not None]
        return max(values) if values else None
    return compute


def build_targets() -> List[Target]:
    weak = cases.WEAKREF
    targets = [
        Target("`Proxy(obj)` / `weakref.proxy(obj)`, creation", 1.5,
               _time_ratio("create", "create", weak)),
        Target("`Proxy(obj, tuple)` / `weakref.proxy(obj)`, creation", 2.0,
               _time_ratio("create_tuple_interface", "create", weak)),
        Target("`Proxy(obj, dict)` / `weakref.proxy(obj)`, creation", 2.0,
               _time_ratio("create_dict_interface", "create", weak)),
        Target("`WeakProxy(obj)` / `weakref.proxy(obj)`, creation", 1.5,
               _time_ratio("create_weak", "create_weak", weak)),
        Target("`p.a` / weakref.proxy `p.a`", 1.0, _time_ratio("getattr", "getattr", weak)),
        Target("restricted `p.a` / unrestricted `p.a`", 1.15,
               _time_ratio("getattr_restricted", "getattr", None)),
        Target("`p.m()` / weakref.proxy `p.m()`", 1.0,
               _time_ratio("call_method", "call_method", weak)),
        Target("weak `p.a`, native weak reference / weakref.proxy `p.a`", 1.1,
               _time_ratio("getattr_weak", "getattr_weak", weak)),
    ]
    for row_key in cases.SLOT_ROW_KEYS:
        title = cases.ROWS_BY_KEY[row_key].title
        targets.append(Target(f"{title} / fastest wrapper", 1.0, _slot_ratio(row_key)))
    targets += [
        Target("`checkweakrefs()` per live registry entry", 4.0, _checkweakrefs_per_entry, " ns"),
        Target("`sys.getsizeof(Proxy(obj))`", 104, lambda timings, memory, build:
               _proxy_size(memory, build), " bytes"),
        Target("largest tracemalloc growth per create/destroy cycle", GROWTH_LIMIT_PER_CYCLE,
               _maximum_growth("tracemalloc"), " bytes"),
        Target("largest RSS growth per create/destroy cycle", GROWTH_LIMIT_PER_CYCLE,
               _maximum_growth("rss"), " bytes"),
    ]
    return targets


def format_figure(value: float, unit: str) -> str:
    if unit == " bytes" and value == int(value):
        return f"{int(value)} byte" if value == 1 else f"{int(value)}{unit}"
    return f"{value:.2f}{unit}"


def targets_table(implementations: Sequence[cases.Implementation], timings: Timings,
                  memory: Dict[str, dict]) -> List[str]:
    builds = mx_implementations(implementations)
    header = ["Figure", "Target"]
    for build in builds:
        header += [build.label, "Result"]
    lines = []
    for target in build_targets():
        cells = [target.title, f"<= {format_figure(target.limit, target.unit)}"]
        for build in builds:
            value = target.compute(timings, memory.get(build.key, {}), build.key)
            if value is None:
                cells += ["–", "not measured"]
            else:
                cells += [format_figure(value, target.unit),
                          "PASS" if value <= target.limit else "MISS"]
        lines.append(cells)
    return markdown_table(header, lines)


def memory_tables(implementations: Sequence[cases.Implementation],
                  memory: Dict[str, dict]) -> List[str]:
    size_lines = []
    growth_lines = []
    for implementation in implementations:
        results = memory.get(implementation.key)
        if not results:
            continue
        for label, size in results["sizeof"].items():
            size_lines.append([implementation.label, label, str(size)])
        for case in results["growth"]:
            rss = "–" if case["rss"] is None else f"{case['rss']:,}"
            growth_lines.append([implementation.label, case["case"], f"{case['cycles']:,}",
                                 f"{case['tracemalloc']:,}", rss])
    if not size_lines:
        return ["Memory figures were not measured."]
    output = ["`sys.getsizeof` of one proxy, in bytes:", ""]
    output += markdown_table(["Implementation", "Object", "Bytes"], size_lines)
    output += ["", "Memory growth over the cycles after a warm-up, in bytes:", ""]
    output += markdown_table(["Implementation", "Cycle statement", "Cycles",
                              "tracemalloc", "RSS"], growth_lines)
    return output


def machine_description() -> List[str]:
    """Return lines naming the CPU, core count, OS and Python."""
    model = platform.processor() or "unknown CPU"
    if shutil.which("lscpu"):
        output = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in output.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    return [
        f"- CPU: {model}, {os.cpu_count()} logical CPUs",
        f"- OS: {platform.platform()}",
        f"- Python: {sys.version.split()[0]} ({platform.python_implementation()}, "
        f"{sys.executable})",
    ]


def implementation_lines(implementations: Sequence[cases.Implementation],
                         descriptions: Dict[str, dict], skipped: Dict[str, str]) -> List[str]:
    output = []
    for implementation in implementations:
        info = descriptions.get(implementation.key, {})
        where = f", {info['location']}" if info.get("location") else ""
        output.append(f"- {implementation.label}: {info.get('version', 'unknown')}{where}")
    for label, reason in skipped.items():
        output.append(f"- {label}: skipped, {reason}")
    return output
