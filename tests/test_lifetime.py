"""Cleanup hooks, garbage collection and weak references of strong proxies."""
import gc
import random
import weakref

import pytest

from mx.Proxy import Proxy, ProxyType

CALLS = []
SURVIVORS = []


@pytest.fixture(autouse=True)
def reset_records():
    CALLS.clear()
    SURVIVORS.clear()
    yield
    CALLS.clear()
    SURVIVORS.clear()


class Cleaned:
    def __init__(self, label="cleaned"):
        self.label = label
        self.value = 1

    def __cleanup__(self):
        CALLS.append(self.label)

    def method(self):
        return self.value


class SelfHolder:
    """Holds its only proxy in its own __dict__."""

    def __init__(self):
        self.value = 3
        self.me = Proxy(self)

    def __cleanup__(self):
        CALLS.append(("self-holder", self.me.value))


class ResurrectByWeakref:
    """Revives its dying proxy through a weak reference to it."""

    def __init__(self):
        self.value = 4
        self.reference = None

    def __cleanup__(self):
        CALLS.append("revive")
        revived = self.reference()
        if revived is not None:
            SURVIVORS.append(revived)


class ResurrectInCycle:
    def __init__(self):
        self.value = 5
        self.me = Proxy(self, ("value",))

    def __cleanup__(self):
        CALLS.append("cycle-revive")
        SURVIVORS.append(self.me)


def collect():
    for _ in range(3):
        gc.collect()


# --- the cleanup hook -----------------------------------------------------------


def test_cleanup_gets_no_arguments():
    class Strict:
        def __cleanup__(self, *arguments):
            CALLS.append(arguments)

    proxy = Proxy(Strict())
    del proxy
    assert CALLS == [()]


def test_cleanup_bound_to_object():
    class Reporting:
        def __cleanup__(self):
            CALLS.append(self)

    target = Reporting()
    proxy = Proxy(target)
    del proxy
    assert CALLS == [target]


def test_staticmethod_cleanup():
    class Static:
        __cleanup__ = staticmethod(lambda: CALLS.append("static"))

    proxy = Proxy(Static())
    del proxy
    assert CALLS == ["static"]


def test_classmethod_cleanup():
    class WithClassCleanup:
        @classmethod
        def __cleanup__(cls):
            CALLS.append(cls)

    proxy = Proxy(WithClassCleanup())
    del proxy
    assert CALLS == [WithClassCleanup]


def test_cleanup_removed_later_still_called():
    class Temporary:
        def __cleanup__(self):
            CALLS.append("temporary")

    proxy = Proxy(Temporary())
    del Temporary.__cleanup__
    del proxy
    assert CALLS == ["temporary"]


def test_cleanup_replaced_later_old_called():
    class Replaced:
        def __cleanup__(self):
            CALLS.append("old")

    proxy = Proxy(Replaced())
    Replaced.__cleanup__ = lambda self: CALLS.append("new")
    del proxy
    assert CALLS == ["old"]


def test_cleanup_by_proxy_type():
    proxy = ProxyType(Cleaned("from type"))
    del proxy
    assert CALLS == ["from type"]


def test_cleanup_not_for_bound_method():
    target = Cleaned()
    proxy = Proxy(target.method)
    del proxy
    assert CALLS == []


def test_cleanup_not_for_method_read():
    proxy = Proxy(Cleaned())
    method = proxy.method
    method()
    del method
    assert CALLS == []


def test_cleanup_per_proxy_of_object():
    target = Cleaned()
    proxies = [Proxy(target) for _ in range(100)]
    del proxies
    assert CALLS == ["cleaned"] * 100


def test_many_proxies_deleted_randomly():
    target = Cleaned()
    proxies = [Proxy(target, ("value",)) for _ in range(1000)]
    random.Random(1).shuffle(proxies)
    while proxies:
        proxies.pop()
        assert len(CALLS) == 1000 - len(proxies)
    assert target.value == 1


def test_cleanup_runs_for_temporary_proxy():
    # A proxy that was fully built and then dropped by a failing statement
    # still runs its cleanup.
    with pytest.raises(ZeroDivisionError):
        Proxy(Cleaned()).value / 0
    assert CALLS == ["cleaned"]


def test_cleanup_deletes_other_proxies():
    others = []

    class Clearing:
        def __init__(self, label):
            self.label = label

        def __cleanup__(self):
            CALLS.append(self.label)
            others.clear()

    first = Proxy(Clearing("first"))
    others.extend([Proxy(Clearing("second")), Proxy(Clearing("third"))])
    del first
    assert sorted(CALLS) == ["first", "second", "third"]
    assert CALLS[0] == "first"


def test_cleanup_deletes_proxy_of_same_object():
    holder = []

    class Clearing:
        def __cleanup__(self):
            CALLS.append("clearing")
            holder.clear()

    target = Clearing()
    first = Proxy(target)
    holder.append(Proxy(target))
    del first
    assert CALLS == ["clearing", "clearing"]


def test_cleanup_creates_new_proxy():
    class Renewing:
        value = 6
        renewals = 0

        def __cleanup__(self):
            CALLS.append("renewing")
            if Renewing.renewals == 0:
                Renewing.renewals += 1
                SURVIVORS.append(Proxy(self))

    proxy = Proxy(Renewing())
    del proxy
    assert SURVIVORS[0].value == 6
    SURVIVORS.clear()
    assert CALLS == ["renewing", "renewing"]


def test_cleanup_creating_and_dropping_proxies(run_python):
    # Each cleanup makes and drops another proxy, whose cleanup does the
    # same, until the recursion limit stops it inside a cleanup hook.
    result = run_python(
        """
        from mx.Proxy import Proxy

        calls = []

        class Cascading:
            def __cleanup__(self):
                calls.append("cascade")
                Proxy(self)

        proxy = Proxy(Cascading())
        del proxy
        print(len(calls) > 1)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_cleanup_error_does_not_stop_others():
    class Faulty:
        def __cleanup__(self):
            CALLS.append("faulty")
            raise ValueError("cleanup failed")

    proxies = [Proxy(Faulty()), Proxy(Cleaned())]
    del proxies
    assert sorted(CALLS) == ["cleaned", "faulty"]


# --- cleanup errors in a new interpreter -------------------------------------------

CLEANUP_RAISES = """
import sys
from mx.Proxy import Proxy

reports = []
sys.unraisablehook = lambda report: reports.append(report.exc_type.__name__)

class Raising:
    def __cleanup__(self):
        raise {error}

proxy = Proxy(Raising())
del proxy
print("reports:", reports)
"""

BASE_EXCEPTIONS = ["KeyboardInterrupt", "SystemExit(3)", "GeneratorExit", "BaseException"]


@pytest.mark.parametrize("error", BASE_EXCEPTIONS)
def test_cleanup_base_exception_swallowed(run_python, error):
    result = run_python(CLEANUP_RAISES.format(error=error))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "reports: []"


@pytest.mark.parametrize("error", BASE_EXCEPTIONS)
def test_cleanup_base_exception_reported_dev_mode(run_python, error):
    result = run_python(CLEANUP_RAISES.format(error=error), "-X", "dev")
    expected_name = error.split("(")[0]
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"reports: [{expected_name!r}]"


def test_cleanup_error_report_names_hook(run_python):
    result = run_python(
        """
        import sys
        from mx.Proxy import Proxy

        reports = []
        sys.unraisablehook = lambda report: reports.append(report.object)

        class Faulty:
            def __cleanup__(self):
                raise ValueError("cleanup failed")

        proxy = Proxy(Faulty())
        del proxy
        print(reports[0].__name__)
        """,
        "-X",
        "dev",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "__cleanup__"


def test_cleanup_error_in_cycle_dev_mode(run_python):
    result = run_python(
        """
        import gc
        import sys
        from mx.Proxy import Proxy

        reports = []
        sys.unraisablehook = lambda report: reports.append(str(report.exc_value))

        class Faulty:
            def __init__(self):
                self.me = Proxy(self)

            def __cleanup__(self):
                raise ValueError("cycle cleanup failed")

        Faulty()
        gc.collect()
        print(reports)
        """,
        "-X",
        "dev",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['cycle cleanup failed']"


def test_cleanup_errors_at_shutdown(run_python):
    result = run_python(
        """
        from mx.Proxy import Proxy

        class Faulty:
            def __init__(self):
                self.me = Proxy(self)

            def __cleanup__(self):
                raise RuntimeError("cleanup at shutdown")

        class Loud:
            def __cleanup__(self):
                print("cleanup ran", flush=True)

        cycle = Faulty()
        plain = Proxy(Faulty())
        loud = Proxy(Loud())
        print("end of script", flush=True)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["end of script", "cleanup ran"]


def test_deep_proxy_chain_deallocates(run_python):
    result = run_python(
        """
        from mx.Proxy import Proxy

        chain = 0
        for _ in range(1_000_000):
            chain = Proxy(chain)
        del chain
        print("freed")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "freed"


def test_reload_keeps_proxies_working(run_python):
    result = run_python(
        """
        import importlib
        import mx.Proxy
        from mx.Proxy import AccessError, Proxy

        calls = []

        class Cleaned:
            value = 1

            def __cleanup__(self):
                calls.append("cleaned")

        proxy = Proxy(Cleaned(), ("value",))
        for name in ["mx.Proxy.mxProxy.mxProxy", "mx.Proxy.mxProxy", "mx.Proxy.Proxy", "mx.Proxy"]:
            importlib.reload(importlib.import_module(name))
        try:
            proxy.other
        except mx.Proxy.AccessError:
            calls.append("denied")
        calls.append(proxy.value)
        del proxy
        print(calls)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['denied', 1, 'cleaned']"


# --- garbage collection --------------------------------------------------------------


def test_proxy_tracked_by_collector():
    assert gc.is_tracked(Proxy(Cleaned()))


@pytest.mark.parametrize("part", ["object", "interface", "passobj"])
def test_referents_include_part(part):
    parts = {"object": Cleaned(), "interface": {"value": None}, "passobj": object()}
    proxy = Proxy(parts["object"], parts["interface"], parts["passobj"])
    assert any(referent is parts[part] for referent in gc.get_referents(proxy))


def test_self_holder_collected():
    holder = SelfHolder()
    reference = weakref.ref(holder)
    del holder
    collect()
    assert reference() is None


def test_self_holder_cleanup_reads_proxy():
    holder = SelfHolder()
    del holder
    collect()
    assert CALLS == [("self-holder", 3)]


def test_self_holder_cleanup_drops_proxy():
    class Dropping:
        def __init__(self):
            self.me = Proxy(self)

        def __cleanup__(self):
            CALLS.append("dropping")
            del self.me

    target = Dropping()
    reference = weakref.ref(target)
    del target
    collect()
    assert CALLS == ["dropping"]
    assert reference() is None


def test_cycle_through_dict_interface():
    interface = {"value": None}
    proxy = Proxy(Cleaned("interface cycle"), interface)
    interface["value"] = proxy
    reference = weakref.ref(proxy)
    del proxy, interface
    collect()
    assert reference() is None
    assert CALLS == ["interface cycle"]


def test_cycle_through_passobj():
    key = []
    proxy = Proxy(Cleaned("passobj cycle"), None, key)
    key.append(proxy)
    reference = weakref.ref(proxy)
    del proxy, key
    collect()
    assert reference() is None
    assert CALLS == ["passobj cycle"]


def test_cycle_between_two_objects():
    first = Cleaned("first")
    second = Cleaned("second")
    first.peer = Proxy(second)
    second.peer = Proxy(first)
    references = [weakref.ref(first), weakref.ref(second)]
    del first, second
    collect()
    assert [reference() for reference in references] == [None, None]
    assert sorted(CALLS) == ["first", "second"]


def test_cycle_through_nested_proxies():
    # Only the inner proxy has a cleanup hook: the outer one wraps a proxy,
    # whose type defines none.
    target = Cleaned("nested")
    target.me = Proxy(Proxy(target))
    reference = weakref.ref(target)
    del target
    collect()
    assert reference() is None
    assert CALLS == ["nested"]


def test_cycle_through_method_proxy():
    target = Cleaned("method cycle")
    target.bound = Proxy(target).method
    reference = weakref.ref(target)
    del target
    collect()
    assert reference() is None


def test_uncollectable_garbage_empty():
    holder = SelfHolder()
    del holder
    collect()
    assert gc.garbage == []


# --- resurrection ---------------------------------------------------------------------


def test_weakref_resurrection_on_dealloc():
    target = ResurrectByWeakref()
    proxy = Proxy(target, ("value",))
    target.reference = weakref.ref(proxy)
    del proxy
    assert CALLS == ["revive"]
    assert SURVIVORS[0].value == 4


def test_weakref_resurrected_proxy_type():
    target = ResurrectByWeakref()
    proxy = Proxy(target)
    target.reference = weakref.ref(proxy)
    del proxy
    assert type(SURVIVORS[0]) is ProxyType


def test_weakref_resurrected_cleanup_once():
    target = ResurrectByWeakref()
    proxy = Proxy(target)
    target.reference = weakref.ref(proxy)
    del proxy
    SURVIVORS.clear()
    collect()
    assert CALLS == ["revive"]


def test_weakref_cleared_after_final_death():
    target = ResurrectByWeakref()
    proxy = Proxy(target)
    target.reference = weakref.ref(proxy)
    del proxy
    SURVIVORS.clear()
    assert target.reference() is None


def test_cycle_resurrected_cleanup_once():
    phoenix = ResurrectInCycle()
    del phoenix
    collect()
    survivor = SURVIVORS.pop()
    survivor.proxy_getattr("value")
    del survivor
    collect()
    assert CALLS == ["cycle-revive"]


def test_cycle_resurrected_object_released_later():
    phoenix = ResurrectInCycle()
    del phoenix
    collect()
    SURVIVORS.clear()
    collect()
    assert not any(type(item) is ResurrectInCycle for item in gc.get_objects())


# --- weak references to proxies --------------------------------------------------------


def test_weakref_dead_after_cycle_collection():
    holder = SelfHolder()
    reference = weakref.ref(holder.me)
    del holder
    collect()
    assert reference() is None


def test_weakref_proxy_to_proxy_reads():
    proxy = Proxy(Cleaned())
    assert weakref.proxy(proxy).value == 1


def test_weakset_of_proxies():
    proxies = weakref.WeakSet()
    proxy = Proxy(Cleaned())
    proxies.add(proxy)
    del proxy
    assert len(proxies) == 0


def test_weakref_callback_after_cleanup():
    events = []

    class Ordering:
        def __cleanup__(self):
            events.append("cleanup")

    proxy = Proxy(Ordering())
    reference = weakref.ref(proxy, lambda dead: events.append("callback"))
    del proxy
    assert events == ["cleanup", "callback"]
    assert reference() is None


def test_many_weakrefs_to_one_proxy():
    proxy = Proxy(Cleaned())
    references = [weakref.ref(proxy, lambda dead: CALLS.append("callback")) for _ in range(50)]
    del proxy
    assert CALLS.count("callback") == 50
    assert all(reference() is None for reference in references)
