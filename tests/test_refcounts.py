"""Reference counts and memory around strong proxies.

Each test repeats an operation 1,000 times and checks that the reference
counts of the objects involved (the wrapped object, the interface, the
pass object, values and hooks) end where they started. A leak of one
reference per operation shows as a difference of 1,000, and a missing
reference would free an object still in use.
"""
import gc
import sys
import tracemalloc

import pytest

from mx.Proxy import AccessError, Proxy, ProxyType

REPETITIONS = 1000


class Record:
    def __init__(self):
        self.a = 1
        self.b = 2

    def method(self):
        return self.a


class Hooked:
    def __init__(self):
        self.values = {}

    def __public_getattr__(self, name):
        if name == "failing":
            raise KeyError(name)
        return self.values.get(name)

    def __public_setattr__(self, name, value):
        if name == "failing":
            raise KeyError(name)
        self.values[name] = value

    def __public_delattr__(self, name):
        if name == "failing":
            raise KeyError(name)
        self.values.pop(name, None)

    def __cleanup__(self):
        pass


def reference_counts(objects):
    return [sys.getrefcount(item) for item in objects]


def assert_counts_stable(operation, *objects):
    """Run operation REPETITIONS times and fail if any object's count moved."""
    operation()
    gc.collect()
    before = reference_counts(objects)
    for _ in range(REPETITIONS):
        operation()
    gc.collect()
    after = reference_counts(objects)
    assert after == before


def ignore(error_class, action):
    """Return a function that runs action and swallows error_class."""

    def run():
        try:
            action()
        except error_class:
            pass

    return run


# --- construction ---------------------------------------------------------------

INTERFACE_KINDS = {
    "none": lambda: None,
    "tuple": lambda: ("a", "b"),
    "list": lambda: ["a", "b"],
    "dict": lambda: {"a": None, "b": None},
    "set": lambda: {"a", "b"},
    "frozenset": lambda: frozenset({"a", "b"}),
    "named-objects": lambda: (Record.method, type("a", (), {})),
}


@pytest.mark.parametrize("kind", sorted(INTERFACE_KINDS))
def test_construct_with_interface_kind(kind):
    record = Record()
    interface = INTERFACE_KINDS[kind]()
    key = object()
    assert_counts_stable(lambda: Proxy(record, interface, key), record, interface, key)


@pytest.mark.parametrize("kind", sorted(INTERFACE_KINDS))
def test_construct_by_proxy_type(kind):
    record = Record()
    interface = INTERFACE_KINDS[kind]()
    key = object()
    assert_counts_stable(lambda: ProxyType(record, interface, key), record, interface, key)


def test_construct_with_keywords():
    record = Record()
    interface = ("a",)
    key = object()

    def construct():
        Proxy(object=record, interface=interface, passobj=key)

    assert_counts_stable(construct, record, interface, key)


def test_construct_interface_names():
    # The names put into the private lookup table are released with it.
    record = Record()
    name = "".join(["long", "name"])
    interface = [name]
    assert_counts_stable(lambda: Proxy(record, interface), record, name)


def test_construct_with_generator_interface():
    record = Record()
    assert_counts_stable(lambda: Proxy(record, (name for name in ["a", "b"])), record)


def test_construct_with_hooks():
    hooked = Hooked()
    hook_function = Hooked.__public_getattr__
    assert_counts_stable(lambda: Proxy(hooked), hooked, hook_function)


def test_construct_bound_method():
    record = Record()
    method_function = Record.method
    assert_counts_stable(lambda: Proxy(record.method), record, method_function)


BAD_INTERFACES = {
    "str": "ab",
    "bytes": b"ab",
    "int": 10**20,
    "int-item": ("a", 5),
    "none-item": ("a", None),
    "bytes-item": ["a", b"b"],
    "nameless-item": ("a", object()),
}


@pytest.mark.parametrize("kind", sorted(BAD_INTERFACES))
def test_failed_construction_bad_interface(kind):
    record = Record()
    interface = BAD_INTERFACES[kind]
    key = object()
    construct = ignore(TypeError, lambda: Proxy(record, interface, key))
    assert_counts_stable(construct, record, interface, key)


def test_failed_construction_iteration_error():
    record = Record()
    key = object()
    error = LookupError("no more names")

    def names():
        yield "a"
        raise error

    construct = ignore(LookupError, lambda: Proxy(record, names(), key))
    assert_counts_stable(construct, record, key, error)


def test_failed_construction_item_name_error():
    class NameRaises:
        @property
        def __name__(self):
            raise RuntimeError("no name")

    record = Record()
    item = NameRaises()
    interface = ["a", item]
    construct = ignore(RuntimeError, lambda: Proxy(record, interface))
    assert_counts_stable(construct, record, item, interface)


def test_failed_construction_hook_binding():
    class FailingDescriptor:
        def __get__(self, instance, owner):
            raise RuntimeError("binding failed")

    class PartlyHooked(Hooked):
        __cleanup__ = FailingDescriptor()

    hooked = PartlyHooked()
    interface = {"a": None}
    key = object()
    construct = ignore(RuntimeError, lambda: Proxy(hooked, interface, key))
    assert_counts_stable(construct, hooked, interface, key)


def test_failed_construction_bad_arguments():
    record = Record()
    key = object()
    construct = ignore(TypeError, lambda: Proxy(record, None, key, colour=1))
    assert_counts_stable(construct, record, key)


# --- attribute access -------------------------------------------------------------------


def test_attribute_read():
    record = Record()
    value = object()
    record.value = value
    proxy = Proxy(record, ("value",))
    assert_counts_stable(lambda: proxy.value, record, value, proxy)


def test_attribute_write():
    record = Record()
    value = object()
    proxy = Proxy(record, ("value",))

    def write():
        proxy.value = value

    assert_counts_stable(write, record, value, proxy)


def test_attribute_write_delete():
    record = Record()
    value = object()
    proxy = Proxy(record)

    def write_then_delete():
        proxy.value = value
        del proxy.value

    assert_counts_stable(write_then_delete, record, value, proxy)


def test_method_read_and_call():
    record = Record()
    proxy = Proxy(record, ("method",))
    assert_counts_stable(lambda: proxy.method(), record, proxy)


def test_hook_calls():
    hooked = Hooked()
    value = object()
    proxy = Proxy(hooked)

    def use_hooks():
        proxy.value = value
        proxy.value
        del proxy.value

    assert_counts_stable(use_hooks, hooked, value, proxy)


def test_hook_failures():
    hooked = Hooked()
    value = object()
    proxy = Proxy(hooked)

    def fail_hooks():
        for action in (
            lambda: proxy.failing,
            lambda: setattr(proxy, "failing", value),
            lambda: delattr(proxy, "failing"),
        ):
            try:
                action()
            except KeyError:
                pass

    assert_counts_stable(fail_hooks, hooked, value, proxy)


def test_denied_accesses():
    record = Record()
    value = object()
    interface = {"a": None}
    proxy = Proxy(record, interface)

    def deny_all():
        for action in (
            lambda: proxy.b,
            lambda: setattr(proxy, "b", value),
            lambda: delattr(proxy, "b"),
            lambda: setattr(proxy, "proxy_value", value),
        ):
            try:
                action()
            except AccessError:
                pass

    assert_counts_stable(deny_all, record, value, interface, proxy)


def test_missing_attribute_reads():
    record = Record()
    proxy = Proxy(record)
    assert_counts_stable(ignore(AttributeError, lambda: proxy.missing), record, proxy)


def test_missing_attribute_deletes():
    record = Record()
    proxy = Proxy(record)
    assert_counts_stable(ignore(AttributeError, lambda: delattr(proxy, "missing")), record, proxy)


def test_delete_rejected_by_setattr_hook():
    class WriteControlled:
        def __public_setattr__(self, name, value):
            pass

    record = WriteControlled()
    proxy = Proxy(record)
    assert_counts_stable(ignore(AccessError, lambda: delattr(proxy, "a")), record, proxy)


def test_object_error_propagation():
    error = ValueError("getter failed")

    class Failing:
        @property
        def value(self):
            raise error

    record = Failing()
    proxy = Proxy(record, ("value",))
    assert_counts_stable(ignore(ValueError, lambda: proxy.value), record, proxy, error)


# --- proxy_* methods ---------------------------------------------------------------------


def test_proxy_getattr_method():
    record = Record()
    proxy = Proxy(record, ("a",))
    assert_counts_stable(lambda: proxy.proxy_getattr("a"), record, proxy)


def test_proxy_setattr_method():
    record = Record()
    value = object()
    proxy = Proxy(record, ("a",))
    assert_counts_stable(lambda: proxy.proxy_setattr("a", value), record, value, proxy)


def test_proxy_object_method():
    record = Record()
    key = object()
    proxy = Proxy(record, (), key)
    assert_counts_stable(lambda: proxy.proxy_object(key), record, key, proxy)


def test_proxy_object_wrong_passobj():
    record = Record()
    key = object()
    wrong = object()
    proxy = Proxy(record, (), key)
    assert_counts_stable(ignore(AccessError, lambda: proxy.proxy_object(wrong)), record, key, wrong, proxy)


def test_proxy_defunct_method():
    record = Record()
    proxy = Proxy(record)
    assert_counts_stable(lambda: proxy.proxy_defunct(), record, proxy)


def test_proxy_method_bad_arguments():
    record = Record()
    proxy = Proxy(record)
    name = "".join(["a", "b"])

    def misuse():
        for action in (
            lambda: proxy.proxy_getattr(5),
            lambda: proxy.proxy_setattr(name),
            lambda: proxy.proxy_setattr(5, name),
        ):
            try:
                action()
            except TypeError:
                pass

    assert_counts_stable(misuse, record, proxy, name)


# --- lifetime -----------------------------------------------------------------------------


def test_cleanup_hook_calls():
    calls = []

    class Cleaned:
        def __cleanup__(self):
            calls.append(None)

    record = Cleaned()
    assert_counts_stable(lambda: Proxy(record), record)
    assert len(calls) == REPETITIONS + 1


def test_failing_cleanup_hook():
    class Faulty:
        def __cleanup__(self):
            raise ValueError("cleanup failed")

    record = Faulty()
    assert_counts_stable(lambda: Proxy(record), record)


def test_collected_cycles():
    class Node:
        def __cleanup__(self):
            pass

    key = object()
    interface = {"a": None}
    gc.collect()
    before = reference_counts([key, interface])
    for _ in range(REPETITIONS):
        node = Node()
        node.me = Proxy(node, interface, key)
    del node
    gc.collect()
    assert reference_counts([key, interface]) == before


def test_no_proxies_left_behind():
    record = Record()
    gc.collect()
    before = sum(1 for item in gc.get_objects() if type(item) is ProxyType)
    for _ in range(REPETITIONS):
        Proxy(record, ("a",)).a
    gc.collect()
    after = sum(1 for item in gc.get_objects() if type(item) is ProxyType)
    assert after == before


# --- memory -----------------------------------------------------------------------------------


def test_create_destroy_memory_bounded():
    # Each of the 100,000 proxies has an interface, a pass object and hooks.
    # A leak of 16 bytes per proxy would add 1.6 MB, so the 64 KiB bound
    # leaves room only for allocator noise.
    hooked = Hooked()
    key = object()
    interface = ("a", "b")
    for _ in range(1000):
        Proxy(hooked, interface, key)
    gc.collect()
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        for _ in range(100_000):
            Proxy(hooked, interface, key).a
        gc.collect()
        end, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert end - start < 64 * 1024
