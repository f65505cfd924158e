"""Reference counts around every forwarded operation.

For each row of the exported forwarding table, 1,000 granted and 1,000
denied operations run through a proxy, and the reference counts of the
wrapped object, the operand and the proxy must end where they started. The
objects are created at run time, so none of them is a shared constant or
immortal, and a leaked or missing reference changes the count.
"""
import itertools
import math
import operator
import os
import sys

import pytest

from mx.Proxy import AccessError, Proxy, WeakProxy
from mx.Proxy.mxProxy.mxProxy import _forwarding_table

ITERATIONS = 1000
UNRELATED = ("unrelated_name",)
KINDS = {"strong": Proxy, "weak": WeakProxy}

# method stem -> (slot stem, operator, in-place operator or None)
BINARY_OPERATORS = {
    "add": ("add", operator.add, operator.iadd),
    "sub": ("subtract", operator.sub, operator.isub),
    "mul": ("multiply", operator.mul, operator.imul),
    "matmul": ("matrix_multiply", operator.matmul, operator.imatmul),
    "truediv": ("true_divide", operator.truediv, operator.itruediv),
    "floordiv": ("floor_divide", operator.floordiv, operator.ifloordiv),
    "mod": ("remainder", operator.mod, operator.imod),
    "divmod": ("divmod", divmod, None),
    "pow": ("power", operator.pow, operator.ipow),
    "lshift": ("lshift", operator.lshift, operator.ilshift),
    "rshift": ("rshift", operator.rshift, operator.irshift),
    "and": ("and", operator.and_, operator.iand),
    "xor": ("xor", operator.xor, operator.ixor),
    "or": ("or", operator.or_, operator.ior),
}

COMPARISONS = {
    "lt": operator.lt,
    "le": operator.le,
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
}


def runtime_int(text):
    """Return int(text) built at run time.

    For values outside the small-int cache (-5 to 256) this is a new object,
    never a shared constant.
    """
    return int(text)


def runtime_str(*parts):
    """Return a str built at run time, which is not interned when it is
    longer than one character."""
    return "".join(parts)


# --- wrapped objects ---------------------------------------------------------


def _tagging_method(tag):
    def method(self, *arguments):
        return (tag,) + arguments

    return method


def _self_method(self, *arguments):
    return self


class Tagged:
    """Its operator methods return their name and arguments."""

    __hash__ = object.__hash__


class SelfReturning:
    """Its in-place operator methods return self, as list.__iadd__ does."""


for _stem in BINARY_OPERATORS:
    for _prefix in ("", "r", "i"):
        setattr(Tagged, "__" + _prefix + _stem + "__", _tagging_method(_prefix + _stem))
    setattr(SelfReturning, "__i" + _stem + "__", _self_method)
for _name in COMPARISONS:
    setattr(Tagged, "__" + _name + "__", _tagging_method(_name))


class Store:
    """A mapping that keeps nothing it is given."""

    def __getitem__(self, key):
        return key

    def __setitem__(self, key, value):
        pass

    def __delitem__(self, key):
        pass


class Echo:
    """Awaitable, async iterator, context manager: each gives back value."""

    def __init__(self, value):
        self.value = value

    def __await__(self):
        return self.value
        yield

    def __aiter__(self):
        return self

    async def __anext__(self):
        return self.value

    def __enter__(self):
        return self.value

    def __exit__(self, exc_type, exc, tb):
        return False

    async def __aenter__(self):
        return self.value

    async def __aexit__(self, exc_type, exc, tb):
        return False


class Record:
    def __init__(self):
        self.a = 1


def echo(argument):
    return argument


# --- running operations ------------------------------------------------------


def finish(coroutine):
    """Run a coroutine that never suspends and return its result."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    coroutine.close()
    raise AssertionError("the coroutine suspended")


async def wait_for(subject):
    return await subject


async def first_async(subject):
    async for item in subject:
        return item


async def enter_async(subject):
    async with subject as value:
        return value


def enter(subject):
    with subject as value:
        return value


def assign_item(subject, operand, target):
    subject[operand] = operand


def delete_item(subject, operand, target):
    target[operand] = 1
    del subject[operand]


class Variant:
    """One way to exercise a row.

    make_operand() returns the operand and make(operand) the wrapped object,
    which may contain the operand. run(subject, operand, target) performs
    the operation. companions are granted along with the row's name.
    """

    def __init__(self, name, make, make_operand, run, companions=()):
        self.name = name
        self.make = make
        self.make_operand = make_operand
        self.run = run
        self.companions = tuple(companions)


def big_int():
    return runtime_int("1007")


def small_operand():
    # 300 keeps pow and shifts cheap but is outside the small-int cache.
    return runtime_int("300")


def float_value():
    return float(runtime_str("2.", "675"))


def ignoring_operand(factory):
    """Return a make() that calls factory() and does not use the operand."""
    return lambda operand: factory()


def unary(function, factory=big_int):
    return [Variant("builtin", ignoring_operand(factory), big_int, lambda s, o, t: function(s))]


def holding_operand(name, make, run, companions=()):
    """Return a one-variant list whose wrapped object contains the operand."""
    return [Variant(name, make, big_int, run, companions)]


VARIANTS = {}

for _stem, (_slot_stem, _function, _inplace) in BINARY_OPERATORS.items():
    _plain_variants = [
        Variant("python", ignoring_operand(Tagged), big_int, lambda s, o, t, f=_function: f(s, o)),
    ]
    _right_variants = [
        Variant("python", ignoring_operand(Tagged), big_int, lambda s, o, t, f=_function: f(o, s)),
    ]
    if _stem != "matmul":
        _plain_variants.append(
            Variant("builtin", ignoring_operand(big_int), small_operand, lambda s, o, t, f=_function: f(s, o))
        )
        _right_variants.append(
            Variant("builtin", ignoring_operand(small_operand), big_int, lambda s, o, t, f=_function: f(o, s))
        )
    if _stem == "pow":
        _plain_variants.append(
            Variant("ternary", ignoring_operand(big_int), small_operand, lambda s, o, t: pow(s, o, 1009))
        )
    VARIANTS[("nb_" + _slot_stem, "left")] = _plain_variants
    VARIANTS[("nb_" + _slot_stem, "right")] = _right_variants
    if _inplace is not None:
        _inplace_variants = [
            Variant("python", ignoring_operand(Tagged), big_int, lambda s, o, t, f=_inplace: f(s, o)),
            Variant("returns-self", ignoring_operand(SelfReturning), big_int, lambda s, o, t, f=_inplace: f(s, o)),
        ]
        if _stem != "matmul":
            _inplace_variants.append(
                Variant("builtin", ignoring_operand(big_int), small_operand, lambda s, o, t, f=_inplace: f(s, o))
            )
        VARIANTS[("nb_inplace_" + _slot_stem, "inplace")] = _inplace_variants

for _name, _compare in COMPARISONS.items():
    VARIANTS[("tp_richcompare", _name)] = [
        Variant("python", ignoring_operand(Tagged), big_int, lambda s, o, t, f=_compare: f(s, o)),
        Variant(
            "builtin",
            ignoring_operand(lambda: runtime_int("3000")),
            big_int,
            lambda s, o, t, f=_compare: f(s, o),
        ),
    ]

VARIANTS[("nb_negative", "self")] = unary(operator.neg)
VARIANTS[("nb_positive", "self")] = unary(operator.pos)
VARIANTS[("nb_absolute", "self")] = unary(abs)
VARIANTS[("nb_invert", "self")] = unary(operator.invert)
VARIANTS[("nb_int", "self")] = unary(int, float_value)
VARIANTS[("nb_float", "self")] = unary(float)
VARIANTS[("nb_index", "self")] = unary(operator.index)
VARIANTS[("tp_str", "self")] = unary(str)
VARIANTS[("nb_bool", "self")] = holding_operand("builtin", lambda o: [o], lambda s, o, t: bool(s))
VARIANTS[("tp_call", "self")] = [Variant("function", ignoring_operand(lambda: echo), big_int, lambda s, o, t: s(o))]
VARIANTS[("tp_hash", "self")] = unary(hash, lambda: runtime_str("te", "xt"))
VARIANTS[("mp_length", "self")] = holding_operand("builtin", lambda o: [o], lambda s, o, t: len(s))
VARIANTS[("mp_subscript", "self")] = holding_operand("builtin", lambda o: {o: o}, lambda s, o, t: s[o]) + [
    Variant("python", ignoring_operand(Store), big_int, lambda s, o, t: s[o]),
]
VARIANTS[("mp_ass_subscript", "set")] = [
    Variant("builtin", ignoring_operand(dict), big_int, assign_item),
    Variant("python", ignoring_operand(Store), big_int, assign_item),
]
VARIANTS[("mp_ass_subscript", "delete")] = [
    Variant("builtin", ignoring_operand(dict), big_int, delete_item),
]
VARIANTS[("sq_contains", "self")] = holding_operand("builtin", lambda o: [o], lambda s, o, t: o in s)
VARIANTS[("tp_iter", "self")] = holding_operand("builtin", lambda o: [o, o], lambda s, o, t: list(s))
VARIANTS[("tp_iternext", "self")] = holding_operand("builtin", itertools.repeat, lambda s, o, t: next(s))
VARIANTS[("am_await", "self")] = holding_operand("python", Echo, lambda s, o, t: finish(wait_for(s)))
VARIANTS[("am_aiter", "self")] = holding_operand(
    "python", Echo, lambda s, o, t: finish(first_async(s)), ("__anext__",)
)
VARIANTS[("am_anext", "self")] = holding_operand(
    "python", Echo, lambda s, o, t: finish(first_async(s)), ("__aiter__",)
)
VARIANTS[("__enter__", "method")] = holding_operand("python", Echo, lambda s, o, t: enter(s), ("__exit__",))
VARIANTS[("__exit__", "method")] = holding_operand("python", Echo, lambda s, o, t: enter(s), ("__enter__",))
VARIANTS[("__aenter__", "method")] = holding_operand(
    "python", Echo, lambda s, o, t: finish(enter_async(s)), ("__aexit__",)
)
VARIANTS[("__aexit__", "method")] = holding_operand(
    "python", Echo, lambda s, o, t: finish(enter_async(s)), ("__aenter__",)
)
VARIANTS[("__round__", "method")] = [
    Variant("builtin", ignoring_operand(float_value), small_operand, lambda s, o, t: round(s, o))
]
VARIANTS[("__trunc__", "method")] = unary(math.trunc, float_value)
VARIANTS[("__floor__", "method")] = unary(math.floor, float_value)
VARIANTS[("__ceil__", "method")] = unary(math.ceil, float_value)
VARIANTS[("__reversed__", "method")] = holding_operand(
    "builtin", lambda o: [o, o], lambda s, o, t: list(reversed(s))
)
VARIANTS[("__format__", "method")] = [
    Variant("builtin", ignoring_operand(float_value), lambda: runtime_str(".2", "f"), lambda s, o, t: format(s, o))
]
VARIANTS[("__bytes__", "method")] = unary(bytes, lambda: bytearray(b"ab"))
VARIANTS[("__complex__", "method")] = unary(complex, float_value)
VARIANTS[("__fspath__", "method")] = unary(os.fspath, lambda: runtime_str("/srv/", "data"))
VARIANTS[("__dir__", "method")] = unary(dir, Record)


def exported_first_names():
    """Return (slot, role) -> the first name of each exported row."""
    return {(slot, role): names[0] for slot, role, names in _forwarding_table()}


FIRST_NAMES = exported_first_names()
PARAMETERS = [
    pytest.param(row, variant, id="-".join(row) + "-" + variant.name)
    for row in sorted(VARIANTS)
    for variant in VARIANTS[row]
]


def repeat(variant, proxy, operand, target):
    """Run the operation ITERATIONS times and return how many were denied."""
    denials = 0
    for _ in range(ITERATIONS):
        try:
            variant.run(proxy, operand, target)
        except AccessError:
            denials += 1
    return denials


def measure(variant, kind, grant):
    """Return the reference counts before and after the repeated operation.

    Both are triples (wrapped object, operand, proxy). The first count is
    taken after one run, so caches the operation fills are already full.
    """
    operand = variant.make_operand()
    target = variant.make(operand)
    proxy = KINDS[kind](target, grant)
    try:
        variant.run(proxy, operand, target)
    except AccessError:
        pass
    before = (sys.getrefcount(target), sys.getrefcount(operand), sys.getrefcount(proxy))
    denials = repeat(variant, proxy, operand, target)
    after = (sys.getrefcount(target), sys.getrefcount(operand), sys.getrefcount(proxy))
    return before, after, denials


def test_every_row_has_variants():
    assert set(VARIANTS) == set(FIRST_NAMES)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("row,variant", PARAMETERS)
def test_granted_operations_keep_refcounts(row, variant, kind):
    grant = (FIRST_NAMES[row],) + variant.companions
    before, after, denials = measure(variant, kind, grant)
    assert denials == 0
    assert after[0] == before[0], "wrapped object"
    assert after[1] == before[1], "operand"
    assert after[2] == before[2], "proxy"


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("row,variant", PARAMETERS)
def test_denied_operations_keep_refcounts(row, variant, kind):
    grant = UNRELATED + variant.companions
    before, after, _ = measure(variant, kind, grant)
    assert after[0] == before[0], "wrapped object"
    assert after[1] == before[1], "operand"
    assert after[2] == before[2], "proxy"


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("row,variant", PARAMETERS)
def test_unrestricted_operations_keep_refcounts(row, variant, kind):
    before, after, denials = measure(variant, kind, None)
    assert denials == 0
    assert after[0] == before[0], "wrapped object"
    assert after[1] == before[1], "operand"
    assert after[2] == before[2], "proxy"
