"""The table of forwarded operations, checked row by row.

The compiled module exports its table as ``_forwarding_table()``: one row
``(slot, role, names)`` per operation a proxy forwards, where the first name
is the one a denial message names and the others are legacy aliases. This
file keeps its own table, written from Python's data model, and checks that
the exported rows are exactly these rows with exactly these names. It then
runs every row's operation through proxies that grant the first name, each
alias, an unrelated name, and every name except the row's own, so a row
gated by the wrong name fails here.
"""
import math
import operator
import os
import pathlib

import pytest

from mx.Proxy import AccessError, Proxy, WeakProxy
from mx.Proxy.mxProxy.mxProxy import _forwarding_table

# The proxy's own methods, which dir() lists whatever the interface.
PROXY_METHOD_NAMES = ["proxy_defunct", "proxy_getattr", "proxy_object", "proxy_setattr"]

# The operand a binary row combines with the wrapped object.
OPERAND = 3

# (slot stem, method stem, operator, in-place operator or None) for every
# binary operator. The slot is nb_<slot stem>, the methods are
# __<method stem>__, __r<method stem>__ and __i<method stem>__.
BINARY_OPERATORS = [
    ("add", "add", operator.add, operator.iadd),
    ("subtract", "sub", operator.sub, operator.isub),
    ("multiply", "mul", operator.mul, operator.imul),
    ("matrix_multiply", "matmul", operator.matmul, operator.imatmul),
    ("true_divide", "truediv", operator.truediv, operator.itruediv),
    ("floor_divide", "floordiv", operator.floordiv, operator.ifloordiv),
    ("remainder", "mod", operator.mod, operator.imod),
    ("divmod", "divmod", divmod, None),
    ("power", "pow", operator.pow, operator.ipow),
    ("lshift", "lshift", operator.lshift, operator.ilshift),
    ("rshift", "rshift", operator.rshift, operator.irshift),
    ("and", "and", operator.and_, operator.iand),
    ("xor", "xor", operator.xor, operator.ixor),
    ("or", "or", operator.or_, operator.ior),
]

# Python 2 names that still grant a binary row: __div__ was the division
# before true and floor division were split, with __rdiv__ and __idiv__ as
# its reflected and in-place forms, and __repeat__ is mx.Proxy's name for
# sequence repetition.
LEGACY_BINARY_NAMES = {
    ("nb_multiply", "left"): ("__repeat__",),
    ("nb_true_divide", "left"): ("__div__",),
    ("nb_true_divide", "right"): ("__rdiv__",),
    ("nb_inplace_true_divide", "inplace"): ("__idiv__",),
    ("nb_floor_divide", "left"): ("__div__",),
    ("nb_floor_divide", "right"): ("__rdiv__",),
    ("nb_inplace_floor_divide", "inplace"): ("__idiv__",),
}

COMPARISONS = {
    "lt": operator.lt,
    "le": operator.le,
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
}


# --- wrapped objects -------------------------------------------------------


def _tagging_method(tag):
    def method(self, *arguments):
        return (tag,) + arguments

    method.__name__ = "__" + tag + "__"
    return method


class Tagged:
    """An object whose operator methods return their own name and arguments.

    ``Tagged() + 3`` is ``("add", 3)`` and ``3 + Tagged()`` is
    ``("radd", 3)``, so a result shows which method ran.
    """

    __hash__ = object.__hash__


for _slot_stem, _method_stem, _function, _inplace_function in BINARY_OPERATORS:
    for _prefix in ("", "r", "i"):
        setattr(Tagged, "__" + _prefix + _method_stem + "__", _tagging_method(_prefix + _method_stem))
for _comparison in COMPARISONS:
    setattr(Tagged, "__" + _comparison + "__", _tagging_method(_comparison))


class Falsy:
    """False by __bool__ but of length 1, so the length fallback gives True."""

    def __bool__(self):
        return False

    def __len__(self):
        return 1


class Membership:
    """Contains everything by __contains__ but iterates over nothing."""

    def __contains__(self, item):
        return True

    def __iter__(self):
        return iter(())


class Iterable:
    """Iterates over "a", "b", but its sequence protocol gives 0, 10."""

    def __iter__(self):
        return iter(["a", "b"])

    def __getitem__(self, index):
        if 0 <= index < 2:
            return index * 10
        raise IndexError(index)


class Reversible(Iterable):
    """Reversed by __reversed__ as "z", "y", by length and index as 10, 0."""

    def __len__(self):
        return 2

    def __reversed__(self):
        return iter(["z", "y"])


class Resource:
    def __init__(self):
        self.events = []

    def __enter__(self):
        self.events.append("enter")
        return "entered"

    def __exit__(self, exc_type, exc, tb):
        self.events.append("exit")
        return False


class AsyncResource:
    def __init__(self):
        self.events = []

    async def __aenter__(self):
        self.events.append("enter")
        return "entered"

    async def __aexit__(self, exc_type, exc, tb):
        self.events.append("exit")
        return False


class Ready:
    """An awaitable that finishes at once with 42."""

    def __await__(self):
        return 42
        yield


class Countdown:
    """An async iterator over start-1, ..., 0 that never suspends."""

    def __init__(self, start):
        self.value = start

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.value == 0:
            raise StopAsyncIteration
        self.value -= 1
        return self.value


class Payload:
    def __bytes__(self):
        return b"raw"

    def __complex__(self):
        return 1 + 2j


class Record:
    def __init__(self):
        self.a = 1
        self.b = 2


def describe_call(*args, **kwargs):
    return ("called", args, kwargs)


# --- running operations ----------------------------------------------------


def finish(coroutine):
    """Run a coroutine that never suspends and return its result."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    coroutine.close()
    raise AssertionError("the coroutine suspended")


def enter_context(subject):
    with subject as value:
        return value


async def enter_async_context(subject):
    async with subject as value:
        return value


async def collect_async(subject):
    return [item async for item in subject]


async def wait_for(subject):
    return await subject


def assign_item(subject):
    subject["k"] = "new"


def delete_item(subject):
    del subject["k"]


# --- the table -------------------------------------------------------------


class Denied:
    """Expected outcome: AccessError with the message "NAME access denied"."""

    def __init__(self, name):
        self.name = name


class Returns:
    """Expected outcome: the operation returns value (a fallback ran)."""

    def __init__(self, value):
        self.value = value


class Case:
    """How to exercise one row.

    make() returns a fresh wrapped object and run(subject) performs the
    operation on it or on a proxy to it. observe(target), if given, returns
    the state of the wrapped object after the operation. companions are
    names granted in every test of the row because the operation needs them
    besides the row's own (``with`` needs __enter__ to reach __exit__).
    unrelated and others are the expected outcomes when the proxy grants
    only an unrelated name, or every name but the row's own. None means
    Denied(first name). expected(grant), if given, replaces the bare
    object's result as the expected result of a granted operation.
    """

    def __init__(self, make, run, observe=None, companions=(), unrelated=None, others=None, expected=None):
        self.make = make
        self.run = run
        self.observe = observe
        self.companions = tuple(companions)
        self.unrelated = unrelated
        self.others = others
        self.expected = expected


EXPECTED_NAMES = {}
CASES = {}


def add_row(slot, role, names, case):
    EXPECTED_NAMES[(slot, role)] = tuple(names)
    CASES[(slot, role)] = case


def _left(function):
    return lambda subject: function(subject, OPERAND)


def _right(function):
    return lambda subject: function(OPERAND, subject)


for _slot_stem, _method_stem, _function, _inplace_function in BINARY_OPERATORS:
    _plain_row = ("nb_" + _slot_stem, "left")
    _plain_names = ("__" + _method_stem + "__",) + LEGACY_BINARY_NAMES.get(_plain_row, ())
    add_row(*_plain_row, _plain_names, Case(Tagged, _left(_function)))

    _right_row = ("nb_" + _slot_stem, "right")
    _right_names = ("__r" + _method_stem + "__",) + LEGACY_BINARY_NAMES.get(_right_row, ())
    add_row(*_right_row, _right_names, Case(Tagged, _right(_function)))

    if _inplace_function is not None:
        # Without the in-place name, `p op= x` falls back to `p = p op x`,
        # which the plain name gates.
        _inplace_row = ("nb_inplace_" + _slot_stem, "inplace")
        _inplace_names = ("__i" + _method_stem + "__",) + LEGACY_BINARY_NAMES.get(_inplace_row, ())
        add_row(
            *_inplace_row,
            _inplace_names,
            Case(
                Tagged,
                _left(_inplace_function),
                unrelated=Denied(_plain_names[0]),
                others=Returns((_method_stem, OPERAND)),
            ),
        )

for _comparison, _function in COMPARISONS.items():
    add_row(
        "tp_richcompare",
        _comparison,
        ("__" + _comparison + "__", "__cmp__"),
        Case(Tagged, _left(_function)),
    )

add_row("nb_negative", "self", ("__neg__",), Case(lambda: -7, operator.neg))
add_row("nb_positive", "self", ("__pos__",), Case(lambda: -7, operator.pos))
add_row("nb_absolute", "self", ("__abs__",), Case(lambda: -7, abs))
add_row("nb_invert", "self", ("__invert__",), Case(lambda: -7, operator.invert))
add_row("nb_int", "self", ("__int__", "__long__"), Case(lambda: 2.5, int))
add_row("nb_float", "self", ("__float__",), Case(lambda: 7.5, float))
add_row("nb_index", "self", ("__index__",), Case(lambda: 7, operator.index))
add_row(
    "nb_bool",
    "self",
    ("__bool__", "__true__", "__nonzero__"),
    # Without __bool__ the truth is the length's (1 here) when __len__ is
    # granted, and True when it is not.
    Case(Falsy, bool, unrelated=Returns(True), others=Returns(True)),
)
add_row("tp_str", "self", ("__str__",), Case(lambda: 12, str))
add_row("tp_call", "self", ("__call__",), Case(lambda: describe_call, lambda subject: subject(1, key=2)))
add_row("tp_hash", "self", ("__hash__",), Case(lambda: "text", hash))
add_row("mp_length", "self", ("__len__",), Case(lambda: [1, 2, 3], len))
add_row("mp_subscript", "self", ("__getitem__",), Case(lambda: {"k": "v"}, lambda subject: subject["k"]))
add_row(
    "mp_ass_subscript",
    "set",
    ("__setitem__",),
    Case(lambda: {"k": "old"}, assign_item, observe=dict),
)
add_row(
    "mp_ass_subscript",
    "delete",
    ("__delitem__",),
    Case(lambda: {"k": 1, "j": 2}, delete_item, observe=dict),
)
add_row(
    "sq_contains",
    "self",
    ("__contains__",),
    # Without __contains__, `in` iterates, and Membership iterates over
    # nothing.
    Case(Membership, lambda subject: "probe" in subject, others=Returns(False)),
)
add_row(
    "tp_iter",
    "self",
    ("__iter__",),
    # Without __iter__, iteration reads items 0, 1, ... by __getitem__.
    Case(Iterable, list, others=Returns([0, 10])),
)
add_row("tp_iternext", "self", ("__next__",), Case(lambda: iter([1, 2]), next))
add_row("am_await", "self", ("__await__",), Case(Ready, lambda subject: finish(wait_for(subject))))
add_row(
    "am_aiter",
    "self",
    ("__aiter__",),
    Case(lambda: Countdown(3), lambda subject: finish(collect_async(subject)), companions=("__anext__",)),
)
add_row(
    "am_anext",
    "self",
    ("__anext__",),
    Case(lambda: Countdown(3), lambda subject: finish(collect_async(subject)), companions=("__aiter__",)),
)
add_row(
    "__enter__",
    "method",
    ("__enter__",),
    Case(Resource, enter_context, observe=lambda target: target.events, companions=("__exit__",)),
)
add_row(
    "__exit__",
    "method",
    ("__exit__",),
    Case(Resource, enter_context, observe=lambda target: target.events, companions=("__enter__",)),
)
add_row(
    "__aenter__",
    "method",
    ("__aenter__",),
    Case(
        AsyncResource,
        lambda subject: finish(enter_async_context(subject)),
        observe=lambda target: target.events,
        companions=("__aexit__",),
    ),
)
add_row(
    "__aexit__",
    "method",
    ("__aexit__",),
    Case(
        AsyncResource,
        lambda subject: finish(enter_async_context(subject)),
        observe=lambda target: target.events,
        companions=("__aenter__",),
    ),
)
add_row("__round__", "method", ("__round__",), Case(lambda: 2.675, lambda subject: round(subject, 2)))
add_row("__trunc__", "method", ("__trunc__",), Case(lambda: -2.5, math.trunc))
add_row("__floor__", "method", ("__floor__",), Case(lambda: -2.5, math.floor))
add_row("__ceil__", "method", ("__ceil__",), Case(lambda: -2.5, math.ceil))
add_row(
    "__reversed__",
    "method",
    ("__reversed__",),
    # Without __reversed__, reversed() reads the items backwards by
    # __len__ and __getitem__.
    Case(Reversible, lambda subject: list(reversed(subject)), others=Returns([10, 0])),
)
add_row("__format__", "method", ("__format__",), Case(lambda: 3.14159, lambda subject: format(subject, ".2f")))
add_row("__bytes__", "method", ("__bytes__",), Case(Payload, bytes))
add_row("__complex__", "method", ("__complex__",), Case(Payload, complex))
add_row(
    "__fspath__",
    "method",
    ("__fspath__",),
    Case(lambda: pathlib.PurePosixPath("/srv/data"), os.fspath),
)
add_row(
    "__dir__",
    "method",
    ("__dir__",),
    # With __dir__ granted, dir() lists the object's names that the
    # interface grants besides the proxy's own; without it, only the
    # proxy's own.
    Case(
        Record,
        dir,
        unrelated=Returns(PROXY_METHOD_NAMES),
        others=Returns(PROXY_METHOD_NAMES),
        expected=lambda grant: sorted(
            set(PROXY_METHOD_NAMES) | {name for name in dir(Record()) if grant is None or name in grant}
        ),
    ),
)

ROWS = sorted(EXPECTED_NAMES)
ALL_NAMES = frozenset(name for names in EXPECTED_NAMES.values() for name in names)
ALIASES = [(row, alias) for row in ROWS for alias in EXPECTED_NAMES[row][1:]]
KINDS = {"strong": Proxy, "weak": WeakProxy}


def row_id(row):
    return "-".join(row)


def exported_rows():
    """Return the exported table as a dict (slot, role) -> names."""
    return {(slot, role): tuple(names) for slot, role, names in _forwarding_table()}


def expected_result(case, grant):
    """Return the result and state the operation should give with grant.

    That is the bare object's, unless the case computes it from the grant.
    grant None stands for an unrestricted proxy.
    """
    if case.expected is not None:
        return case.expected(grant), None
    target = case.make()
    result = case.run(target)
    return result, case.observe(target) if case.observe else None


def proxied_result(case, kind, grant):
    """Run the operation through a proxy of kind that grants grant."""
    target = case.make()
    proxy = KINDS[kind](target, grant)
    result = case.run(proxy)
    return result, case.observe(target) if case.observe else None


def check_outcome(case, kind, grant, outcome, first_name):
    """Assert that the operation through a proxy granting grant ends as outcome."""
    if outcome is None:
        outcome = Denied(first_name)
    target = case.make()
    proxy = KINDS[kind](target, grant)
    if isinstance(outcome, Denied):
        with pytest.raises(AccessError) as caught:
            case.run(proxy)
        assert str(caught.value) == outcome.name + " access denied"
    else:
        assert case.run(proxy) == outcome.value


# --- the exported table ----------------------------------------------------


def test_every_row_has_case():
    assert set(CASES) == set(EXPECTED_NAMES)


def test_exported_rows_are_unique():
    keys = [(slot, role) for slot, role, _ in _forwarding_table()]
    assert len(keys) == len(set(keys))


def test_exported_rows_match_table():
    assert set(exported_rows()) == set(EXPECTED_NAMES)


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_row_names_match_table(row):
    assert exported_rows().get(row) == EXPECTED_NAMES[row]


def test_exported_names_are_strings():
    for slot, role, names in _forwarding_table():
        assert all(type(name) is str for name in (slot, role) + tuple(names)), (slot, role)


# --- running every row -----------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_first_name_grants_row(row, kind):
    case = CASES[row]
    grant = (EXPECTED_NAMES[row][0],) + case.companions
    assert proxied_result(case, kind, grant) == expected_result(case, grant)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("row,alias", ALIASES, ids=[row_id(row) + "-" + alias for row, alias in ALIASES])
def test_alias_grants_row(row, alias, kind):
    case = CASES[row]
    grant = (alias,) + case.companions
    assert proxied_result(case, kind, grant) == expected_result(case, grant)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_unrelated_name_denies_row(row, kind):
    case = CASES[row]
    grant = ("unrelated_name",) + case.companions
    check_outcome(case, kind, grant, case.unrelated, EXPECTED_NAMES[row][0])


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_other_names_deny_row(row, kind):
    case = CASES[row]
    grant = tuple(sorted((ALL_NAMES - set(EXPECTED_NAMES[row])) | set(case.companions)))
    check_outcome(case, kind, grant, case.others, EXPECTED_NAMES[row][0])


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_unrestricted_proxy_runs_row(row):
    case = CASES[row]
    target = case.make()
    result = case.run(Proxy(target))
    observed = case.observe(target) if case.observe else None
    assert (result, observed) == expected_result(case, None)
