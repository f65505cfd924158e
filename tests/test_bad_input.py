"""Invalid arguments, broken interfaces and failing hooks.

Every case must raise an exception that names what was wrong. The cases that
could crash a faulty implementation run in a child interpreter, so a crash
shows up as a nonzero return code instead of ending the test session.
"""
import pytest

import mx.Proxy
from mx.Proxy import AccessError, Proxy, ProxyType, WeakProxy
from mx.Proxy.mxProxy import mxProxy as compiled


class Record:
    def __init__(self):
        self.a = 1
        self.b = 2


CONSTRUCTORS = {"Proxy": Proxy, "WeakProxy": WeakProxy, "ProxyType": ProxyType}


# --- constructor arguments ---------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
def test_constructor_needs_object(name):
    with pytest.raises(TypeError, match="object"):
        CONSTRUCTORS[name]()


@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
def test_constructor_four_arguments(name):
    with pytest.raises(TypeError, match="at most 3 arguments"):
        CONSTRUCTORS[name](Record(), None, None, None)


@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
def test_constructor_unknown_keyword(name):
    with pytest.raises(TypeError, match="colour"):
        CONSTRUCTORS[name](Record(), colour="red")


@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
@pytest.mark.parametrize("keyword", ["object", "interface", "passobj"])
def test_constructor_argument_given_twice(name, keyword):
    with pytest.raises(TypeError, match="multiple values for argument '" + keyword + "'"):
        CONSTRUCTORS[name](Record(), ("a",), object(), **{keyword: None})


@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
def test_constructor_keywords_without_object(name):
    with pytest.raises(TypeError, match="object"):
        CONSTRUCTORS[name](interface=("a",), passobj=object())


def test_constructor_odd_keyword_name():
    with pytest.raises(TypeError, match="x y"):
        Proxy(**{"object": Record(), "x y": 1})


# --- interfaces of the wrong kind ---------------------------------------------------


class StrSubclass(str):
    pass


@pytest.mark.parametrize(
    "interface",
    ["", "a", StrSubclass("ab"), b"ab", bytearray(b"ab")],
    ids=["empty-str", "one-letter-str", "str-subclass", "bytes", "bytearray"],
)
def test_text_interface_rejected(interface):
    with pytest.raises(TypeError, match=type(interface).__name__):
        Proxy(Record(), interface)


@pytest.mark.parametrize(
    "interface",
    [1.5, True, object(), len, Record()],
    ids=["float", "bool", "object", "builtin", "instance"],
)
def test_non_iterable_interface_names_type(interface):
    with pytest.raises(TypeError, match=type(interface).__name__):
        Proxy(Record(), interface)


@pytest.mark.parametrize("name", ["WeakProxy", "ProxyType"])
def test_other_constructors_check_interface(name):
    record = Record()
    with pytest.raises(TypeError, match="str"):
        CONSTRUCTORS[name](record, "ab")


class NameRaises:
    @property
    def __name__(self):
        raise RuntimeError("__name__ failed")


class NameMissing:
    @property
    def __name__(self):
        raise AttributeError("no __name__")


class NameNotStr:
    def __init__(self, value):
        self.__name__ = value


@pytest.mark.parametrize(
    "item, type_name",
    [
        (None, "NoneType"),
        (1.5, "float"),
        (b"a", "bytes"),
        (("a",), "tuple"),
        (["a"], "list"),
        (NameMissing(), "NameMissing"),
        (NameNotStr(5), "NameNotStr"),
        (NameNotStr(b"a"), "NameNotStr"),
        (NameNotStr(None), "NameNotStr"),
    ],
    ids=["none", "float", "bytes", "tuple", "list", "name-missing", "name-int", "name-bytes", "name-none"],
)
def test_bad_item_names_type(item, type_name):
    with pytest.raises(TypeError, match=type_name):
        Proxy(Record(), ["a", item])


def test_bad_item_in_dict_ignored():
    # Only a dict's keys matter, and any hashable key is allowed. A key
    # that is not a str never matches an attribute name.
    proxy = Proxy(Record(), {1: None, "a": None})
    assert proxy.a == 1


def test_item_name_error_propagates():
    with pytest.raises(RuntimeError, match="__name__ failed"):
        Proxy(Record(), ["a", NameRaises()])


def test_bad_item_in_weak_proxy():
    record = Record()
    with pytest.raises(TypeError, match="int"):
        WeakProxy(record, ["a", 1])


# --- iterables that fail ------------------------------------------------------------


def names_then_error(error, count=1):
    for index in range(count):
        yield "name%d" % index
    raise error


@pytest.mark.parametrize("count", [0, 1, 10])
def test_iteration_error_propagates(count):
    error = LookupError("broken names")
    with pytest.raises(LookupError) as caught:
        Proxy(Record(), names_then_error(error, count))
    assert caught.value is error


def test_iteration_type_error_unchanged():
    error = TypeError("names failed midway")
    with pytest.raises(TypeError) as caught:
        Proxy(Record(), names_then_error(error))
    assert caught.value is error


def test_iteration_base_exception_propagates():
    with pytest.raises(KeyboardInterrupt):
        Proxy(Record(), names_then_error(KeyboardInterrupt()))


def test_iter_method_error_propagates():
    class Unlistable:
        def __iter__(self):
            raise ValueError("cannot list names")

    with pytest.raises(ValueError, match="cannot list names"):
        Proxy(Record(), Unlistable())


def test_iter_returning_non_iterator():
    class Confused:
        def __iter__(self):
            return 5

    with pytest.raises(TypeError):
        Proxy(Record(), Confused())


def test_next_error_propagates():
    class Stuck:
        def __iter__(self):
            return self

        def __next__(self):
            raise OSError("device gone")

    with pytest.raises(OSError, match="device gone"):
        Proxy(Record(), Stuck())


def test_failed_interface_leaves_object_usable():
    record = Record()
    with pytest.raises(LookupError):
        Proxy(record, names_then_error(LookupError()))
    assert Proxy(record, ("a",)).a == 1


# --- hooks that fail --------------------------------------------------------------------


class DescriptorError(Exception):
    pass


class FailingDescriptor:
    def __get__(self, instance, owner):
        raise DescriptorError("binding failed")


@pytest.mark.parametrize("hook", ["__public_getattr__", "__public_setattr__", "__public_delattr__", "__cleanup__"])
def test_hook_binding_error_propagates(hook):
    hooked_class = type("Hooked", (), {hook: FailingDescriptor()})
    with pytest.raises(DescriptorError, match="binding failed"):
        Proxy(hooked_class())


def test_hook_wrong_signature_raises():
    class Careless:
        def __public_getattr__(self):
            return "never"

    with pytest.raises(TypeError):
        Proxy(Careless()).anything


def test_setattr_hook_wrong_signature_raises():
    class Careless:
        def __public_setattr__(self, name):
            return None

    with pytest.raises(TypeError):
        Proxy(Careless()).colour = "red"


# --- the proxy_* methods ------------------------------------------------------------------


METHOD_CALLS = {
    "getattr-no-arguments": lambda proxy: proxy.proxy_getattr(),
    "getattr-two-arguments": lambda proxy: proxy.proxy_getattr("a", "b"),
    "getattr-keyword": lambda proxy: proxy.proxy_getattr(name="a"),
    "setattr-no-arguments": lambda proxy: proxy.proxy_setattr(),
    "setattr-three-arguments": lambda proxy: proxy.proxy_setattr("a", 1, 2),
    "setattr-keywords": lambda proxy: proxy.proxy_setattr(name="a", value=1),
    "object-no-arguments": lambda proxy: proxy.proxy_object(),
    "object-two-arguments": lambda proxy: proxy.proxy_object(1, 2),
    "object-keyword": lambda proxy: proxy.proxy_object(passobj=1),
    "defunct-keyword": lambda proxy: proxy.proxy_defunct(flag=True),
}


@pytest.mark.parametrize("call", sorted(METHOD_CALLS))
def test_proxy_method_bad_arguments(call):
    record = Record()
    proxy = Proxy(record, None, 1)
    with pytest.raises(TypeError):
        METHOD_CALLS[call](proxy)
    assert vars(record) == {"a": 1, "b": 2}


@pytest.mark.parametrize("method", ["proxy_getattr", "proxy_setattr", "proxy_object", "proxy_defunct"])
def test_unbound_method_rejects_non_proxy(method):
    arguments = {"proxy_getattr": ("a",), "proxy_setattr": ("a", 1), "proxy_object": (1,), "proxy_defunct": ()}
    with pytest.raises(TypeError, match="Record"):
        getattr(ProxyType, method)(Record(), *arguments[method])


def test_proxy_setattr_non_str_value_allowed():
    record = Record()
    Proxy(record).proxy_setattr("a", None)
    assert record.a is None


# --- proxy_object and the pass object ------------------------------------------------------


class EqualsEverything:
    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0


def wrong_pass_objects(record, proxy):
    return {
        "equal-to-everything": EqualsEverything(),
        "wrapped-object": record,
        "the-proxy": proxy,
        "none": None,
        "proxy-of-passobj": Proxy(KEY),
    }


KEY = EqualsEverything()


@pytest.mark.parametrize("case", ["equal-to-everything", "wrapped-object", "the-proxy", "none", "proxy-of-passobj"])
def test_proxy_object_rejects_wrong_passobj(case):
    record = Record()
    proxy = Proxy(record, None, KEY)
    with pytest.raises(AccessError, match="wrong pass-object"):
        proxy.proxy_object(wrong_pass_objects(record, proxy)[case])


def test_proxy_object_error_is_attribute_error():
    proxy = Proxy(Record(), None, KEY)
    with pytest.raises(AttributeError):
        proxy.proxy_object(object())


def test_proxy_object_despite_interface():
    record = Record()
    proxy = Proxy(record, (), KEY)
    assert proxy.proxy_object(KEY) is record


# --- deletion rules ------------------------------------------------------------------------


class WriteControlled:
    def __init__(self):
        self.a = 1

    def __public_setattr__(self, name, value):
        object.__setattr__(self, name, value)


def test_delete_with_setattr_hook_names_attribute():
    proxy = Proxy(WriteControlled())
    with pytest.raises(AccessError, match=r"\(a\)"):
        del proxy.a


def test_delete_with_setattr_hook_keeps_writes():
    record = WriteControlled()
    proxy = Proxy(record)
    with pytest.raises(AccessError):
        del proxy.a
    proxy.a = 2
    assert record.a == 2


def test_delete_hook_error_propagates():
    class NoDelete:
        def __public_delattr__(self, name):
            raise PermissionError("no deleting " + name)

    with pytest.raises(PermissionError, match="no deleting a"):
        del Proxy(NoDelete()).a


# --- messages -------------------------------------------------------------------------------


def test_denied_nul_name_message():
    proxy = Proxy(Record(), ("a",))
    with pytest.raises(AccessError) as caught:
        getattr(proxy, "x\0y")
    assert str(caught.value) == "attribute read access (x\0y) denied"


def test_denied_non_ascii_name_message():
    proxy = Proxy(Record(), ("a",))
    with pytest.raises(AccessError) as caught:
        getattr(proxy, "größe")
    assert str(caught.value) == "attribute read access (größe) denied"


def test_str_subclass_name_hash_unused():
    # A str subclass name is copied to a plain str before the interface
    # check, so its own __hash__ never runs.
    class Unhashable(str):
        def __hash__(self):
            raise ValueError("no hash")

    record = Record()
    proxy = Proxy(record, {"a": None})
    assert getattr(proxy, Unhashable("a")) == record.a


# --- module functions -------------------------------------------------------------------------


MODULE_CALLS = {
    "checkweakrefs-keyword": lambda: mx.Proxy.checkweakrefs(force=True),
    "initweakrefs-keyword": lambda: mx.Proxy.initweakrefs(force=True),
    "finalizeweakrefs-keyword": lambda: mx.Proxy.finalizeweakrefs(force=True),
    "set-keep-no-arguments": lambda: mx.Proxy.set_keep_tracebacks(),
    "set-keep-two-arguments": lambda: mx.Proxy.set_keep_tracebacks(True, False),
    "set-keep-keyword": lambda: mx.Proxy.set_keep_tracebacks(flag=True),
    "get-keep-argument": lambda: mx.Proxy.get_keep_tracebacks(True),
    "registry-entries-argument": lambda: compiled.registry_entries(1),
    "forwarding-table-argument": lambda: compiled._forwarding_table(1),
    "header-layout-argument": lambda: compiled._header_layout(1),
}


@pytest.mark.parametrize("call", sorted(MODULE_CALLS))
def test_module_function_bad_arguments(call):
    before = mx.Proxy.get_keep_tracebacks()
    with pytest.raises(TypeError):
        MODULE_CALLS[call]()
    assert mx.Proxy.get_keep_tracebacks() == before


def test_set_keep_tracebacks_truth_error():
    class Undecided:
        def __bool__(self):
            raise ValueError("no truth value")

    before = mx.Proxy.get_keep_tracebacks()
    with pytest.raises(ValueError, match="no truth value"):
        mx.Proxy.set_keep_tracebacks(Undecided())
    assert mx.Proxy.get_keep_tracebacks() == before


# --- cases run in a child interpreter -----------------------------------------------------------

DANGEROUS_CASES = {
    "half-built-proxy-found-by-collector": """
        import gc
        from mx.Proxy import Proxy

        seen = []

        class Spying:
            def __get__(self, instance, owner):
                gc.collect()
                for referrer in gc.get_referrers(instance):
                    if type(referrer).__name__ == "Proxy":
                        seen.append(referrer)
                        repr(referrer)
                        referrer.proxy_defunct()
                        getattr(referrer, "value", None)
                return lambda name, value: None

        class Target:
            value = 1
            __public_setattr__ = Spying()

        proxy = Proxy(Target(), ("value",))
        del proxy
        seen.clear()
        print("ok")
    """,
    "hook-descriptor-deletes-itself": """
        from mx.Proxy import Proxy

        class SelfRemoving:
            def __get__(self, instance, owner):
                del owner.__public_getattr__
                return lambda name: "hooked " + name

        class Target:
            __public_getattr__ = SelfRemoving()

        assert Proxy(Target()).value == "hooked value"
        print("ok")
    """,
    "item-name-grows-interface": """
        from mx.Proxy import Proxy

        names = ["a"]

        class Growing:
            @property
            def __name__(self):
                if len(names) < 100:
                    names.append("n%d" % len(names))
                return "b"

        names.append(Growing())

        class Target:
            a = 1
            b = 2

        proxy = Proxy(Target(), names)
        assert proxy.b == 2
        print("ok")
    """,
    "dict-key-clears-interface": """
        from mx.Proxy import Proxy

        interface = {}

        class Clearing(str):
            def __hash__(self):
                return hash("a")

            def __eq__(self, other):
                interface.clear()
                return False

        interface[Clearing("z")] = None
        interface["b"] = None

        class Target:
            a = 1

        proxy = Proxy(Target(), interface)
        try:
            proxy.a
        except AttributeError:
            pass
        print("ok")
    """,
    "interface-deleted-during-iteration": """
        import gc
        from mx.Proxy import Proxy

        class Target:
            a = 1

        def names():
            yield "a"
            gc.collect()
            yield "b"

        proxy = Proxy(Target(), names())
        gc.collect()
        assert proxy.a == 1
        print("ok")
    """,
    "object-dies-with-last-proxy-in-hook": """
        from mx.Proxy import Proxy

        holder = []

        class Target:
            def __public_getattr__(self, name):
                holder.clear()
                return name

        holder.append(Proxy(Target()))
        assert holder[0].value == "value"
        print("ok")
    """,
    "proxy-deleted-by-setattr-hook": """
        from mx.Proxy import Proxy

        holder = []

        class Target:
            def __public_setattr__(self, name, value):
                holder.clear()

        holder.append(Proxy(Target()))
        holder[0].value = 1
        print("ok")
    """,
    "cleanup-raises-after-resurrection": """
        import gc
        from mx.Proxy import Proxy

        survivors = []

        class Phoenix:
            def __init__(self):
                self.me = Proxy(self)

            def __cleanup__(self):
                survivors.append(self.me)
                raise RuntimeError("cleanup failed")

        Phoenix()
        gc.collect()
        survivors.clear()
        gc.collect()
        print("ok")
    """,
}


@pytest.mark.parametrize("case", sorted(DANGEROUS_CASES))
def test_dangerous_case_no_crash(run_python, case):
    result = run_python(DANGEROUS_CASES[case])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_deep_chain_read_no_crash(run_python):
    result = run_python(
        """
        import sys
        from mx.Proxy import Proxy

        chain = 0
        for _ in range(1_000_000):
            chain = Proxy(chain)
        try:
            chain.real
        except RecursionError:
            pass
        print("ok")
        sys.stdout.flush()
        # Skip the teardown of the chain, which is tested on its own.
        import os
        os._exit(0)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
