"""Measure proxy sizes and memory growth for one implementation.

Run by bench_proxy.py in a fresh process per implementation, so that a
compared mx.Proxy build never shares an interpreter with the installed one.
Prints one JSON object:

- ``sizeof``: object label -> ``sys.getsizeof`` in bytes.
- ``growth``: a list of ``{"case", "cycles", "tracemalloc", "rss"}``. Each
  case runs a create/use/destroy statement ``cycles`` times after a warm-up.
  ``tracemalloc`` is the growth in bytes of the memory traced by Python's
  allocators, ``rss`` the growth of the resident set size in bytes (None
  where /proc/self/statm is missing). Memory that the extension takes from
  malloc directly is visible in ``rss`` only.
"""

import argparse
import gc
import itertools
import json
import os
import sys
import textwrap
import tracemalloc
from typing import Callable, List, Optional, Tuple

import proxy_cases as cases

# Cycles run before the first measurement, so free lists, caches and the
# registry reach their steady size.
WARMUP_CYCLES = 10_000

INTERFACE_SETUP = "interface = {'a': None, 'm': None}"

# (label, extra setup, statement) for mx.Proxy builds. PLAIN_OBJECT and
# SLOTS_OBJECT are in scope as ``obj`` and ``slotted``.
MX_GROWTH_CASES = [
    ("Proxy(obj)", "", "Proxy(obj)"),
    ("Proxy(obj, ('a', 'm'))", "", "Proxy(obj, ('a', 'm'))"),
    ("Proxy(obj, {'a': None, 'm': None})", INTERFACE_SETUP, "Proxy(obj, interface)"),
    ("Proxy(obj).a", "", "Proxy(obj).a"),
    ("Proxy(obj).m()", "", "Proxy(obj).m()"),
    ("denied Proxy(obj, ('a', 'm')).b", "",
     "try:\n    Proxy(obj, ('a', 'm')).b\nexcept AttributeError:\n    pass"),
    ("WeakProxy(obj), native weak reference", "", "WeakProxy(obj)"),
    ("WeakProxy(obj).a, native weak reference", "", "WeakProxy(obj).a"),
    ("WeakProxy(items), registry", "items = [1, 2, 3]", "WeakProxy(items)"),
    ("WeakProxy(slotted).a, registry", "", "WeakProxy(slotted).a"),
    # The object dies with its only proxy, so the registry must release it.
    ("WeakProxy([]), registry, object freed", "", "WeakProxy([])"),
]

MX_SIZE_CASES = [
    ("Proxy(obj)", "Proxy(obj)"),
    ("Proxy(obj, ('a', 'm'))", "Proxy(obj, ('a', 'm'))"),
    ("Proxy(obj, {'a': None, 'm': None})", "Proxy(obj, {'a': None, 'm': None})"),
    ("WeakProxy(obj), native weak reference", "WeakProxy(obj)"),
    ("WeakProxy(items), registry", "WeakProxy(items)"),
]

PEER_CREATION = {
    cases.WEAKREF: "make(obj)",
    cases.WRAPT: "make(obj)",
    cases.ZOPE: "make(obj)",
    cases.LAZY: "make(factory_for(obj))",
}


def resident_set_size() -> Optional[int]:
    """Return the current resident set size in bytes, or None off Linux."""
    try:
        with open("/proc/self/statm") as statm:
            resident_pages = int(statm.read().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


# Allocations made in these files are the measurement's own: the readings and
# snapshots that it keeps alive.
MEASUREMENT_FILES = {__file__, os.path.abspath(__file__), tracemalloc.__file__}


def traced_bytes() -> int:
    """Return the bytes traced by tracemalloc, less the measurement's own."""
    snapshot = tracemalloc.take_snapshot()
    return sum(trace.size for trace in snapshot.traces
               if trace.traceback[0].filename not in MEASUREMENT_FILES)


def build_case(import_code: str, extra_setup: str, stmt: str) -> Callable:
    """Compile a function ``run(warmup, cycles, measure)`` for one case.

    It runs the setup once, the statement ``warmup`` times, then returns the
    readings of ``measure()`` taken before and after ``cycles`` more runs.
    """
    setup = "\n".join(part for part in (
        import_code, cases.PLAIN_OBJECT,
        cases.SLOTS_OBJECT.replace("obj = Slotted()", "slotted = Slotted()"),
        extra_setup) if part)
    loop = textwrap.indent(stmt, "        ")
    source = (
        "def run(warmup, cycles, measure):\n"
        + textwrap.indent(setup, "    ") + "\n"
        + "    for _ in repeat(None, warmup):\n" + loop + "\n"
        # Create the iterator before the first reading, so both see it.
        + "    iterations = repeat(None, cycles)\n"
        + "    before = measure()\n"
        + "    for _ in iterations:\n" + loop + "\n"
        + "    return before, measure()\n"
    )
    namespace: dict = {"repeat": itertools.repeat}
    exec(compile(source, "<memory case>", "exec"), namespace)
    return namespace["run"]


def measure_growth(run: Callable, cycles: int) -> Tuple[int, Optional[int]]:
    """Return (tracemalloc growth, RSS growth) in bytes over ``cycles``.

    RSS is read in a run without tracemalloc, whose own bookkeeping would
    add to it.
    """
    def rss_reading() -> Optional[int]:
        gc.collect()
        return resident_set_size()

    rss_before, rss_after = run(WARMUP_CYCLES, cycles, rss_reading)
    rss_growth = None if rss_before is None else rss_after - rss_before

    def traced_reading() -> int:
        gc.collect()
        return traced_bytes()

    tracemalloc.start()
    try:
        traced_before, traced_after = run(WARMUP_CYCLES, cycles, traced_reading)
    finally:
        tracemalloc.stop()
    return traced_after - traced_before, rss_growth


def measure_sizes(implementation: cases.Implementation) -> dict:
    namespace: dict = {}
    setup = "\n".join(part for part in (implementation.import_code, cases.PLAIN_OBJECT,
                                         "items = [1, 2, 3]") if part)
    exec(compile(setup, "<size setup>", "exec"), namespace)
    if implementation.kind == cases.MX:
        size_cases = MX_SIZE_CASES
    else:
        size_cases = [(f"{implementation.label} of obj", PEER_CREATION[implementation.kind])]
    return {label: sys.getsizeof(eval(expression, namespace))
            for label, expression in size_cases}


def growth_cases(implementation: cases.Implementation) -> List[Tuple[str, str, str]]:
    if implementation.kind == cases.MX:
        return MX_GROWTH_CASES
    return [(f"{implementation.label} of obj", "", PEER_CREATION[implementation.kind])]


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", required=True,
                        choices=[key for key in cases.IMPLEMENTATION_ORDER if key != cases.BARE])
    parser.add_argument("--mx-path", default=None,
                        help="directory holding the compared mx.Proxy build")
    parser.add_argument("--cycles", type=int, default=1_000_000,
                        help="create/destroy cycles per growth case (default: 1,000,000)")
    args = parser.parse_args(argv)

    implementation = cases.make_implementation(args.impl, args.mx_path)
    growth = []
    for label, extra_setup, stmt in growth_cases(implementation):
        run = build_case(implementation.import_code, extra_setup, stmt)
        traced, rss = measure_growth(run, args.cycles)
        growth.append({"case": label, "cycles": args.cycles,
                       "tracemalloc": traced, "rss": rss})
    print(json.dumps({"sizeof": measure_sizes(implementation), "growth": growth}))


if __name__ == "__main__":
    main()
