"""Reference and memory leaks of weak proxies, and the registry at exit.

Each leak test repeats one create-use-destroy cycle 100,000 times, or
10,000 to 50,000 times when one cycle does more work, such as making
several proxies or checking or resetting the registry. Afterwards it checks one or more of these: the reference counts
of the objects involved are back to their starting values, memory traced
by tracemalloc grew by at most 64 KiB, and registry_entries() is back
where it started.

NOTE: tracemalloc traces only memory allocated through Python's
allocators. The registry's own table is allocated by Rust, so only the
entry count covers it.
"""
import gc
import importlib
import sys
import tracemalloc

import pytest

from mx.Proxy import (
    LostReferenceError,
    WeakProxy,
    checkweakrefs,
    finalizeweakrefs,
    initweakrefs,
)

core = importlib.import_module("mx.Proxy.mxProxy.mxProxy")

CYCLES = 100_000
WARM_UP_CYCLES = 2_000
GROWTH_LIMIT = 64 * 1024


class Native:
    def __init__(self):
        self.label = "native"

    def __len__(self):
        return 1


class Slotted:
    __slots__ = ("label",)

    def __init__(self):
        self.label = "slotted"

    def __len__(self):
        return 1


class NativeHooked(Native):
    def __public_getattr__(self, name):
        return name

    def __public_setattr__(self, name, value):
        pass


class SlottedHooked(Slotted):
    __slots__ = ()

    def __public_getattr__(self, name):
        return name

    def __public_setattr__(self, name, value):
        pass


PATHS = {"native": Native, "registry": Slotted}
HOOKED = {"native": NativeHooked, "registry": SlottedHooked}


def traced_growth(cycle, count=CYCLES):
    """Run cycle count times and return the growth of traced memory in bytes."""
    for _ in range(WARM_UP_CYCLES):
        cycle()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(count):
            cycle()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before


@pytest.fixture
def entries_at_start():
    checkweakrefs()
    return core.registry_entries()


@pytest.fixture
def restore_registry():
    yield
    initweakrefs()


# --- proxies to a long-lived object ------------------------------------------------------


@pytest.mark.parametrize("path", sorted(PATHS))
def test_use_cycle_keeps_refcount(path, entries_at_start):
    target = PATHS[path]()
    count_before = sys.getrefcount(target)

    def cycle():
        proxy = WeakProxy(target)
        proxy.label
        len(proxy)
        del proxy

    traced_growth(cycle)
    assert sys.getrefcount(target) == count_before
    assert core.registry_entries() == entries_at_start


@pytest.mark.parametrize("path", sorted(PATHS))
def test_use_cycle_memory_bounded(path, entries_at_start):
    target = PATHS[path]()

    def cycle():
        proxy = WeakProxy(target)
        proxy.label
        len(proxy)
        del proxy

    assert traced_growth(cycle) <= GROWTH_LIMIT
    assert core.registry_entries() == entries_at_start


@pytest.mark.parametrize("path", sorted(PATHS))
def test_many_proxies_cycle_no_leak(path, entries_at_start):
    target = PATHS[path]()
    count_before = sys.getrefcount(target)

    def cycle():
        proxies = [WeakProxy(target) for _ in range(5)]
        del proxies[2]
        del proxies[0]
        del proxies[-1]
        del proxies

    growth = traced_growth(cycle, CYCLES // 5)
    assert sys.getrefcount(target) == count_before
    assert growth <= GROWTH_LIMIT
    assert core.registry_entries() == entries_at_start


@pytest.mark.parametrize("path", sorted(PATHS))
def test_interface_passobj_refcounts_kept(path, entries_at_start):
    target = PATHS[path]()
    # Tuples are left out: the module caches the lookup tables it builds
    # from tuples, and each cached table keeps a reference to its tuple.
    interfaces = {"dict": {"label": None, "__len__": None}, "list": ["label", "__len__"]}
    key = Native()
    counts_before = {name: sys.getrefcount(value) for name, value in interfaces.items()}
    key_count_before = sys.getrefcount(key)

    def cycle():
        for interface in interfaces.values():
            proxy = WeakProxy(target, interface, key)
            proxy.label
            proxy.proxy_object(key)
            del proxy

    growth = traced_growth(cycle, CYCLES // 2)
    assert {name: sys.getrefcount(value) for name, value in interfaces.items()} == counts_before
    assert sys.getrefcount(key) == key_count_before
    assert growth <= GROWTH_LIMIT
    assert core.registry_entries() == entries_at_start


@pytest.mark.parametrize("path", sorted(HOOKED))
def test_hook_cycle_no_leak(path, entries_at_start):
    cls = HOOKED[path]
    target = cls()
    count_before = sys.getrefcount(target)
    class_count_before = sys.getrefcount(cls)

    def cycle():
        proxy = WeakProxy(target)
        proxy.colour
        proxy.colour = "red"
        del proxy

    growth = traced_growth(cycle)
    assert sys.getrefcount(target) == count_before
    assert sys.getrefcount(cls) == class_count_before
    assert growth <= GROWTH_LIMIT


@pytest.mark.parametrize("path", sorted(PATHS))
def test_denied_access_cycle_no_leak(path, entries_at_start):
    target = PATHS[path]()
    interface = ("__len__",)
    count_before = sys.getrefcount(target)

    def cycle():
        proxy = WeakProxy(target, interface)
        try:
            proxy.label
        except AttributeError:
            pass
        del proxy

    growth = traced_growth(cycle)
    assert sys.getrefcount(target) == count_before
    assert growth <= GROWTH_LIMIT


# --- proxies that outlive their object -----------------------------------------------------


@pytest.mark.parametrize("path", sorted(PATHS))
def test_dead_proxy_cycle_no_leak(path, entries_at_start):
    key = Native()
    key_count_before = sys.getrefcount(key)

    def cycle():
        target = PATHS[path]()
        proxy = WeakProxy(target, None, key)
        del target
        try:
            proxy.label
        except LostReferenceError:
            pass
        del proxy

    growth = traced_growth(cycle)
    assert sys.getrefcount(key) == key_count_before
    assert growth <= GROWTH_LIMIT
    assert core.registry_entries() == entries_at_start


@pytest.mark.parametrize("release", ["check", "deletion", "defunct-probe"])
def test_registry_release_cycle_no_leak(release, entries_at_start):
    def cycle():
        target = Slotted()
        first = WeakProxy(target)
        second = WeakProxy(target)
        del target
        if release == "check":
            checkweakrefs()
        elif release == "defunct-probe":
            second.proxy_defunct()
        del first, second

    growth = traced_growth(cycle, CYCLES // 2)
    assert growth <= GROWTH_LIMIT
    assert core.registry_entries() == entries_at_start


@pytest.mark.parametrize("kind", ["list", "dict", "tuple", "str", "int"])
def test_builtin_object_cycle_no_leak(kind, entries_at_start):
    factories = {
        "list": lambda: [1, 2],
        "dict": lambda: {"k": 1},
        "tuple": lambda: tuple([1, 2]),
        "str": lambda: "-".join(["ab", "cd"]),
        "int": lambda: int("9" * 30),
    }
    make = factories[kind]

    def cycle():
        target = make()
        proxy = WeakProxy(target)
        str(proxy)
        del target
        try:
            str(proxy)
        except LostReferenceError:
            pass
        del proxy

    assert traced_growth(cycle) <= GROWTH_LIMIT
    assert core.registry_entries() == entries_at_start


def immortal_cycle(value):
    def cycle():
        proxy = WeakProxy(value)
        checkweakrefs()
        del proxy

    return cycle


# None is left out: before Python 3.12 its reference count moves with
# unrelated code, such as the frames that the cycles create.
@pytest.mark.parametrize("value", [7, "append"], ids=["small-int", "interned-str"])
def test_immortal_cycle_keeps_refcount(value, entries_at_start):
    count_before = sys.getrefcount(value)
    traced_growth(immortal_cycle(value), CYCLES // 10)
    assert sys.getrefcount(value) == count_before


@pytest.mark.parametrize("value", [None, 7, "append"], ids=["None", "small-int", "interned-str"])
def test_immortal_cycle_no_leak(value, entries_at_start):
    growth = traced_growth(immortal_cycle(value), CYCLES // 10)
    assert growth <= GROWTH_LIMIT
    assert core.registry_entries() == entries_at_start


def test_entries_released_after_gc(entries_at_start):
    def cycle():
        target = Slotted()
        proxy = WeakProxy(target)
        holder = [proxy]
        del target, proxy, holder

    traced_growth(cycle, CYCLES // 10)
    gc.collect()
    assert core.registry_entries() == entries_at_start


def test_finalize_cycle_no_leak(restore_registry):
    target = Slotted()
    native = Native()
    counts_before = (sys.getrefcount(target), sys.getrefcount(native))

    def cycle():
        proxies = [WeakProxy(target), WeakProxy(native)]
        finalizeweakrefs()
        initweakrefs()
        del proxies

    growth = traced_growth(cycle, CYCLES // 10)
    assert (sys.getrefcount(target), sys.getrefcount(native)) == counts_before
    assert growth <= GROWTH_LIMIT
    assert core.registry_entries() == 0


# --- deep nesting -----------------------------------------------------------------------------


def test_deep_passobj_chain_deallocates(run_python):
    """Free a chain of weak proxies in which each is the pass object of the next.

    Freeing the last proxy frees the others through nested deallocations,
    which must not exhaust the C stack.
    """
    result = run_python(
        """
        import gc
        gc.disable()
        from mx.Proxy import WeakProxy
        target = [1]
        proxy = None
        for _ in range(1_000_000):
            proxy = WeakProxy(target, None, proxy)
        del proxy
        print("freed")
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "freed"


# --- interpreter exit ------------------------------------------------------------------------
# The scripts disable the garbage collector, so no collection releases their
# phantom objects before the interpreter exits.


def test_exit_releases_registry_objects(run_python):
    result = run_python(
        """
        import gc
        gc.disable()
        from mx.Proxy import WeakProxy

        class Loud:
            __slots__ = ("name",)

            def __init__(self, name):
                self.name = name

            def __del__(self):
                print("deleted", self.name, flush=True)

        class LoudNative:
            def __init__(self, name):
                self.name = name

            def __del__(self):
                print("deleted", self.name, flush=True)

        referenced = Loud("referenced")
        referenced_proxies = [WeakProxy(referenced) for _ in range(3)]
        phantom_proxies = [WeakProxy(Loud("phantom-%d" % index)) for index in range(3)]
        native = LoudNative("native")
        native_proxy = WeakProxy(native)
        immortal_proxy = WeakProxy(None)
        listing = [1, 2]
        listing_proxy = WeakProxy(listing)
        print("exiting", flush=True)
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0] == "exiting"
    for name in ("phantom-0", "phantom-1", "phantom-2"):
        assert "deleted " + name in lines


def test_exit_releases_registry_only_chain(run_python):
    result = run_python(
        """
        import gc
        gc.disable()
        from mx.Proxy import WeakProxy

        class Link:
            __slots__ = ("name", "next")

            def __init__(self, name, next_link):
                self.name = name
                self.next = next_link

            def __del__(self):
                print("deleted", self.name, flush=True)

        chain = Link("a", Link("b", Link("c", None)))
        proxies = [WeakProxy(chain), WeakProxy(chain.next), WeakProxy(chain.next.next)]
        del chain
        print("exiting", flush=True)
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == ["exiting", "deleted a", "deleted b", "deleted c"]


@pytest.mark.parametrize(
    "call",
    ["WeakProxy([1])", "checkweakrefs()", "finalizeweakrefs()", "initweakrefs()", "WeakProxy(Quiet())"],
)
def test_exit_with_registry_calls_in_del(call, run_python):
    result = run_python(
        """
        import gc
        gc.disable()
        from mx.Proxy import InternalError, WeakProxy, checkweakrefs, finalizeweakrefs, initweakrefs

        class Quiet:
            __slots__ = ()

        class Loud:
            __slots__ = ("name",)

            def __init__(self, name):
                self.name = name

            def __del__(self):
                try:
                    CALL
                except InternalError:
                    pass
                print("deleted", self.name, flush=True)

        proxies = [WeakProxy(Loud("first")), WeakProxy(Loud("second"))]
        print("exiting", flush=True)
        """.replace("CALL", call)
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0] == "exiting"
    assert sorted(lines[1:]) == ["deleted first", "deleted second"]


def test_exit_after_user_finalize(run_python):
    result = run_python(
        """
        import gc
        gc.disable()
        from mx.Proxy import WeakProxy, finalizeweakrefs

        class Loud:
            __slots__ = ()

            def __del__(self):
                print("deleted", flush=True)

        proxy = WeakProxy(Loud())
        finalizeweakrefs()
        print("finalized", flush=True)
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == ["deleted", "finalized"]


def test_exit_with_daemon_thread_creating(run_python):
    result = run_python(
        """
        import threading
        from mx.Proxy import InternalError, LostReferenceError, WeakProxy

        class Loud:
            __slots__ = ("name",)

            def __init__(self, name):
                self.name = name

            def __del__(self):
                print("deleted", self.name, flush=True)

        started = threading.Event()

        def churn():
            target = [1, 2]
            while True:
                started.set()
                try:
                    proxy = WeakProxy(target)
                    len(proxy)
                    del proxy
                except (InternalError, LostReferenceError):
                    pass

        threading.Thread(target=churn, daemon=True).start()
        started.wait()
        proxies = [WeakProxy(Loud("phantom"))]
        print("exiting", flush=True)
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "deleted phantom" in result.stdout.splitlines()
