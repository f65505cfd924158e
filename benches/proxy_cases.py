"""Implementations and benchmark rows shared by every mode of the suite.

A row is one operation: a statement, the objects it works on, and for each
kind of implementation the lines that bind the names the statement uses.
The statement text is the same for every implementation, and only those
preparation lines differ. An implementation that a row has no preparation
for cannot perform the operation, and the report marks that cell n/a.

Run as a script, this module probes one implementation in a fresh process
(see ``probe_main``), so that two ``mx`` packages never meet in one
interpreter.
"""

import argparse
import itertools
import json
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

# Kinds of implementation. A build given with --compare-with is of kind MX too.
BARE = "bare"
MX = "mx"
WEAKREF = "weakref"
WRAPT = "wrapt"
ZOPE = "zope"
LAZY = "lazy"

# Keys of the implementations, in the order of the report's columns. OTHER is
# the mx.Proxy build loaded from the --compare-with directory.
OTHER = "mx-other"
IMPLEMENTATION_ORDER = (BARE, MX, OTHER, WEAKREF, WRAPT, ZOPE, LAZY)

# General-purpose proxy libraries that forward every operation. The slot
# targets compare mx.Proxy with the fastest of them.
WRAPPER_KINDS = (WRAPT, ZOPE, LAZY)

MX_IMPORT = "from mx.Proxy import Proxy, WeakProxy, checkweakrefs"

# Each peer binds ``make`` to its constructor. lazy-object-proxy takes a
# factory instead of the object; ``factory_for`` builds one without making
# the benchmark's own locals closure cells.
PEER_IMPORTS = {
    BARE: "",
    WEAKREF: "from weakref import proxy as make",
    WRAPT: textwrap.dedent(
        """\
        try:
            from wrapt._wrappers import ObjectProxy as make
        except ImportError:
            from wrapt import ObjectProxy as make"""
    ),
    ZOPE: "from zope.proxy import ProxyBase as make",
    LAZY: textwrap.dedent(
        """\
        from lazy_object_proxy.cext import Proxy as make
        def factory_for(value):
            return lambda: value"""
    ),
}

LABELS = {
    BARE: "bare object",
    MX: "mx.Proxy",
    WEAKREF: "weakref.proxy",
    WRAPT: "wrapt",
    ZOPE: "zope.proxy",
    LAZY: "lazy-object-proxy",
}

# Lines that build ``info``, a JSON description of an imported
# implementation. They run after the import lines, in the probe process
# only, with ``package_version`` defined by PACKAGE_VERSION_CODE.
PACKAGE_VERSION_CODE = textwrap.dedent(
    """\
    def package_version(*names):
        # Python 3.9 finds a distribution only under its exact metadata name.
        from importlib.metadata import PackageNotFoundError, version
        for name in names:
            try:
                return version(name)
            except PackageNotFoundError:
                pass
        return 'unknown'"""
)

DESCRIBE_CODE = {
    BARE: "info = {'version': sys.version.split()[0]}",
    MX: textwrap.dedent(
        """\
        import mx.Proxy
        info = {'version': getattr(mx.Proxy, '__version__', 'unknown'),
                'location': os.path.dirname(mx.Proxy.__file__)}"""
    ),
    WEAKREF: "info = {'version': sys.version.split()[0]}",
    WRAPT: textwrap.dedent(
        """\
        import wrapt
        info = {'version': wrapt.__version__,
                'location': make.__module__ + '.' + make.__qualname__}"""
    ),
    ZOPE: textwrap.dedent(
        """\
        import zope.proxy
        info = {'version': package_version('zope.proxy', 'zope_proxy'),
                'location': 'C' if zope.proxy._c_available else 'pure Python'}"""
    ),
    LAZY: textwrap.dedent(
        """\
        info = {'version': package_version('lazy-object-proxy', 'lazy_object_proxy'),
                'location': 'lazy_object_proxy.cext.Proxy'}"""
    ),
}


@dataclass(frozen=True)
class Implementation:
    """One column of the report: a proxy type, or the bare object."""

    key: str
    kind: str
    label: str
    import_code: str
    # Directory put first on sys.path before importing mx.Proxy, or None for
    # the mx.Proxy that the interpreter finds by itself.
    mx_path: Optional[str] = None


def make_implementation(key: str, mx_path: Optional[str] = None) -> Implementation:
    """Build the implementation named ``key``. OTHER also needs ``mx_path``."""
    if key == OTHER:
        if not mx_path:
            raise ValueError("the compared mx.Proxy build needs a directory")
        import_code = f"import sys\nsys.path.insert(0, {mx_path!r})\n{MX_IMPORT}"
        label = "mx@" + os.path.basename(os.path.normpath(mx_path))
        return Implementation(OTHER, MX, label, import_code, mx_path)
    if key == MX:
        return Implementation(MX, MX, LABELS[MX], MX_IMPORT)
    if key in PEER_IMPORTS:
        return Implementation(key, key, LABELS[key], PEER_IMPORTS[key])
    raise ValueError(f"unknown implementation {key!r}; expected one of "
                     + ", ".join(IMPLEMENTATION_ORDER))


def select_implementations(keys: str, mx_path: Optional[str]) -> List[Implementation]:
    """Return the implementations named in the comma-separated ``keys``.

    ``"all"`` names every implementation except OTHER, which is added
    whenever ``mx_path`` is given. The result follows IMPLEMENTATION_ORDER.
    Raises ValueError for an unknown key.
    """
    if keys == "all":
        selected = {key for key in IMPLEMENTATION_ORDER if key != OTHER}
    else:
        selected = {key.strip() for key in keys.split(",") if key.strip()}
    for key in selected - set(IMPLEMENTATION_ORDER):
        make_implementation(key)  # raises ValueError naming the valid keys
    if mx_path:
        selected.add(OTHER)
    return [make_implementation(key, mx_path) for key in IMPLEMENTATION_ORDER
            if key in selected]


@dataclass(frozen=True)
class Row:
    """One benchmarked operation."""

    key: str
    group: str
    # Markdown text of the report's first column.
    title: str
    stmt: str
    # Lines that create ``obj`` and anything else every implementation shares.
    objects: str
    # Kind of implementation -> lines binding the names ``stmt`` uses.
    prepare: Dict[str, str] = field(default_factory=dict)
    # How many copies of ``stmt`` run per timed loop iteration, so that the
    # loop's own cost is spread over several operations.
    duplicate: int = 10
    # Live registry entries that the statement scans (checkweakrefs only).
    entries: int = 0

    def supports(self, implementation: Implementation) -> bool:
        return implementation.kind in self.prepare

    def setup_code(self, implementation: Implementation) -> str:
        """Return the untimed lines that run before ``stmt`` in one process."""
        parts = [implementation.import_code, self.objects,
                 self.prepare[implementation.kind]]
        return "\n".join(part for part in parts if part)


def loop_source(setup: str, stmt: str, function_name: str = "run_loop") -> str:
    """Return the source of a function that runs ``setup`` once, then
    ``stmt`` ``loops`` times.

    The statement runs on local variables inside a function, as in pyperf's
    timeit template, so its cost matches the timed figures.
    """
    return (f"def {function_name}(loops):\n"
            + textwrap.indent(setup, "    ") + "\n"
            + "    for _ in range(loops):\n"
            + textwrap.indent(stmt, "        ") + "\n")


def make_time_function(row: Row, implementation: Implementation) -> Callable[[int], float]:
    """Compile ``time_function(loops)`` for timing_worker.py.

    The function runs the row's setup, then times ``loops`` iterations of
    ``row.duplicate`` copies of the statement with time.perf_counter and
    returns the elapsed seconds, as pyperf's timeit does. The caller divides
    by the loops and by ``row.duplicate``.
    """
    body = "\n".join([row.stmt] * row.duplicate)
    source = (
        "def time_function(loops):\n"
        + textwrap.indent(row.setup_code(implementation), "    ") + "\n"
        + "    iterations = repeat(None, loops)\n"
        + "    start = perf_counter()\n"
        + "    for _ in iterations:\n"
        + textwrap.indent(body, "        ") + "\n"
        + "    return perf_counter() - start\n"
    )
    namespace = {"repeat": itertools.repeat, "perf_counter": time.perf_counter}
    filename = f"<benchmark {row.key}/{implementation.key}>"
    exec(compile(source, filename, "exec"), namespace)
    return namespace["time_function"]


PLAIN_OBJECT = textwrap.dedent(
    """\
    class Plain:
        def __init__(self):
            self.a = 1
        def m(self):
            return 1
    obj = Plain()"""
)

# Instances have neither __dict__ nor __weakref__, so WeakProxy takes the
# registry path for them.
SLOTS_OBJECT = textwrap.dedent(
    """\
    class Slotted:
        __slots__ = ("a",)
        def __init__(self):
            self.a = 1
    obj = Slotted()"""
)

RESTRICTED_PROXY = "p = Proxy(obj, ('a', 'm'))"

# wrapt's ObjectProxy does not forward calls; wrapt offers CallableObjectProxy
# for callables, so the call row uses that class.
WRAPT_CALLABLE_PROXY = textwrap.dedent(
    """\
    try:
        from wrapt._wrappers import CallableObjectProxy
    except ImportError:
        from wrapt import CallableObjectProxy
    p = CallableObjectProxy(obj)"""
)


def wrap_in_every_proxy(mx_code: str = "p = Proxy(obj)", weakref: bool = True) -> Dict[str, str]:
    """Return preparation lines that bind ``p`` to ``obj`` wrapped by each kind.

    weakref.proxy only takes objects with native weak-reference support, so
    rows on built-in objects pass ``weakref=False``.
    """
    prepare = {
        BARE: "p = obj",
        MX: mx_code,
        WRAPT: "p = make(obj)",
        ZOPE: "p = make(obj)",
        # Resolve the factory once so the timed statement never calls it.
        LAZY: "p = make(factory_for(obj))\np.__wrapped__",
    }
    if weakref:
        prepare[WEAKREF] = "p = make(obj)"
    return prepare


def _creation_rows() -> List[Row]:
    return [
        Row("create", "creation", "`Proxy(obj)`", "make(arg)", PLAIN_OBJECT, {
            MX: "make = Proxy\narg = obj",
            WEAKREF: "arg = obj",
            WRAPT: "arg = obj",
            ZOPE: "arg = obj",
            LAZY: "arg = factory_for(obj)",
        }),
        Row("create_tuple_interface", "creation", "`Proxy(obj, ('a', 'm'))`",
            "make(arg, interface)", PLAIN_OBJECT, {
                MX: "make = Proxy\narg = obj\ninterface = ('a', 'm')",
            }),
        Row("create_dict_interface", "creation", "`Proxy(obj, {'a': None, 'm': None})`",
            "make(arg, interface)", PLAIN_OBJECT, {
                MX: "make = Proxy\narg = obj\ninterface = {'a': None, 'm': None}",
            }),
        Row("create_weak", "creation", "`WeakProxy(obj)`, native weak reference",
            "make(arg)", PLAIN_OBJECT, {
                MX: "make = WeakProxy\narg = obj",
                WEAKREF: "arg = obj",
            }),
        Row("create_weak_list", "creation", "`WeakProxy(obj)`, registry, `obj` a list",
            "make(arg)", "obj = [1, 2, 3]", {
                MX: "make = WeakProxy\narg = obj",
            }),
        Row("create_weak_slots", "creation",
            "`WeakProxy(obj)`, registry, `obj` a `__slots__` instance",
            "make(arg)", SLOTS_OBJECT, {
                MX: "make = WeakProxy\narg = obj",
            }),
    ]


def _attribute_rows() -> List[Row]:
    return [
        Row("getattr", "attribute", "`p.a`", "p.a", PLAIN_OBJECT, wrap_in_every_proxy()),
        Row("getattr_restricted", "attribute", "`p.a`, `'a'` granted by the interface",
            "p.a", PLAIN_OBJECT, {MX: RESTRICTED_PROXY}),
        Row("getattr_weak", "attribute", "`p.a`, weak proxy, native weak reference",
            "p.a", PLAIN_OBJECT, {MX: "p = WeakProxy(obj)", WEAKREF: "p = make(obj)"}),
        Row("getattr_weak_slots", "attribute", "`p.a`, weak proxy, registry",
            "p.a", SLOTS_OBJECT, {MX: "p = WeakProxy(obj)"}),
        Row("call_method", "attribute", "`p.m()`", "p.m()", PLAIN_OBJECT,
            wrap_in_every_proxy()),
        # mx.Proxy denies 'b' because the interface lacks it; every other
        # column raises because the object has no attribute 'b'.
        Row("getattr_denied", "attribute", "`p.b` raising `AttributeError`, caught",
            "try:\n    p.b\nexcept AttributeError:\n    pass", PLAIN_OBJECT,
            wrap_in_every_proxy(mx_code=RESTRICTED_PROXY)),
    ]


def _slot_rows() -> List[Row]:
    sequence = "obj = [1, 2, 3]"
    number = "obj = 5"
    builtin_wrappers = wrap_in_every_proxy(weakref=False)
    return [
        Row("len", "slot", "`len(p)`", "len(p)", sequence, builtin_wrappers),
        Row("getitem", "slot", "`p[0]`", "p[0]", sequence, builtin_wrappers),
        Row("setitem", "slot", "`p[0] = 1`", "p[0] = 1", sequence, builtin_wrappers),
        Row("add_left", "slot", "`p + 1`", "p + 1", number, builtin_wrappers),
        Row("add_right", "slot", "`1 + p`", "1 + p", number, builtin_wrappers),
        # Rebinding q from p each time keeps every implementation on the same
        # object, whether its in-place operator returns the proxy or the
        # wrapped list.
        Row("iadd", "slot", "`q = p; q += ()`", "q = p\nq += ()", sequence,
            builtin_wrappers),
        Row("hash", "slot", "`hash(p)`", "hash(p)", number, builtin_wrappers),
        Row("compare", "slot", "`p == 5`", "p == 5", number, builtin_wrappers),
        Row("call", "slot", "`p(-1)`, `obj` is `abs`", "p(-1)", "obj = abs",
            dict(builtin_wrappers, **{WRAPT: WRAPT_CALLABLE_PROXY})),
        Row("iterate", "slot", "`for item in p: pass`, 3 items",
            "for item in p:\n    pass", sequence, builtin_wrappers),
    ]


# Live universal registry entries while checkweakrefs() is timed.
REGISTRY_ENTRIES = 10_000


def _registry_rows() -> List[Row]:
    return [
        Row("checkweakrefs", "registry",
            f"`checkweakrefs()`, {REGISTRY_ENTRIES:,} live registry entries",
            "checkweakrefs()", f"objs = [[i] for i in range({REGISTRY_ENTRIES})]",
            {MX: "proxies = [WeakProxy(o) for o in objs]"},
            duplicate=1, entries=REGISTRY_ENTRIES),
    ]


ROWS: List[Row] = _creation_rows() + _attribute_rows() + _slot_rows() + _registry_rows()
ROWS_BY_KEY = {row.key: row for row in ROWS}
SLOT_ROW_KEYS = [row.key for row in ROWS if row.group == "slot"]


def select_rows(keys: Optional[str]) -> List[Row]:
    """Return the rows named in the comma-separated ``keys``, or all rows."""
    if not keys:
        return list(ROWS)
    selected = []
    for key in keys.split(","):
        key = key.strip()
        if key not in ROWS_BY_KEY:
            raise ValueError(f"unknown row {key!r}; expected one of "
                             + ", ".join(ROWS_BY_KEY))
        selected.append(ROWS_BY_KEY[key])
    return selected


def probe_source(implementation: Implementation, rows: List[Row]) -> str:
    """Return a script that imports ``implementation``, runs each row's
    statement once and prints a JSON description with the rows that failed.
    """
    lines = ["import json, os, sys, traceback", "failures = {}"]
    for row in rows:
        if not row.supports(implementation):
            continue
        lines.append(loop_source(row.setup_code(implementation), row.stmt))
        lines.append(textwrap.dedent(
            f"""\
            try:
                run_loop(1)
            except Exception as exc:
                failures[{row.key!r}] = f'{{type(exc).__name__}}: {{exc}}'"""
        ))
    lines.append(implementation.import_code)
    lines.append(PACKAGE_VERSION_CODE)
    lines.append(DESCRIBE_CODE[implementation.kind])
    lines.append("info['failures'] = failures")
    lines.append("print(json.dumps(info))")
    return "\n".join(line for line in lines if line)


def probe_main(argv: Optional[List[str]] = None) -> None:
    """Probe one implementation; the parent reads the JSON line it prints."""
    parser = argparse.ArgumentParser(description=probe_main.__doc__)
    parser.add_argument("--impl", required=True, choices=IMPLEMENTATION_ORDER)
    parser.add_argument("--mx-path", default=None)
    parser.add_argument("--rows", default=None)
    args = parser.parse_args(argv)

    implementation = make_implementation(args.impl, args.mx_path)
    source = probe_source(implementation, select_rows(args.rows))
    exec(compile(source, f"<probe {implementation.key}>", "exec"), {"__name__": "probe"})


class ProbeError(Exception):
    """An implementation cannot be imported, or is not the one requested."""


def probe_implementation(implementation: Implementation, rows: List[Row],
                         python: str = sys.executable) -> dict:
    """Import ``implementation`` in a fresh process and return its description.

    The description has ``version``, optionally ``location``, and
    ``failures``: row key -> error for each row whose statement raised.
    Raises ProbeError when the import fails, or when a compared mx.Proxy
    build was not loaded from its directory.
    """
    command = [python, os.path.abspath(__file__), "--impl", implementation.key,
               "--rows", ",".join(row.key for row in rows)]
    if implementation.mx_path:
        command += ["--mx-path", implementation.mx_path]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        error_lines = result.stderr.strip().splitlines() or ["no error output"]
        raise ProbeError(error_lines[-1])
    info = json.loads(result.stdout.strip().splitlines()[-1])

    if implementation.mx_path:
        expected = os.path.realpath(implementation.mx_path)
        found = os.path.realpath(info.get("location", ""))
        if not found.startswith(expected + os.sep):
            raise ProbeError(f"mx.Proxy was imported from {found}, not from "
                             f"{expected}; the directory must contain mx/Proxy/")
    return info


if __name__ == "__main__":
    probe_main()
