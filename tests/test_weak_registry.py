"""Weak proxies and the universal weak-reference registry.

Objects with native weak-reference support are tracked through a
weakref.ref and add no registry entry. The registry keeps a reference to
every other object, and registry_entries() returns how many. Most tests assert that
this count returns to its value at the start of the test.
"""
import gc
import importlib
import math
import operator
import random
import re
import sys

import pytest

from mx.Proxy import (
    AccessError,
    InternalError,
    LostReferenceError,
    Proxy,
    WeakProxy,
    checkweakrefs,
    finalizeweakrefs,
    initweakrefs,
)

core = importlib.import_module("mx.Proxy.mxProxy.mxProxy")

LIVE_REPR = re.compile(r"<WeakProxy object at 0x[0-9a-fA-F]+>")
DEFUNCT_REPR = re.compile(r"<defunct WeakProxy object at 0x[0-9a-fA-F]+>")


class Native:
    """An object with native weak-reference support."""

    def __init__(self, label="native"):
        self.label = label

    def __len__(self):
        return 2


class Slotted:
    """An object without __weakref__, so weak proxies use the registry."""

    __slots__ = ("label",)

    def __init__(self, label="slotted"):
        self.label = label

    def __len__(self):
        return 2


class TrackedNative(Native):
    """A native-path object that records each call of its __del__."""

    deleted = []

    def __del__(self):
        TrackedNative.deleted.append(self.label)


class TrackedSlotted(Slotted):
    """A registry-path object that records each call of its __del__."""

    __slots__ = ()
    deleted = []

    def __del__(self):
        TrackedSlotted.deleted.append(self.label)


class NativeHooked:
    """A native-path object whose attribute access goes through hooks."""

    def __init__(self):
        self.log = []

    def __public_getattr__(self, name):
        return "read " + name

    def __public_setattr__(self, name, value):
        self.log.append(("set", name, value))

    def __public_delattr__(self, name):
        self.log.append(("del", name))


class SlottedHooked:
    """A registry-path object whose attribute access goes through hooks."""

    __slots__ = ("log",)

    def __init__(self):
        self.log = []

    def __public_getattr__(self, name):
        return "read " + name

    def __public_setattr__(self, name, value):
        self.log.append(("set", name, value))

    def __public_delattr__(self, name):
        self.log.append(("del", name))


class NativeWriteGuarded:
    """A native-path object with a write hook and no delete hook."""

    def __init__(self):
        self.value = 1

    def __public_setattr__(self, name, value):
        raise AccessError("read-only " + name)


class SlottedWriteGuarded:
    """A registry-path object with a write hook and no delete hook."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 1

    def __public_setattr__(self, name, value):
        raise AccessError("read-only " + name)


class NativeCleaned:
    cleaned = []

    def __cleanup__(self):
        NativeCleaned.cleaned.append("native")


class SlottedCleaned:
    __slots__ = ()
    cleaned = []

    def __cleanup__(self):
        SlottedCleaned.cleaned.append("slotted")


PATHS = {"native": Native, "registry": Slotted}
TRACKED = {"native": TrackedNative, "registry": TrackedSlotted}
HOOKED = {"native": NativeHooked, "registry": SlottedHooked}
WRITE_GUARDED = {"native": NativeWriteGuarded, "registry": SlottedWriteGuarded}
CLEANED = {"native": NativeCleaned, "registry": SlottedCleaned}

# Fresh registry-path objects of the built-in types. None of them is a
# constant that a code object or a cache keeps alive.
BUILTIN_FACTORIES = {
    "list": lambda: [1, 2],
    "dict": lambda: {"k": 1},
    "tuple": lambda: tuple([1, 2]),
    "int": lambda: int("7" * 25),
    "str": lambda: "-".join(["ab", "cd"]),
    "bytes": lambda: bytes(range(5)),
    "bytearray": lambda: bytearray(b"ab"),
}

# Objects that some other reference keeps alive for the whole run: None
# and True are singletons, 5 is a cached small int, and "append" is the
# interned name of a list method.
IMMORTALS = {"None": None, "True": True, "small-int": 5, "interned-str": "append"}


@pytest.fixture(autouse=True)
def clear_logs():
    for log in (TrackedNative.deleted, TrackedSlotted.deleted, NativeCleaned.cleaned, SlottedCleaned.cleaned):
        log.clear()
    yield


@pytest.fixture
def entries_at_start():
    """The registry's entry count before the test; the test must end with it."""
    checkweakrefs()
    return core.registry_entries()


@pytest.fixture
def restore_registry():
    """Start a fresh registry after a test that finalizes it."""
    yield
    initweakrefs()


@pytest.fixture
def automatic_gc_off():
    """Disable automatic collections, whose registry check would release
    phantom objects at moments the test does not choose."""
    was_enabled = gc.isenabled()
    gc.disable()
    yield
    if was_enabled:
        gc.enable()


# --- which path an object takes ---------------------------------------------------


def test_native_object_adds_no_entry(entries_at_start):
    target = Native()
    proxy = WeakProxy(target)
    assert core.registry_entries() == entries_at_start
    assert len(proxy) == 2


@pytest.mark.parametrize("kind", sorted(BUILTIN_FACTORIES))
def test_builtin_object_adds_one_entry(kind, entries_at_start):
    target = BUILTIN_FACTORIES[kind]()
    proxy = WeakProxy(target)
    assert core.registry_entries() == entries_at_start + 1
    del proxy
    assert core.registry_entries() == entries_at_start


@pytest.mark.parametrize("kind", sorted(BUILTIN_FACTORIES))
def test_builtin_object_released_after_deletion(kind, entries_at_start):
    target = BUILTIN_FACTORIES[kind]()
    proxy = WeakProxy(target)
    del target
    checkweakrefs()
    assert proxy.proxy_defunct() is True
    assert core.registry_entries() == entries_at_start


def test_slotted_object_adds_one_entry(entries_at_start):
    target = Slotted()
    proxy = WeakProxy(target)
    assert core.registry_entries() == entries_at_start + 1
    assert len(proxy) == 2


def test_registry_keeps_one_reference(entries_at_start):
    target = Slotted()
    count_before = sys.getrefcount(target)
    proxies = [WeakProxy(target) for _ in range(10)]
    assert sys.getrefcount(target) == count_before + 1
    del proxies
    assert sys.getrefcount(target) == count_before


def test_registry_entry_per_object(entries_at_start):
    targets = [Slotted(str(index)) for index in range(20)]
    proxies = [WeakProxy(target) for target in targets for _ in range(3)]
    assert core.registry_entries() == entries_at_start + 20
    del targets
    checkweakrefs()
    assert core.registry_entries() == entries_at_start
    assert all(proxy.proxy_defunct() for proxy in proxies)


# --- entry counts for every order of deletion ---------------------------------------


@pytest.mark.parametrize("object_first", [True, False], ids=["object-first", "proxies-first"])
def test_entry_gone_after_all_deleted(object_first, entries_at_start):
    target = TrackedSlotted("target")
    proxies = [WeakProxy(target) for _ in range(5)]
    if object_first:
        del target
        proxies.clear()
    else:
        proxies.clear()
        del target
    assert core.registry_entries() == entries_at_start
    assert TrackedSlotted.deleted == ["target"]


def test_object_deleted_midway_through_proxies(entries_at_start, automatic_gc_off):
    target = TrackedSlotted("target")
    proxies = [WeakProxy(target) for _ in range(6)]
    del proxies[:3]
    del target
    assert TrackedSlotted.deleted == []
    del proxies[0]
    assert TrackedSlotted.deleted == ["target"]
    assert core.registry_entries() == entries_at_start
    assert all(proxy.proxy_defunct() for proxy in proxies)


@pytest.mark.parametrize("seed", range(8))
def test_random_deletion_order_many_proxies(seed, entries_at_start):
    shuffler = random.Random(seed)
    references = {"object": TrackedSlotted("target")}
    for index in range(200):
        references[index] = WeakProxy(references["object"])
    order = list(references)
    shuffler.shuffle(order)

    for name in order:
        del references[name]
        if shuffler.random() < 0.1:
            checkweakrefs()

    assert TrackedSlotted.deleted == ["target"]
    assert core.registry_entries() == entries_at_start


@pytest.mark.parametrize("position", ["head", "middle", "tail"])
def test_unlink_chain_position_keeps_others(position, entries_at_start):
    target = Slotted()
    proxies = [WeakProxy(target) for _ in range(5)]
    index = {"head": -1, "middle": 2, "tail": 0}[position]
    del proxies[index]
    assert [len(proxy) for proxy in proxies] == [2, 2, 2, 2]
    del target
    checkweakrefs()
    assert [proxy.proxy_defunct() for proxy in proxies] == [True] * 4
    assert core.registry_entries() == entries_at_start


def test_new_proxy_after_release_starts_entry(entries_at_start):
    target = Slotted()
    first = WeakProxy(target)
    del first
    assert core.registry_entries() == entries_at_start
    second = WeakProxy(target)
    assert core.registry_entries() == entries_at_start + 1
    assert len(second) == 2


def test_many_objects_released_together(entries_at_start):
    targets = [TrackedSlotted(str(index)) for index in range(300)]
    proxies = [WeakProxy(target) for target in targets]
    del targets
    gc.collect()
    assert sorted(TrackedSlotted.deleted, key=int) == [str(index) for index in range(300)]
    assert core.registry_entries() == entries_at_start
    assert all(proxy.proxy_defunct() for proxy in proxies)


def test_use_releases_phantom(entries_at_start):
    target = TrackedSlotted("used")
    proxy = WeakProxy(target)
    del target
    with pytest.raises(LostReferenceError):
        proxy.label
    assert TrackedSlotted.deleted == ["used"]
    assert core.registry_entries() == entries_at_start


def test_proxy_defunct_releases_phantom(entries_at_start):
    target = TrackedSlotted("probed")
    proxy = WeakProxy(target)
    del target
    assert proxy.proxy_defunct() is True
    assert TrackedSlotted.deleted == ["probed"]
    assert core.registry_entries() == entries_at_start


def test_use_releases_only_own_object(entries_at_start, automatic_gc_off):
    other = TrackedSlotted("other")
    other_proxy = WeakProxy(other)
    del other
    target = TrackedSlotted("target")
    proxy = WeakProxy(target)

    assert proxy.label == "target"
    assert proxy.proxy_defunct() is False
    del proxy
    assert TrackedSlotted.deleted == []

    checkweakrefs()
    assert TrackedSlotted.deleted == ["other"]
    assert other_proxy.proxy_defunct() is True


def test_phantom_defuncts_every_proxy(entries_at_start):
    target = Slotted()
    proxies = [WeakProxy(target) for _ in range(4)]
    del target
    with pytest.raises(LostReferenceError):
        len(proxies[2])
    assert [proxy.proxy_defunct() for proxy in proxies] == [True] * 4


def test_object_with_other_references_survives(entries_at_start):
    target = TrackedSlotted("kept")
    holder = [target]
    proxy = WeakProxy(target)
    del target
    checkweakrefs()
    gc.collect()
    assert proxy.label == "kept"
    del holder
    checkweakrefs()
    assert TrackedSlotted.deleted == ["kept"]
    assert core.registry_entries() == entries_at_start


# --- immortal and shared objects -------------------------------------------------------


@pytest.mark.parametrize("name", sorted(IMMORTALS))
def test_immortal_proxy_never_defunct(name, entries_at_start):
    proxies = [WeakProxy(IMMORTALS[name]) for _ in range(3)]
    for _ in range(3):
        checkweakrefs()
        gc.collect()
    assert [proxy.proxy_defunct() for proxy in proxies] == [False] * 3


@pytest.mark.parametrize("name", sorted(IMMORTALS))
def test_immortal_entry_gone_with_proxies(name, entries_at_start):
    proxies = [WeakProxy(IMMORTALS[name]) for _ in range(3)]
    checkweakrefs()
    assert core.registry_entries() == entries_at_start + 1
    del proxies
    assert core.registry_entries() == entries_at_start


# None is left out: before Python 3.12 its reference count moves with
# unrelated code.
@pytest.mark.parametrize("name", ["interned-str", "small-int", "True"])
def test_immortal_refcount_restored(name, entries_at_start):
    value = IMMORTALS[name]
    count_before = sys.getrefcount(value)
    proxies = [WeakProxy(value) for _ in range(5)]
    del proxies
    assert sys.getrefcount(value) == count_before


def test_immortal_proxy_forwards_operations():
    assert WeakProxy(None).__class__ is type(None)
    assert WeakProxy(5) * 2 == 10
    assert WeakProxy("append").upper() == "APPEND"
    assert WeakProxy(True) == 1


@pytest.mark.parametrize("name", sorted(IMMORTALS))
def test_immortal_defunct_after_finalize(name, restore_registry):
    proxy = WeakProxy(IMMORTALS[name])
    finalizeweakrefs()
    assert proxy.proxy_defunct() is True
    assert core.registry_entries() == 0


# --- hooks, interface and pass object on both paths ------------------------------------


@pytest.mark.parametrize("path", sorted(HOOKED))
def test_weak_getattr_hook_applied(path):
    target = HOOKED[path]()
    proxy = WeakProxy(target)
    assert proxy.colour == "read colour"
    assert proxy.proxy_getattr("size") == "read size"


@pytest.mark.parametrize("path", sorted(HOOKED))
def test_weak_setattr_hook_applied(path):
    target = HOOKED[path]()
    proxy = WeakProxy(target)
    proxy.colour = "red"
    proxy.proxy_setattr("size", 3)
    assert target.log == [("set", "colour", "red"), ("set", "size", 3)]


@pytest.mark.parametrize("path", sorted(HOOKED))
def test_weak_delattr_hook_applied(path):
    target = HOOKED[path]()
    proxy = WeakProxy(target)
    del proxy.colour
    assert target.log == [("del", "colour")]


@pytest.mark.parametrize("path", sorted(WRITE_GUARDED))
def test_weak_write_hook_blocks_write(path):
    target = WRITE_GUARDED[path]()
    proxy = WeakProxy(target)
    with pytest.raises(AccessError, match="read-only value"):
        proxy.value = 2
    assert target.value == 1


@pytest.mark.parametrize("path", sorted(WRITE_GUARDED))
def test_weak_write_hook_blocks_delete(path):
    target = WRITE_GUARDED[path]()
    proxy = WeakProxy(target)
    with pytest.raises(AccessError):
        del proxy.value
    assert target.value == 1


@pytest.mark.parametrize("path", ["native", "registry"])
def test_weak_hook_added_later_applied(path):
    class Late:
        __slots__ = ("value",) if path == "registry" else ("value", "__weakref__")

        def __init__(self):
            self.value = 1

    target = Late()
    proxy = WeakProxy(target)
    assert proxy.value == 1
    Late.__public_getattr__ = lambda self, name: "late " + name
    assert proxy.value == "late value"


@pytest.mark.parametrize("path", ["native", "registry"])
def test_weak_hook_removed_later_ignored(path):
    class Early:
        __slots__ = ("value",) if path == "registry" else ("value", "__weakref__")

        def __init__(self):
            self.value = 1

        def __public_getattr__(self, name):
            return "hooked"

    target = Early()
    proxy = WeakProxy(target)
    assert proxy.value == "hooked"
    del Early.__public_getattr__
    assert proxy.value == 1


@pytest.mark.parametrize("path", sorted(HOOKED))
def test_weak_hook_error_propagates(path):
    class Failing(HOOKED[path]):
        __slots__ = ()

        def __public_getattr__(self, name):
            raise KeyError(name)

    target = Failing()
    proxy = WeakProxy(target)
    with pytest.raises(KeyError, match="colour"):
        proxy.colour


@pytest.mark.parametrize("path", sorted(CLEANED))
def test_weak_proxy_never_calls_cleanup(path, restore_registry):
    cls = CLEANED[path]
    target = cls()
    proxies = [WeakProxy(target) for _ in range(3)]
    del proxies[0]
    checkweakrefs()
    del target
    checkweakrefs()
    gc.collect()
    assert all(proxy.proxy_defunct() for proxy in proxies)
    del proxies
    finalizeweakrefs()
    assert cls.cleaned == []


@pytest.mark.parametrize("path", sorted(CLEANED))
def test_strong_proxy_cleanup_unaffected_by_weak(path):
    cls = CLEANED[path]
    target = cls()
    weak = WeakProxy(target)
    strong = Proxy(target)
    del strong
    assert cls.cleaned == [{"native": "native", "registry": "slotted"}[path]]
    assert weak.proxy_defunct() is False


@pytest.mark.parametrize("path", sorted(PATHS))
def test_weak_interface_denies_read(path):
    target = PATHS[path]()
    proxy = WeakProxy(target, ("label",))
    with pytest.raises(AccessError, match=r"^attribute read access \(other\) denied$"):
        proxy.other
    assert proxy.label == target.label


@pytest.mark.parametrize("path", sorted(PATHS))
def test_weak_interface_denies_write(path):
    target = PATHS[path]()
    proxy = WeakProxy(target, ["__len__"])
    with pytest.raises(AccessError, match=r"^attribute write access \(label\) denied$"):
        proxy.label = "changed"
    assert target.label != "changed"


@pytest.mark.parametrize("path", sorted(PATHS))
def test_weak_interface_denies_slot(path):
    target = PATHS[path]()
    proxy = WeakProxy(target, {"label": None})
    with pytest.raises(AccessError, match="__len__ access denied"):
        len(proxy)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_weak_dict_interface_grants_later(path):
    target = PATHS[path]()
    interface = {}
    proxy = WeakProxy(target, interface)
    with pytest.raises(AccessError):
        proxy.label
    interface["label"] = None
    assert proxy.label in ("native", "slotted")


@pytest.mark.parametrize("path", sorted(PATHS))
def test_weak_interface_kept_alive(path):
    target = PATHS[path]()
    interface = {"label": None}
    count_before = sys.getrefcount(interface)
    proxy = WeakProxy(target, interface)
    assert sys.getrefcount(interface) == count_before + 1
    del proxy
    assert sys.getrefcount(interface) == count_before


@pytest.mark.parametrize("path", sorted(PATHS))
def test_weak_proxy_object_with_key(path):
    key = object()
    target = PATHS[path]()
    proxy = WeakProxy(target, passobj=key)
    assert proxy.proxy_object(key) is target


@pytest.mark.parametrize("path", sorted(PATHS))
def test_weak_proxy_object_wrong_key(path):
    target = PATHS[path]()
    proxy = WeakProxy(target, None, "key")
    with pytest.raises(AccessError, match="^wrong pass-object$"):
        proxy.proxy_object("other key")


@pytest.mark.parametrize("path", sorted(PATHS))
def test_weak_proxy_object_without_key(path):
    target = PATHS[path]()
    proxy = WeakProxy(target)
    with pytest.raises(AccessError, match="^wrong pass-object$"):
        proxy.proxy_object(None)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_weak_none_passobj_means_none(path):
    target = PATHS[path]()
    proxy = WeakProxy(target, None, None)
    with pytest.raises(AccessError):
        proxy.proxy_object(None)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_dead_proxy_object_wrong_key(path):
    target = PATHS[path]()
    proxy = WeakProxy(target, None, "key")
    del target
    checkweakrefs()
    with pytest.raises(LostReferenceError):
        proxy.proxy_object("other key")


@pytest.mark.parametrize("path", sorted(PATHS))
def test_proxy_object_result_keeps_target(path, entries_at_start):
    key = object()
    target = PATHS[path]()
    proxy = WeakProxy(target, None, key)
    obtained = proxy.proxy_object(key)
    del target
    checkweakrefs()
    assert proxy.proxy_defunct() is False
    del obtained
    checkweakrefs()
    assert proxy.proxy_defunct() is True
    assert core.registry_entries() == entries_at_start


@pytest.mark.parametrize("path", sorted(PATHS))
def test_passobj_released_with_proxy(path):
    key = Native("key")
    target = PATHS[path]()
    count_before = sys.getrefcount(key)
    proxy = WeakProxy(target, None, key)
    del proxy
    assert sys.getrefcount(key) == count_before


def test_target_as_own_passobj(entries_at_start):
    target = TrackedSlotted("self-key")
    proxy = WeakProxy(target, None, target)
    del target
    checkweakrefs()
    assert proxy.proxy_defunct() is False
    del proxy
    assert TrackedSlotted.deleted == ["self-key"]
    assert core.registry_entries() == entries_at_start


def test_target_as_own_interface(entries_at_start):
    target = {"keys": None}
    proxy = WeakProxy(target, target)
    assert list(proxy.keys()) == ["keys"]
    del target
    checkweakrefs()
    assert proxy.proxy_defunct() is False
    del proxy
    assert core.registry_entries() == entries_at_start


# --- defunct proxies ---------------------------------------------------------------------------

# Operations on a defunct proxy, each of which must raise LostReferenceError
# even when the interface denies it or Python would fall back to another
# protocol.
DEAD_OPERATIONS = {
    "iter": iter,
    "next": next,
    "hash": hash,
    "eq": lambda proxy: proxy == 1,
    "lt": lambda proxy: proxy < 1,
    "contains": lambda proxy: 1 in proxy,
    "iadd": lambda proxy: operator.iadd(proxy, 1),
    "neg": operator.neg,
    "int": int,
    "index": operator.index,
    "round": round,
    "trunc": math.trunc,
    "reversed": reversed,
    "format": lambda proxy: format(proxy, ""),
    "dir": dir,
    "call": lambda proxy: proxy(),
    "setitem": lambda proxy: operator.setitem(proxy, 0, 1),
    "delitem": lambda proxy: operator.delitem(proxy, 0),
    "delattr": lambda proxy: delattr(proxy, "label"),
    "proxy_setattr": lambda proxy: proxy.proxy_setattr("label", 1),
    "enter": lambda proxy: proxy.__enter__(),
}


@pytest.mark.parametrize("interface", [None, ("other",)], ids=["open", "denying"])
@pytest.mark.parametrize("operation", sorted(DEAD_OPERATIONS))
@pytest.mark.parametrize("path", sorted(PATHS))
def test_dead_operation_raises_lost(path, operation, interface):
    target = PATHS[path]()
    proxy = WeakProxy(target, interface)
    del target
    checkweakrefs()
    with pytest.raises(LostReferenceError):
        DEAD_OPERATIONS[operation](proxy)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_dead_proxy_hasattr_false(path):
    target = PATHS[path]()
    proxy = WeakProxy(target)
    del target
    checkweakrefs()
    assert hasattr(proxy, "label") is False
    assert isinstance(proxy, PATHS[path]) is False


# --- repr and proxy_defunct -----------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(PATHS))
def test_repr_live_weak_proxy(path):
    target = PATHS[path]()
    proxy = WeakProxy(target)
    assert LIVE_REPR.fullmatch(repr(proxy))


@pytest.mark.parametrize("path", sorted(PATHS))
def test_repr_hides_wrapped_object(path):
    target = PATHS[path]("SECRET-LABEL")
    proxy = WeakProxy(target)
    assert "SECRET" not in repr(proxy)
    assert "Native" not in repr(proxy)
    assert "Slotted" not in repr(proxy)


def test_repr_phantom_says_defunct():
    target = Slotted()
    proxy = WeakProxy(target)
    del target
    assert DEFUNCT_REPR.fullmatch(repr(proxy))
    assert proxy.proxy_defunct() is True


@pytest.mark.parametrize("path", sorted(PATHS))
def test_repr_after_finalize_says_defunct(path, restore_registry):
    target = PATHS[path]()
    proxy = WeakProxy(target)
    finalizeweakrefs()
    assert DEFUNCT_REPR.fullmatch(repr(proxy))


@pytest.mark.parametrize("path", sorted(PATHS))
def test_proxy_object_on_live_proxy_after_check(path):
    key = object()
    target = PATHS[path]()
    proxy = WeakProxy(target, ("label",), key)
    checkweakrefs()
    gc.collect()
    assert proxy.proxy_object(key) is target


class ProbingNative(Native):
    """A native-path object whose __del__ inspects weak proxies to itself."""

    probes = []

    def __del__(self):
        for proxy in self.proxies:
            ProbingNative.probes.append((repr(proxy), proxy.proxy_defunct()))


class ProbingSlotted:
    """A registry-path object whose __del__ inspects weak proxies to itself."""

    __slots__ = ("proxies",)
    probes = []

    def __del__(self):
        for proxy in self.proxies:
            ProbingSlotted.probes.append((repr(proxy), proxy.proxy_defunct()))


@pytest.mark.parametrize("release", ["deletion", "check", "collect", "finalize"])
def test_registry_proxies_defunct_inside_del(release, restore_registry):
    ProbingSlotted.probes.clear()
    target = ProbingSlotted()
    target.proxies = [WeakProxy(target) for _ in range(3)]
    trigger = WeakProxy(target)
    del target
    if release == "deletion":
        del trigger
    else:
        {"check": checkweakrefs, "collect": gc.collect, "finalize": finalizeweakrefs}[release]()
    assert len(ProbingSlotted.probes) == 3
    for text, defunct in ProbingSlotted.probes:
        assert DEFUNCT_REPR.fullmatch(text)
        assert defunct is True


def test_native_probes_inside_del_never_raise():
    ProbingNative.probes.clear()
    target = ProbingNative()
    target.proxies = [WeakProxy(target) for _ in range(3)]
    del target
    gc.collect()
    assert len(ProbingNative.probes) == 3
    for text, defunct in ProbingNative.probes:
        assert LIVE_REPR.fullmatch(text) or DEFUNCT_REPR.fullmatch(text)
        assert defunct in (True, False)


def test_native_cycle_probes_inside_del():
    ProbingNative.probes.clear()
    target = ProbingNative()
    target.proxies = [WeakProxy(target) for _ in range(2)]
    target.cycle = target
    del target
    gc.collect()
    assert len(ProbingNative.probes) == 2
    for text, defunct in ProbingNative.probes:
        assert DEFUNCT_REPR.fullmatch(text)
        assert defunct is True


# --- finalizeweakrefs and initweakrefs -----------------------------------------------------


def test_finalize_empties_registry(restore_registry):
    targets = [Slotted() for _ in range(10)]
    proxies = [WeakProxy(target) for target in targets]
    finalizeweakrefs()
    assert core.registry_entries() == 0
    assert all(proxy.proxy_defunct() for proxy in proxies)


def test_finalize_releases_registry_only_objects(restore_registry):
    target = TrackedSlotted("phantom")
    holder = TrackedSlotted("held")
    proxies = [WeakProxy(target), WeakProxy(holder)]
    del target
    finalizeweakrefs()
    assert TrackedSlotted.deleted == ["phantom"]
    assert holder.label == "held"
    assert len(proxies) == 2


def test_finalize_then_delete_proxies(restore_registry):
    targets = [Slotted() for _ in range(5)]
    proxies = [WeakProxy(target) for target in targets for _ in range(2)]
    finalizeweakrefs()
    del proxies
    del targets
    assert core.registry_entries() == 0


def test_check_after_finalize_harmless(restore_registry):
    target = Slotted()
    proxy = WeakProxy(target)
    finalizeweakrefs()
    checkweakrefs()
    gc.collect()
    assert core.registry_entries() == 0
    assert proxy.proxy_defunct() is True


def test_finalized_error_names_initweakrefs(restore_registry):
    finalizeweakrefs()
    with pytest.raises(InternalError, match="initweakrefs"):
        WeakProxy(Slotted())


def test_finalized_registry_blocks_keywords(restore_registry):
    finalizeweakrefs()
    with pytest.raises(InternalError):
        WeakProxy(object=Native(), interface=("label",), passobj="key")


def test_init_twice_keeps_registry_usable(restore_registry):
    initweakrefs()
    initweakrefs()
    target = Slotted()
    proxy = WeakProxy(target)
    assert len(proxy) == 2
    assert core.registry_entries() == 1


def test_init_releases_existing_entries(restore_registry):
    target = TrackedSlotted("reset")
    proxies = [WeakProxy(target) for _ in range(2)]
    del target
    initweakrefs()
    assert TrackedSlotted.deleted == ["reset"]
    assert core.registry_entries() == 0
    assert all(proxy.proxy_defunct() for proxy in proxies)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_old_proxy_stays_defunct_after_init(path, restore_registry):
    target = PATHS[path]()
    proxy = WeakProxy(target)
    finalizeweakrefs()
    initweakrefs()
    assert proxy.proxy_defunct() is True
    with pytest.raises(LostReferenceError):
        len(proxy)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_old_and_new_proxies_coexist(path, restore_registry):
    target = PATHS[path]()
    old = WeakProxy(target)
    initweakrefs()
    new = WeakProxy(target)
    assert old.proxy_defunct() is True
    assert new.proxy_defunct() is False
    del old
    assert len(new) == 2


@pytest.mark.parametrize("path", sorted(PATHS))
def test_old_proxy_deleted_after_new_registry(path, restore_registry):
    target = PATHS[path]()
    old = [WeakProxy(target) for _ in range(3)]
    finalizeweakrefs()
    initweakrefs()
    new = WeakProxy(target)
    del old
    assert len(new) == 2
    expected = 1 if path == "registry" else 0
    assert core.registry_entries() == expected


def test_many_finalize_init_cycles(restore_registry):
    target = Slotted()
    for _ in range(1000):
        proxy = WeakProxy(target)
        finalizeweakrefs()
        assert proxy.proxy_defunct() is True
        initweakrefs()
    assert core.registry_entries() == 0


@pytest.mark.xfail(
    strict=True,
    reason="the registry generation stored in each proxy has 16 bits, so 65536 "
    "finalizations later a native weak proxy made defunct by finalizeweakrefs() "
    "works again",
)
def test_native_proxy_defunct_after_many_generations(restore_registry):
    target = Native()
    proxy = WeakProxy(target)
    finalizeweakrefs()
    initweakrefs()
    for _ in range(65535):
        finalizeweakrefs()
        initweakrefs()
    assert proxy.proxy_defunct() is True


def test_registry_proxy_defunct_after_many_generations(restore_registry):
    target = Slotted()
    proxy = WeakProxy(target)
    for _ in range(65536):
        finalizeweakrefs()
        initweakrefs()
    assert proxy.proxy_defunct() is True


def test_strong_proxy_after_finalize_cleans_up(restore_registry):
    finalizeweakrefs()
    target = NativeCleaned()
    proxy = Proxy(target)
    del proxy
    assert NativeCleaned.cleaned == ["native"]


# --- proxies of proxies -------------------------------------------------------------------


def test_weak_proxy_of_strong_proxy(entries_at_start):
    strong = Proxy(Slotted())
    weak = WeakProxy(strong)
    assert core.registry_entries() == entries_at_start
    assert len(weak) == 2
    del strong
    assert weak.proxy_defunct() is True


def test_weak_proxy_of_weak_proxy(entries_at_start):
    target = Slotted()
    inner = WeakProxy(target)
    outer = WeakProxy(inner)
    assert len(outer) == 2
    del target
    checkweakrefs()
    with pytest.raises(LostReferenceError):
        len(outer)
    del inner
    assert outer.proxy_defunct() is True
    assert core.registry_entries() == entries_at_start
