"""Tests of the helper classes in mx.Proxy.Proxy beyond the basic cases.

Every special method that InstanceProxy forwards is checked granted and
denied, together with reflected and in-place operators, context managers,
the async protocols, the caching and read-only variants, subclassing, the
factories and invalid arguments.
"""
import asyncio
import copy
import importlib
import math
import operator
import os
import pickle
import re
import weakref

import pytest

import mx.Proxy
from mx.Proxy import (
    AccessError,
    CachingInstanceProxy,
    InstanceProxy,
    InstanceProxyFactory,
    ProxyFactory,
    ProxyType,
    ReadonlyInstanceProxy,
    SelectiveCachingInstanceProxy,
)

# The package attribute mx.Proxy.Proxy is the Proxy constructor, so the
# helper module is reached through the import system.
helpers = importlib.import_module("mx.Proxy.Proxy")


def run_awaitable(awaitable):
    """Await awaitable in a new event loop and return its result."""

    async def wait():
        return await awaitable

    return asyncio.run(wait())


class Record:
    def __init__(self, a=1, b=2):
        self.a = a
        self.b = b

    def method(self):
        return self.a

    def __repr__(self):
        return "<Record SECRET-REPR>"


def record_factory(a=1, b=2):
    """Build a Record, for factories made from a function instead of a class."""
    return Record(a, b)


def tagging_method(name):
    """Return a method that returns (name, *arguments), so each call shows where it went."""

    def method(self, *args):
        return (name, *args)

    method.__name__ = name
    return method


BINARY_OPERATORS = [
    ("add", operator.add, operator.iadd),
    ("sub", operator.sub, operator.isub),
    ("mul", operator.mul, operator.imul),
    ("matmul", operator.matmul, operator.imatmul),
    ("truediv", operator.truediv, operator.itruediv),
    ("floordiv", operator.floordiv, operator.ifloordiv),
    ("mod", operator.mod, operator.imod),
    ("pow", operator.pow, operator.ipow),
    ("lshift", operator.lshift, operator.ilshift),
    ("rshift", operator.rshift, operator.irshift),
    ("and", operator.and_, operator.iand),
    ("xor", operator.xor, operator.ixor),
    ("or", operator.or_, operator.ior),
]

COMPARISONS = [
    ("lt", operator.lt),
    ("le", operator.le),
    ("eq", operator.eq),
    ("ne", operator.ne),
    ("gt", operator.gt),
    ("ge", operator.ge),
]

TAGGED_NAMES = [
    "__neg__",
    "__pos__",
    "__abs__",
    "__invert__",
    "__round__",
    "__trunc__",
    "__floor__",
    "__ceil__",
    "__getitem__",
    "__next__",
    "__enter__",
    "__exit__",
    "__divmod__",
    "__rdivmod__",
]
for stem, _, _ in BINARY_OPERATORS:
    TAGGED_NAMES += [f"__{stem}__", f"__r{stem}__", f"__i{stem}__"]
for stem, _ in COMPARISONS:
    TAGGED_NAMES.append(f"__{stem}__")


class Everything:
    """An object with every special method that InstanceProxy forwards, each returning a value that names it."""

    def __init__(self):
        self.events = []

    def __call__(self, *args, **kwargs):
        return ("__call__", args, kwargs)

    def __hash__(self):
        return 4242

    def __str__(self):
        return "everything"

    def __bytes__(self):
        return b"everything"

    def __format__(self, format_spec):
        return "formatted " + format_spec

    def __bool__(self):
        return False

    def __int__(self):
        return 7

    def __float__(self):
        return 7.5

    def __complex__(self):
        return 7j

    def __index__(self):
        return 1

    def __len__(self):
        return 5

    def __setitem__(self, key, value):
        self.events.append(("__setitem__", key, value))

    def __delitem__(self, key):
        self.events.append(("__delitem__", key))

    def __contains__(self, item):
        return item == "present"

    def __iter__(self):
        return iter(["iterated"])

    def __reversed__(self):
        return iter(["reversed"])

    def __await__(self):
        yield from ()
        return "awaited"

    def __aiter__(self):
        return self

    async def __anext__(self):
        return "next async item"

    async def __aenter__(self):
        return "entered async"

    async def __aexit__(self, exc_type, exc_value, traceback):
        return ("__aexit__", exc_type, exc_value, traceback)

    def __fspath__(self):
        return "/everything"


for name in TAGGED_NAMES:
    setattr(Everything, name, tagging_method(name))


# name -> (operation on the helper, expected result)
GRANTED_RESULTS = {
    "__call__": (lambda helper: helper(3, key=4), ("__call__", (3,), {"key": 4})),
    "__hash__": (hash, 4242),
    "__str__": (str, "everything"),
    "__bytes__": (bytes, b"everything"),
    "__format__": (lambda helper: format(helper, "wide"), "formatted wide"),
    "__bool__": (bool, False),
    "__int__": (int, 7),
    "__float__": (float, 7.5),
    "__complex__": (complex, 7j),
    "__index__": (operator.index, 1),
    "__round__": (lambda helper: round(helper, 2), ("__round__", 2)),
    "__trunc__": (math.trunc, ("__trunc__",)),
    "__floor__": (math.floor, ("__floor__",)),
    "__ceil__": (math.ceil, ("__ceil__",)),
    "__neg__": (operator.neg, ("__neg__",)),
    "__pos__": (operator.pos, ("__pos__",)),
    "__abs__": (abs, ("__abs__",)),
    "__invert__": (operator.invert, ("__invert__",)),
    "__len__": (len, 5),
    "__getitem__": (lambda helper: helper["key"], ("__getitem__", "key")),
    "__contains__": (lambda helper: "present" in helper, True),
    "__iter__": (lambda helper: [item for item in helper], ["iterated"]),
    "__next__": (next, ("__next__",)),
    "__reversed__": (lambda helper: list(reversed(helper)), ["reversed"]),
    "__enter__": (lambda helper: helper.__enter__(), ("__enter__",)),
    "__exit__": (lambda helper: helper.__exit__(None, None, None), ("__exit__", None, None, None)),
    "__await__": (run_awaitable, "awaited"),
    "__aiter__": (lambda helper: helper.__aiter__() is helper, True),
    "__anext__": (lambda helper: run_awaitable(helper.__anext__()), "next async item"),
    "__aenter__": (lambda helper: run_awaitable(helper.__aenter__()), "entered async"),
    "__aexit__": (
        lambda helper: run_awaitable(helper.__aexit__(None, None, None)),
        ("__aexit__", None, None, None),
    ),
    "__fspath__": (os.fspath, "/everything"),
    "__divmod__": (lambda helper: divmod(helper, 1), ("__divmod__", 1)),
    "__rdivmod__": (lambda helper: divmod(1, helper), ("__rdivmod__", 1)),
}
for stem, function, inplace_function in BINARY_OPERATORS:
    GRANTED_RESULTS[f"__{stem}__"] = (lambda helper, f=function: f(helper, 1), (f"__{stem}__", 1))
    GRANTED_RESULTS[f"__r{stem}__"] = (lambda helper, f=function: f(1, helper), (f"__r{stem}__", 1))
    GRANTED_RESULTS[f"__i{stem}__"] = (lambda helper, f=inplace_function: f(helper, 1), (f"__i{stem}__", 1))
for stem, function in COMPARISONS:
    GRANTED_RESULTS[f"__{stem}__"] = (lambda helper, f=function: f(helper, 1), (f"__{stem}__", 1))

# Operations that raise AccessError when nothing grants them. bool() is left
# out because it falls back to True, and the item writes are added because
# they return nothing to compare.
DENIED_OPERATIONS = {name: operation for name, (operation, _) in GRANTED_RESULTS.items() if name != "__bool__"}
DENIED_OPERATIONS["__setitem__"] = lambda helper: operator.setitem(helper, "key", 1)
DENIED_OPERATIONS["__delitem__"] = lambda helper: operator.delitem(helper, "key")


# --- every forwarded special method ---------------------------------------------


@pytest.mark.parametrize("name", sorted(GRANTED_RESULTS))
def test_granted_special_method_forwards(name):
    operation, expected = GRANTED_RESULTS[name]
    helper = InstanceProxy(Everything(), (name,))
    assert operation(helper) == expected


@pytest.mark.parametrize("name", sorted(DENIED_OPERATIONS))
def test_denied_special_method_raises(name):
    helper = InstanceProxy(Everything(), ("events",))
    with pytest.raises(AccessError):
        DENIED_OPERATIONS[name](helper)


@pytest.mark.parametrize("name", sorted(DENIED_OPERATIONS))
def test_unrestricted_helper_allows_everything(name):
    helper = InstanceProxy(Everything())
    DENIED_OPERATIONS[name](helper)


def test_granted_setitem_reaches_object():
    target = Everything()
    helper = InstanceProxy(target, ("__setitem__",))
    helper["key"] = 1
    assert target.events == [("__setitem__", "key", 1)]


def test_granted_delitem_reaches_object():
    target = Everything()
    helper = InstanceProxy(target, ("__delitem__",))
    del helper["key"]
    assert target.events == [("__delitem__", "key")]


def test_denied_bool_falls_back_true():
    helper = InstanceProxy(Everything(), ("events",))
    assert bool(helper) is True


def test_bool_falls_back_to_len():
    helper = InstanceProxy([], ("__len__",))
    assert bool(helper) is False


def test_round_without_ndigits():
    helper = InstanceProxy(2.5, ("__round__",))
    assert round(helper) == 2


def test_round_with_ndigits():
    helper = InstanceProxy(2.567, ("__round__",))
    assert round(helper, 1) == 2.6


def test_format_applies_spec():
    helper = InstanceProxy(255, ("__format__",))
    assert format(helper, "x") == "ff"
    assert f"{helper:>5}" == "  255"


def test_reversed_of_list():
    helper = InstanceProxy([1, 2, 3], ("__reversed__",))
    assert list(reversed(helper)) == [3, 2, 1]


def test_dir_lists_granted_names():
    helper = InstanceProxy(Record(), ("__dir__", "a"))
    names = dir(helper)
    assert "a" in names
    assert "b" not in names


def test_dir_denied_lists_proxy_methods():
    helper = InstanceProxy(Record(), ("a",))
    names = dir(helper)
    assert "a" not in names
    assert "proxy_getattr" in names


def test_pow_with_modulo():
    helper = InstanceProxy(Everything(), ("__pow__",))
    assert pow(helper, 2, 5) == ("__pow__", 2, 5)


def test_pow_of_number_with_modulo():
    helper = InstanceProxy(3, ("__pow__",))
    assert pow(helper, 2, 5) == 4


# --- in-place and reflected operators ---------------------------------------------


def test_inplace_add_returns_helper():
    helper = InstanceProxy([1], ("__iadd__",))
    original = helper
    helper += [2]
    assert helper is original


def test_inplace_add_changes_object():
    target = [1]
    helper = InstanceProxy(target, ("__iadd__",))
    helper += [2]
    assert target == [1, 2]


def test_inplace_or_returns_helper():
    helper = InstanceProxy({1}, ("__ior__",))
    original = helper
    helper |= {2}
    assert helper is original


def test_inplace_falls_back_to_binary():
    helper = InstanceProxy(5, ("__add__",))
    helper += 1
    assert helper == 6
    assert type(helper) is int


def test_inplace_denied_without_binary():
    helper = InstanceProxy([1], ("append",))
    with pytest.raises(AccessError):
        helper += [2]


def test_reflected_add_with_number():
    helper = InstanceProxy(2, ("__radd__",))
    assert 10 + helper == 12


def test_reflected_subtract_keeps_order():
    helper = InstanceProxy(2, ("__rsub__",))
    assert 10 - helper == 8


def test_reflected_denied_raises():
    helper = InstanceProxy(2, ("__add__",))
    with pytest.raises(AccessError):
        10 - helper


def test_list_plus_helper():
    helper = InstanceProxy([2], ("__radd__",))
    assert [1] + helper == [1, 2]


def test_two_helpers_add():
    left = InstanceProxy(2, ("__add__",))
    right = InstanceProxy(3, ("__radd__",))
    assert left + right == 5


def test_two_helpers_right_denied():
    left = InstanceProxy(2, ("__add__",))
    right = InstanceProxy(3, ("__add__",))
    with pytest.raises(AccessError):
        left + right


# --- comparisons ---------------------------------------------------------------------


def test_comparisons_with_numbers():
    helper = InstanceProxy(5, ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"))
    assert helper < 6
    assert helper <= 5
    assert helper > 4
    assert helper >= 5
    assert helper == 5
    assert helper != 4


def test_reflected_comparison_uses_swapped_name():
    helper = InstanceProxy(5, ("__gt__",))
    assert (3 < helper) is True


def test_reflected_comparison_denied():
    helper = InstanceProxy(5, ("__lt__",))
    with pytest.raises(AccessError):
        3 < helper


def test_legacy_cmp_grants_comparisons():
    helper = InstanceProxy(5, ("__cmp__",))
    assert helper == 5
    assert helper < 6


def test_two_helpers_compare():
    left = InstanceProxy(1, ("__lt__",))
    right = InstanceProxy(2, ("__gt__",))
    assert (left < right) is True


def test_two_helpers_equal():
    left = InstanceProxy("text", ("__eq__",))
    right = InstanceProxy("text", ("__eq__",))
    assert (left == right) is True


def test_hash_granted_usable_as_key():
    helper = InstanceProxy("key", ("__hash__", "__eq__"))
    assert {helper: 1}[helper] == 1


# --- results that are the wrapped object ------------------------------------------------


class SelfReturning:
    """An object whose call, context managers and iterator protocol return the object itself."""

    def __init__(self):
        self.items = iter([1, 2])
        self.events = []

    def __call__(self):
        return self

    def __enter__(self):
        self.events.append("enter")
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.events.append(("exit", exc_type))
        return False

    async def __aenter__(self):
        self.events.append("aenter")
        return self

    async def __aexit__(self, exc_type, exc_value, traceback):
        self.events.append("aexit")
        return False

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.items)


def test_with_returns_helper():
    helper = InstanceProxy(SelfReturning(), ("__enter__", "__exit__"))
    with helper as value:
        pass
    assert value is helper


def test_with_runs_enter_and_exit():
    target = SelfReturning()
    with InstanceProxy(target, ("__enter__", "__exit__")):
        pass
    assert target.events == ["enter", ("exit", None)]


def test_with_exit_sees_exception():
    target = SelfReturning()
    helper = InstanceProxy(target, ("__enter__", "__exit__"))
    with pytest.raises(KeyError):
        with helper:
            raise KeyError("inside")
    assert target.events == ["enter", ("exit", KeyError)]


def test_with_denied_exit_raises():
    helper = InstanceProxy(SelfReturning(), ("__enter__",))
    with pytest.raises(AccessError):
        with helper:
            pass


def test_async_with_returns_helper():
    helper = InstanceProxy(SelfReturning(), ("__aenter__", "__aexit__"))

    async def enter():
        async with helper as value:
            return value

    assert asyncio.run(enter()) is helper


def test_async_with_runs_both_hooks():
    target = SelfReturning()
    helper = InstanceProxy(target, ("__aenter__", "__aexit__"))

    async def enter():
        async with helper:
            pass

    asyncio.run(enter())
    assert target.events == ["aenter", "aexit"]


def test_async_for_over_helper():
    class Countdown:
        def __init__(self):
            self.remaining = 2

        def __aiter__(self):
            return self

        async def __anext__(self):
            if self.remaining == 0:
                raise StopAsyncIteration
            self.remaining -= 1
            return self.remaining

    helper = InstanceProxy(Countdown(), ("__aiter__", "__anext__"))

    async def collect():
        return [item async for item in helper]

    assert asyncio.run(collect()) == [1, 0]


def test_await_coroutine_function_result():
    class Delayed:
        def __await__(self):
            return asyncio.sleep(0, result="done").__await__()

    helper = InstanceProxy(Delayed(), ("__await__",))
    assert run_awaitable(helper) == "done"


def test_iter_of_iterator_returns_helper():
    helper = InstanceProxy(SelfReturning(), ("__iter__", "__next__"))
    assert iter(helper) is helper


def test_for_loop_over_iterator():
    helper = InstanceProxy(SelfReturning(), ("__iter__", "__next__"))
    assert [item for item in helper] == [1, 2]


def test_call_returning_self_gives_helper():
    helper = InstanceProxy(SelfReturning(), ("__call__",))
    assert helper() is helper


def test_attribute_holding_object_gives_helper():
    target = Record()
    target.me = target
    helper = InstanceProxy(target, ("me",))
    assert helper.me is helper


def test_call_passes_keyword_named_self():
    helper = InstanceProxy(dict, ("__call__",))
    assert helper(self=1) == {"self": 1}


# --- attributes, class and repr -----------------------------------------------------------


def test_delete_granted_attribute():
    target = Record()
    helper = InstanceProxy(target, ("a",))
    del helper.a
    assert not hasattr(target, "a")


def test_delete_denied_attribute():
    target = Record()
    helper = InstanceProxy(target, ("a",))
    with pytest.raises(AccessError):
        del helper.b
    assert target.b == 2


def test_hasattr_false_when_denied():
    helper = InstanceProxy(Record(), ("a",))
    assert hasattr(helper, "b") is False


def test_proxy_object_through_helper():
    target = Record()
    key = object()
    helper = InstanceProxy(target, ("a",), key)
    assert helper.proxy_object(key) is target


def test_passobj_by_keyword():
    target = Record()
    key = object()
    helper = InstanceProxy(target, interface=("a",), passobj=key)
    assert helper.proxy_object(key) is target


def test_class_denied_raises_access_error():
    helper = InstanceProxy(Record(), ("a",))
    with pytest.raises(AccessError):
        helper.__class__


def test_class_granted_returns_wrapped_class():
    helper = InstanceProxy(Record(), ("__class__",))
    assert helper.__class__ is Record


def test_type_stays_helper_class():
    helper = InstanceProxy(Record(), ("__class__",))
    assert type(helper) is InstanceProxy


def test_repr_uses_qualified_names():
    class Inner:
        pass

    helper = InstanceProxy(Inner())
    expected = (
        r"<mx\.Proxy\.Proxy\.InstanceProxy for "
        + re.escape(f"{__name__}.{Inner.__qualname__}")
        + r" at 0x[0-9a-f]+>"
    )
    assert re.fullmatch(expected, repr(helper))


def test_repr_names_subclass():
    class Audited(CachingInstanceProxy):
        pass

    assert repr(Audited(Record())).startswith(f"<{__name__}.{Audited.__qualname__} for ")


def test_repr_of_builtin_object():
    assert repr(InstanceProxy([1])).startswith("<mx.Proxy.Proxy.InstanceProxy for builtins.list at 0x")


def test_repr_without_str_grant():
    helper = InstanceProxy(Record(), ("a",))
    assert "Record" in repr(helper)


def test_helper_weakly_referenceable():
    helper = InstanceProxy(Record())
    reference = weakref.ref(helper)
    assert reference() is helper


def test_helper_pickle_raises_type_error():
    helper = InstanceProxy(Record())
    with pytest.raises(TypeError):
        pickle.dumps(helper)


def test_helper_copy_raises_type_error():
    helper = InstanceProxy(Record())
    with pytest.raises(TypeError):
        copy.copy(helper)


def test_helper_deepcopy_raises_type_error():
    helper = InstanceProxy(Record(), ("a",))
    with pytest.raises(TypeError):
        copy.deepcopy(helper)


def test_uninitialized_subclass_raises_type_error():
    class Forgetful(InstanceProxy):
        def __init__(self):
            pass

    helper = Forgetful()
    with pytest.raises(TypeError, match=r"__init__\(\) was not called"):
        helper.a


def test_second_init_raises_type_error():
    target = Record()
    helper = InstanceProxy(target, ("a",))
    with pytest.raises(TypeError, match="already initialized"):
        helper.__init__(Record(a=5))
    assert helper.a == 1


def test_uninitialized_subclass_repr():
    class Forgetful(InstanceProxy):
        def __init__(self):
            pass

    assert repr(Forgetful()).startswith("<uninitialized ")


# --- caching helpers ---------------------------------------------------------------------


def test_caching_skips_helper_itself():
    target = Record()
    target.me = target
    helper = CachingInstanceProxy(target, ("me",))
    assert helper.me is helper
    assert "me" not in vars(helper)


def test_caching_delete_reaches_object():
    target = Record()
    helper = CachingInstanceProxy(target, ("a",))
    helper.a
    del helper.a
    assert not hasattr(target, "a")


def test_caching_denied_write_keeps_cache():
    helper = CachingInstanceProxy(Record(), ("a",))
    helper.a
    with pytest.raises(AccessError):
        helper.b = 5
    assert vars(helper) == {"a": 1}


def test_caching_forwards_special_methods():
    helper = CachingInstanceProxy([1, 2], ("__len__",))
    assert len(helper) == 2


def test_caching_subclass_keeps_caching():
    class Audited(CachingInstanceProxy):
        def describe(self):
            return "audited"

    target = Record()
    helper = Audited(target, ("a",))
    assert helper.describe() == "audited"
    assert helper.a == 1
    target.a = 99
    assert helper.a == 1


def test_caching_subclass_isinstance_with_class():
    class Audited(CachingInstanceProxy):
        pass

    helper = Audited(Record(), ("__class__",))
    assert isinstance(helper, Record)
    assert isinstance(helper, Audited)


def test_selective_subclass_own_types():
    class TextCaching(SelectiveCachingInstanceProxy):
        proxy_cacheable_types = (str,)

    target = Record(a="text", b=2)
    helper = TextCaching(target, ("a", "b", "method"))
    helper.a
    helper.b
    helper.method
    assert set(vars(helper)) == {"a"}


def test_selective_default_is_proxy_type():
    assert SelectiveCachingInstanceProxy.proxy_cacheable_types == (ProxyType,)


def test_selective_cached_method_sees_changes():
    target = Record()
    helper = SelectiveCachingInstanceProxy(target, ("method",))
    helper.method
    target.a = 42
    assert helper.method() == 42


def test_caching_write_proxy_name_denied():
    helper = CachingInstanceProxy(Record())
    with pytest.raises(AccessError):
        helper.proxy_cacheable_types = (int,)


# --- read-only helper --------------------------------------------------------------------


def test_readonly_rejects_write_without_interface():
    target = Record()
    helper = ReadonlyInstanceProxy(target)
    with pytest.raises(AccessError, match="^write access denied$"):
        helper.a = 5
    assert target.a == 1


def test_readonly_allows_granted_setitem():
    target = [1, 2]
    helper = ReadonlyInstanceProxy(target, ("__setitem__",))
    helper[0] = 9
    assert target == [9, 2]


def test_readonly_subclass_still_readonly():
    class Labelled(ReadonlyInstanceProxy):
        def label(self):
            return "labelled"

    helper = Labelled(Record(), ("a",))
    assert helper.label() == "labelled"
    with pytest.raises(AccessError):
        helper.a = 5


# --- factories ------------------------------------------------------------------------------


def test_factory_keyword_construction():
    factory = ProxyFactory(Class=Record, interface=("a", "b"))
    proxy = factory(a=3, b=4)
    assert proxy.a == 3
    assert proxy.b == 4


def test_instance_factory_keyword_arguments():
    factory = InstanceProxyFactory(Record, interface=("a", "b"))
    helper = factory(b=7, a=6)
    assert helper.a == 6
    assert helper.b == 7


def test_factory_stores_arguments():
    factory = ProxyFactory(Record, ["a"])
    assert factory.Class is Record
    assert factory.interface == ("a",)


def test_factory_dict_interface_by_reference():
    interface = {"a": None}
    factory = InstanceProxyFactory(Record, interface)
    interface["b"] = None
    assert factory().b == 2


def test_factory_generator_interface_reused():
    factory = ProxyFactory(Record, (name for name in ["a"]))
    assert factory().a == 1
    assert factory().a == 1


def test_factory_interface_named_objects():
    def a():
        pass

    factory = ProxyFactory(Record, [a])
    assert factory().a == 1


def test_factory_accepts_plain_callable():
    factory = InstanceProxyFactory(record_factory, ("a",))
    assert factory(a=5).a == 5
    assert "record_factory" in repr(factory)


def test_factory_repr_format():
    factory = ProxyFactory(Record)
    expected = r"<mx\.Proxy\.Proxy\.ProxyFactory for " + re.escape(f"{__name__}.Record") + r" at 0x[0-9a-f]+>"
    assert re.fullmatch(expected, repr(factory))


def test_instance_factory_subclass():
    class Caching(InstanceProxyFactory):
        def __call__(self, *args, **kwargs):
            return CachingInstanceProxy(self.Class(*args, **kwargs), self.interface)

    helper = Caching(Record, ("a",))()
    helper.a
    assert vars(helper) == {"a": 1}


def test_factory_constructor_error_propagates():
    factory = ProxyFactory(Record)
    with pytest.raises(TypeError):
        factory(1, 2, 3)


# --- invalid arguments ---------------------------------------------------------------------


def test_factory_rejects_uncallable_class():
    with pytest.raises(TypeError, match="must be callable, not int"):
        ProxyFactory(5)


def test_factory_rejects_str_interface():
    with pytest.raises(TypeError, match="not str"):
        ProxyFactory(Record, "abc")


def test_factory_rejects_bytes_interface():
    with pytest.raises(TypeError, match="not bytes"):
        InstanceProxyFactory(Record, b"abc")


def test_factory_rejects_non_iterable_interface():
    with pytest.raises(TypeError, match="not int"):
        ProxyFactory(Record, 5)


def test_factory_rejects_invalid_interface_item():
    with pytest.raises(TypeError, match="not int"):
        ProxyFactory(Record, ["a", 5])


def test_factory_without_class_raises():
    with pytest.raises(TypeError):
        ProxyFactory()


def test_helper_rejects_str_interface():
    with pytest.raises(TypeError):
        InstanceProxy(Record(), "abc")


def test_helper_rejects_non_iterable_interface():
    with pytest.raises(TypeError):
        InstanceProxy(Record(), 5)


def test_helper_without_object_raises():
    with pytest.raises(TypeError):
        InstanceProxy()


def test_caching_rejects_invalid_interface_item():
    with pytest.raises(TypeError):
        CachingInstanceProxy(Record(), [object()])


# --- module ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", helpers.__all__)
def test_module_defines_every_exported_name(name):
    assert hasattr(helpers, name)


@pytest.mark.parametrize("name", helpers.__all__)
def test_package_reexports_every_name(name):
    assert getattr(mx.Proxy, name) is getattr(helpers, name)


@pytest.mark.parametrize(
    "helper_class",
    [
        InstanceProxy,
        CachingInstanceProxy,
        SelectiveCachingInstanceProxy,
        ReadonlyInstanceProxy,
        ProxyFactory,
        InstanceProxyFactory,
    ],
)
def test_helper_class_documented(helper_class):
    assert helper_class.__doc__


def test_forwarded_methods_documented():
    assert InstanceProxy.__add__.__doc__ == "Compute ``self + other`` on the held Proxy."
    assert InstanceProxy.__add__.__qualname__ == "InstanceProxy.__add__"
