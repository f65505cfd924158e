"""Code that runs while the weak-reference registry releases objects.

__del__ methods and weakref callbacks run in the middle of checkweakrefs(),
of the check after a garbage collection, of finalizeweakrefs() and
initweakrefs(), and when a weak proxy is used or deleted. Such code may
create, use and delete weak proxies and call the registry functions again.
These tests assert that every object is released exactly once (each
__del__ records its label), that every weak proxy to a released object is
defunct, and that no registry entry is left behind.
"""
import gc
import importlib
import sys
import weakref

import pytest

from mx.Proxy import (
    InternalError,
    LostReferenceError,
    WeakProxy,
    checkweakrefs,
    finalizeweakrefs,
    initweakrefs,
)

core = importlib.import_module("mx.Proxy.mxProxy.mxProxy")

DELETED = []
# InternalError messages raised by WeakProxy() while the registry was finalized.
ERRORS = []
# Unexpected outcomes seen inside __del__ methods and callbacks, where an
# assert would only be reported as an unraisable exception.
FAILURES = []
# Objects and weak proxies that the actions keep alive past a __del__.
KEPT = []
# Weak proxies to the objects under test, which some actions and triggers delete.
OWN_PROXIES = []


class Plain:
    """A registry-path object with no __del__."""

    __slots__ = ("label",)

    def __init__(self, label="plain"):
        self.label = label


class NativePlain:
    """A native-path object with no __del__."""

    def __init__(self, label="native"):
        self.label = label


def create_other(dying):
    other = Plain("other")
    proxy = WeakProxy(other)
    extra = WeakProxy(other)
    if proxy.label != "other":
        FAILURES.append("new weak proxy read the wrong object")
    del proxy
    if extra.proxy_defunct():
        FAILURES.append("weak proxy to a live object became defunct")


def create_self(dying):
    KEPT.append(WeakProxy(dying))


def create_for_phantom(dying):
    proxy = WeakProxy(Plain("phantom"))
    if not proxy.proxy_defunct():
        FAILURES.append("weak proxy to a phantom object was live")


def delete_own(dying):
    OWN_PROXIES.clear()


def use_own(dying):
    for proxy in list(OWN_PROXIES):
        try:
            proxy.label
        except LostReferenceError:
            pass


def resurrect(dying):
    KEPT.append(dying)


ACTIONS = {
    "create-other": create_other,
    "create-self": create_self,
    "create-phantom": create_for_phantom,
    "delete-own": delete_own,
    "use-own": use_own,
    "resurrect": resurrect,
    "check": lambda dying: checkweakrefs(),
    "collect": lambda dying: gc.collect(),
    "finalize": lambda dying: finalizeweakrefs(),
    "init": lambda dying: initweakrefs(),
    "finalize-init": lambda dying: (finalizeweakrefs(), initweakrefs()),
}


def run_action(action, dying):
    try:
        ACTIONS[action](dying)
    except InternalError as error:
        ERRORS.append(str(error))
    except Exception as error:
        FAILURES.append(repr(error))


class Reentrant:
    """A registry-path object whose __del__ runs one of ACTIONS."""

    __slots__ = ("label", "action")

    def __init__(self, label, action):
        self.label = label
        self.action = action

    def __del__(self):
        DELETED.append(self.label)
        run_action(self.action, self)


class NativeReentrant:
    """A native-path object whose __del__ runs one of ACTIONS."""

    def __init__(self, label, action):
        self.label = label
        self.action = action

    def __del__(self):
        DELETED.append(self.label)
        run_action(self.action, self)


class Holder:
    """A registry-path object that owns a native object, so releasing it
    runs the weakref callbacks of that native object."""

    __slots__ = ("label", "owned")

    def __init__(self, label, owned):
        self.label = label
        self.owned = owned

    def __del__(self):
        DELETED.append(self.label)


class Link:
    """One link of a chain of registry-path objects."""

    __slots__ = ("label", "next", "proxy")

    def __init__(self, label, next_link):
        self.label = label
        self.next = next_link
        self.proxy = None if next_link is None else WeakProxy(next_link)

    def __del__(self):
        DELETED.append(self.label)


@pytest.fixture(autouse=True)
def fresh_logs():
    logs = (DELETED, ERRORS, FAILURES, KEPT, OWN_PROXIES)
    for log in logs:
        log.clear()
    yield
    for log in logs:
        log.clear()
    initweakrefs()


@pytest.fixture
def entries_at_start():
    checkweakrefs()
    return core.registry_entries()


@pytest.fixture
def automatic_gc_off():
    """Disable automatic collections, whose registry check would release
    phantom objects at moments the test does not choose."""
    was_enabled = gc.isenabled()
    gc.disable()
    yield
    if was_enabled:
        gc.enable()


def release_by_check(proxies):
    checkweakrefs()


def release_by_collect(proxies):
    gc.collect()


def release_by_deletion(proxies):
    proxies.clear()


def release_by_use(proxies):
    index = 0
    while index < len(proxies):
        proxies[index].proxy_defunct()
        index += 1


def release_by_finalize(proxies):
    finalizeweakrefs()


def release_by_init(proxies):
    initweakrefs()


TRIGGERS = {
    "check": release_by_check,
    "collect": release_by_collect,
    "deletion": release_by_deletion,
    "use": release_by_use,
    "finalize": release_by_finalize,
    "init": release_by_init,
}

LABELS = [str(index) for index in range(5)]
# Actions and triggers after which the registry has been emptied.
EMPTYING = {"finalize", "init", "finalize-init"}


def expected_entries(action, trigger, entries_at_start):
    if action in EMPTYING or trigger in EMPTYING:
        return 0
    return entries_at_start


def settle_registry():
    """Drop what the actions kept, then release every phantom object."""
    KEPT.clear()
    OWN_PROXIES.clear()
    checkweakrefs()
    gc.collect()


# --- __del__ of registry-path objects ------------------------------------------------------


@pytest.mark.parametrize("trigger", sorted(TRIGGERS))
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_del_action_releases_each_once(action, trigger, entries_at_start):
    targets = [Reentrant(label, action) for label in LABELS]
    OWN_PROXIES.extend(WeakProxy(target) for target in targets for _ in range(2))
    watchers = [WeakProxy(target) for target in targets]
    del targets

    TRIGGERS[trigger](OWN_PROXIES)
    settle_registry()

    assert sorted(DELETED) == LABELS
    assert [watcher.proxy_defunct() for watcher in watchers] == [True] * len(LABELS)
    assert FAILURES == []


@pytest.mark.parametrize("trigger", sorted(TRIGGERS))
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_del_action_leaves_no_entry(action, trigger, entries_at_start):
    targets = [Reentrant(label, action) for label in LABELS]
    OWN_PROXIES.extend(WeakProxy(target) for target in targets for _ in range(2))
    del targets

    TRIGGERS[trigger](OWN_PROXIES)
    settle_registry()

    assert core.registry_entries() == expected_entries(action, trigger, entries_at_start)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_registry_usable_after_del_action(action, entries_at_start):
    targets = [Reentrant(label, action) for label in LABELS]
    OWN_PROXIES.extend(WeakProxy(target) for target in targets)
    del targets
    checkweakrefs()
    settle_registry()
    initweakrefs()

    fresh = Plain("fresh")
    proxy = WeakProxy(fresh)
    assert proxy.label == "fresh"
    del fresh
    checkweakrefs()
    assert proxy.proxy_defunct() is True
    assert core.registry_entries() == 0


def test_finalize_inside_check_blocks_creation(entries_at_start):
    targets = [Reentrant(label, "finalize") for label in LABELS]
    OWN_PROXIES.extend(WeakProxy(target) for target in targets)
    del targets
    checkweakrefs()
    with pytest.raises(InternalError):
        WeakProxy(Plain())
    assert sorted(DELETED) == LABELS


def test_create_during_finalize_raises(entries_at_start):
    targets = [Reentrant(label, "create-other") for label in LABELS]
    OWN_PROXIES.extend(WeakProxy(target) for target in targets)
    del targets
    finalizeweakrefs()
    assert len(ERRORS) == len(LABELS)
    assert all("initweakrefs" in message for message in ERRORS)


def test_proxy_to_self_in_del_defunct(entries_at_start):
    target = Reentrant("self", "create-self")
    trigger = WeakProxy(target)
    del target
    checkweakrefs()
    assert DELETED == ["self"]
    assert len(KEPT) == 1
    checkweakrefs()
    assert KEPT[0].proxy_defunct() is True
    assert trigger.proxy_defunct() is True
    assert DELETED == ["self"]
    assert core.registry_entries() == entries_at_start


def test_proxy_to_self_kept_then_dropped(entries_at_start):
    target = Reentrant("self", "create-self")
    trigger = WeakProxy(target)
    del target, trigger
    assert DELETED == ["self"]
    KEPT.clear()
    assert DELETED == ["self"]
    assert core.registry_entries() == entries_at_start


class Seeker:
    """A registry-path object whose __del__ makes weak proxies to every other
    Seeker that is still alive, found through the garbage collector."""

    __slots__ = ("label",)

    def __init__(self, label):
        self.label = label

    def __del__(self):
        DELETED.append(self.label)
        for candidate in gc.get_objects():
            if type(candidate) is Seeker and candidate is not self:
                KEPT.append(WeakProxy(candidate))


def test_del_proxies_object_pending_release(entries_at_start):
    targets = [Seeker(label) for label in LABELS]
    watchers = [WeakProxy(target) for target in targets]
    del targets
    checkweakrefs()

    assert sorted(DELETED) == LABELS
    assert len(KEPT) >= len(LABELS) - 1
    assert all(proxy.proxy_defunct() for proxy in KEPT)
    assert all(watcher.proxy_defunct() for watcher in watchers)
    assert core.registry_entries() == entries_at_start


# --- registry resets while WeakProxy() iterates its interface ----------------------------------


def finalizing_names():
    finalizeweakrefs()
    yield "label"


def resetting_names():
    finalizeweakrefs()
    initweakrefs()
    yield "label"


STALE_STATE_REASON = (
    "WeakProxy() reads whether the registry is finalized, and its generation, "
    "before it iterates the interface, so a reset made by that iteration is missed"
)
PATH_CLASSES = {"native": NativePlain, "registry": Plain}


@pytest.mark.parametrize("path", sorted(PATH_CLASSES))
def test_interface_finalizing_registry_raises(path):
    target = PATH_CLASSES[path]()
    with pytest.raises(InternalError):
        WeakProxy(target, finalizing_names())


def test_interface_finalizing_leaves_no_entry():
    target = Plain()
    created_proxies = []
    try:
        created_proxies.append(WeakProxy(target, finalizing_names()))
    except InternalError:
        pass
    assert core.registry_entries() == 0


@pytest.mark.parametrize("path", sorted(PATH_CLASSES))
def test_interface_resetting_registry_live_proxy(path):
    target = PATH_CLASSES[path]()
    proxy = WeakProxy(target, resetting_names())
    assert proxy.proxy_defunct() is False


def test_interface_resetting_registry_no_crash(entries_at_start):
    target = Plain()
    proxy = WeakProxy(target, resetting_names())
    del target
    checkweakrefs()
    assert proxy.proxy_defunct() is True
    del proxy
    assert core.registry_entries() == 0


# --- __del__ methods that raise ---------------------------------------------------------------


class Failing:
    """A registry-path object whose __del__ raises."""

    __slots__ = ("label",)

    def __init__(self, label):
        self.label = label

    def __del__(self):
        DELETED.append(self.label)
        raise ValueError("failed in __del__ of " + self.label)


@pytest.fixture
def unraisable_types(monkeypatch):
    """The types of the exceptions reported through sys.unraisablehook."""
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", lambda report: reported.append(type(report.exc_value)))
    return reported


@pytest.mark.parametrize("trigger", sorted(TRIGGERS))
def test_raising_del_reported_unraisable(trigger, unraisable_types):
    targets = [Failing(label) for label in LABELS]
    OWN_PROXIES.extend(WeakProxy(target) for target in targets)
    del targets

    TRIGGERS[trigger](OWN_PROXIES)
    settle_registry()

    assert sorted(DELETED) == LABELS
    assert unraisable_types == [ValueError] * len(LABELS)


def test_raising_del_behind_lost_reference(unraisable_types):
    target = Failing("used")
    proxy = WeakProxy(target)
    del target
    with pytest.raises(LostReferenceError, match="^object already garbage collected$"):
        proxy.label
    assert DELETED == ["used"]


def test_raising_del_keeps_check_going(entries_at_start, unraisable_types):
    targets = [Failing(label) for label in LABELS]
    proxies = [WeakProxy(target) for target in targets]
    del targets
    assert checkweakrefs() is None
    assert [proxy.proxy_defunct() for proxy in proxies] == [True] * len(LABELS)
    assert core.registry_entries() == entries_at_start


# --- resurrection ------------------------------------------------------------------------------


def test_resurrected_registry_object_proxies_defunct(entries_at_start):
    target = Reentrant("risen", "resurrect")
    proxies = [WeakProxy(target) for _ in range(3)]
    del target
    checkweakrefs()
    assert KEPT[0].label == "risen"
    assert [proxy.proxy_defunct() for proxy in proxies] == [True] * 3
    assert core.registry_entries() == entries_at_start


def test_resurrected_object_gets_new_proxy(entries_at_start):
    target = Reentrant("risen", "resurrect")
    old = WeakProxy(target)
    del target
    checkweakrefs()
    new = WeakProxy(KEPT[0])
    assert new.label == "risen"
    assert old.proxy_defunct() is True
    KEPT.clear()
    assert new.proxy_defunct() is True
    assert DELETED == ["risen"]
    assert core.registry_entries() == entries_at_start


@pytest.mark.parametrize("trigger", sorted(TRIGGERS))
def test_resurrected_object_deleted_once(trigger, entries_at_start):
    target = Reentrant("risen", "resurrect")
    OWN_PROXIES.extend(WeakProxy(target) for _ in range(2))
    del target
    TRIGGERS[trigger](OWN_PROXIES)
    settle_registry()
    gc.collect()
    assert DELETED == ["risen"]


def test_resurrected_native_proxy_matches_weakref():
    target = NativeReentrant("risen", "resurrect")
    proxy = WeakProxy(target)
    reference = weakref.ref(target)
    del target
    gc.collect()
    assert proxy.proxy_defunct() is (reference() is None)
    KEPT.clear()
    gc.collect()
    assert proxy.proxy_defunct() is True
    assert DELETED == ["risen"]


# --- __del__ of native-path objects -------------------------------------------------------------


@pytest.mark.parametrize(
    "action", ["create-other", "create-phantom", "check", "collect", "finalize-init", "use-own", "delete-own"]
)
def test_native_del_action_releases_once(action, entries_at_start):
    targets = [NativeReentrant(label, action) for label in LABELS]
    OWN_PROXIES.extend(WeakProxy(target) for target in targets)
    watchers = [WeakProxy(target) for target in targets]
    del targets
    settle_registry()
    assert sorted(DELETED) == LABELS
    assert [watcher.proxy_defunct() for watcher in watchers] == [True] * len(LABELS)
    assert FAILURES == []
    assert core.registry_entries() == expected_entries(action, "native", entries_at_start)


# --- weakref callbacks run by a registry release ------------------------------------------------


@pytest.mark.parametrize("trigger", ["check", "collect", "deletion", "use", "finalize"])
@pytest.mark.parametrize("action", sorted(set(ACTIONS) - {"create-self", "resurrect"}))
def test_callback_during_release(action, trigger, entries_at_start):
    called = []

    def callback(reference):
        called.append(reference)
        run_action(action, None)

    owned = [NativePlain(label) for label in LABELS]
    references = [weakref.ref(item, callback) for item in owned]
    holders = [Holder(item.label, item) for item in owned]
    del owned
    OWN_PROXIES.extend(WeakProxy(holder) for holder in holders)
    del holders

    TRIGGERS[trigger](OWN_PROXIES)
    settle_registry()

    assert sorted(DELETED) == LABELS
    assert len(called) == len(LABELS)
    assert all(reference() is None for reference in references)
    assert FAILURES == []
    assert core.registry_entries() == expected_entries(action, trigger, entries_at_start)


def test_callback_deletes_proxy_being_released(entries_at_start):
    dropped = []

    def callback(reference):
        dropped.append(len(OWN_PROXIES))
        OWN_PROXIES.clear()

    owned = NativePlain("owned")
    reference = weakref.ref(owned, callback)
    holder = Holder("holder", owned)
    del owned
    OWN_PROXIES.extend(WeakProxy(holder) for _ in range(4))
    watcher = WeakProxy(holder)
    del holder
    checkweakrefs()

    assert dropped == [4]
    assert DELETED == ["holder"]
    assert watcher.proxy_defunct() is True
    assert reference() is None
    assert core.registry_entries() == entries_at_start


def test_callback_of_native_target_uses_registry(entries_at_start):
    log = []

    def callback(reference):
        other = Plain("other")
        proxy = WeakProxy(other)
        log.append(proxy.label)
        checkweakrefs()
        log.append(target_proxy.proxy_defunct())

    target = NativePlain()
    reference = weakref.ref(target, callback)
    target_proxy = WeakProxy(target)
    del target
    assert log == ["other", True]
    assert reference() is None
    assert core.registry_entries() == entries_at_start


def test_callback_finalizes_during_native_death(entries_at_start):
    def callback(reference):
        finalizeweakrefs()

    target = NativePlain()
    reference = weakref.ref(target, callback)
    registry_target = Plain()
    proxies = [WeakProxy(target), WeakProxy(registry_target)]
    del target
    assert [proxy.proxy_defunct() for proxy in proxies] == [True, True]
    assert core.registry_entries() == 0
    assert reference() is None


# --- chains of registry-path objects ---------------------------------------------------------------


def build_chain(length):
    """Build links 0 -> 1 -> ... -> length-1; return weak proxies to each link."""
    link = None
    proxies = []
    for index in reversed(range(length)):
        link = Link(str(index), link)
        proxies.append(WeakProxy(link))
    proxies.reverse()
    return proxies


@pytest.mark.parametrize("release", ["check", "collect"])
def test_chain_released_in_one_pass(release, entries_at_start, automatic_gc_off):
    proxies = build_chain(3)
    assert DELETED == []
    {"check": checkweakrefs, "collect": gc.collect}[release]()
    assert DELETED == ["0", "1", "2"]
    assert [proxy.proxy_defunct() for proxy in proxies] == [True] * 3
    assert core.registry_entries() == entries_at_start


def test_chain_head_use_releases_head(entries_at_start, automatic_gc_off):
    proxies = build_chain(3)
    with pytest.raises(LostReferenceError):
        proxies[0].label
    assert DELETED[0] == "0"
    checkweakrefs()
    assert DELETED == ["0", "1", "2"]
    assert core.registry_entries() == entries_at_start


def test_chain_middle_held_keeps_tail(entries_at_start):
    tail = Link("2", None)
    middle = Link("1", tail)
    head = Link("0", middle)
    proxies = [WeakProxy(link) for link in (head, middle, tail)]
    del head, tail
    checkweakrefs()
    assert DELETED == ["0"]
    assert proxies[2].proxy_defunct() is False
    del middle
    checkweakrefs()
    assert DELETED == ["0", "1", "2"]
    assert core.registry_entries() == entries_at_start


@pytest.mark.parametrize("length", [10, 2000])
def test_long_chain_released(length, entries_at_start):
    proxies = build_chain(length)
    checkweakrefs()
    assert sorted(DELETED, key=int) == [str(index) for index in range(length)]
    assert len(DELETED) == length
    assert all(proxy.proxy_defunct() for proxy in proxies)
    assert core.registry_entries() == entries_at_start


def test_cascade_through_proxy_deletion(run_python):
    """Each link owns the only weak proxy to the next, so deleting one
    proxy releases the whole chain through nested deallocations."""
    result = run_python(
        """
        import importlib, sys
        from mx.Proxy import WeakProxy, checkweakrefs
        core = importlib.import_module("mx.Proxy.mxProxy.mxProxy")
        deleted = []

        class Link:
            __slots__ = ("next", "proxy")

            def __init__(self, next_link):
                self.next = next_link
                self.proxy = None if next_link is None else WeakProxy(next_link)

            def __del__(self):
                deleted.append(1)

        link = None
        for _ in range(100000):
            link = Link(link)
        head = WeakProxy(link)
        del link
        del head
        checkweakrefs()
        print(len(deleted), core.registry_entries())
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["100000", "0"]


# --- weak proxies seen during a delayed deallocation -------------------------------------------------

DELAYED_DEALLOCATION = """
import weakref
from mx.Proxy import WeakProxy

outcomes = []

class Node:
    def __init__(self, parent):
        self.label = "node"
        if parent is not None:
            me = WeakProxy(self)

            def on_parent_death(reference):
                outcomes.append(me.proxy_defunct())
                {use}

            self.parent_reference = weakref.ref(parent, on_parent_death)

# Every node is the value of its parent's key, so dropping the root starts
# one long chain of deallocations, which CPython's trashcan delays. A weak
# proxy to a node whose deallocation was delayed must see it as gone.
children = weakref.WeakKeyDictionary()
root = node = Node(None)
for _ in range(300):
    child = Node(node)
    children[node] = child
    node = child
del node, child, root
print(sorted(set(outcomes)))
"""


# Python 3.13 no longer lets a weak reference reach an object whose
# deallocation the trashcan delayed, so the bug shows only before 3.13.
def test_delayed_deallocation_reported_defunct(run_python):
    result = run_python(DELAYED_DEALLOCATION.replace("{use}", "pass"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[True]"


def test_delayed_deallocation_use_survives(run_python):
    use = "try:\n                    me.label\n                except LostReferenceError:\n                    pass"
    source = DELAYED_DEALLOCATION.replace("{use}", use).replace(
        "from mx.Proxy import WeakProxy", "from mx.Proxy import LostReferenceError, WeakProxy"
    )
    result = run_python(source)
    assert result.returncode == 0, result.stderr[-2000:]
