"""Creating strong proxies: interfaces, argument forms, ProxyType and hooks."""
import collections
import ctypes
import sys
import types

import pytest

from mx.Proxy import AccessError, Proxy, ProxyType


class Record:
    def __init__(self):
        self.a = 1
        self.b = 2

    def method(self):
        return self.a


class HookedRecord:
    """Routes reads, writes and deletions through hooks and records them."""

    def __init__(self):
        self.a = 1
        self.log = []

    def __public_getattr__(self, name):
        self.log.append(("get", name))
        return "hooked " + name

    def __public_setattr__(self, name, value):
        self.log.append(("set", name, value))

    def __public_delattr__(self, name):
        self.log.append(("delete", name))

    def __cleanup__(self):
        self.log.append(("cleanup",))

    def method(self):
        return "method result"


class NamesByIndex:
    """An iterable that only has the old __getitem__ sequence protocol."""

    def __init__(self, names):
        self.names = names

    def __getitem__(self, index):
        return self.names[index]


class NamesByIter:
    def __init__(self, names):
        self.names = names

    def __iter__(self):
        return iter(self.names)


class NameSubclass(str):
    pass


def interface_from_dict_values():
    return {"first": "a"}.values()


# Each factory returns an interface that grants "a" and nothing else.
INTERFACE_FACTORIES = {
    "ordered-dict": lambda: collections.OrderedDict(a=None),
    "defaultdict": lambda: collections.defaultdict(int, a=0),
    "deque": lambda: collections.deque(["a"]),
    "iterator": lambda: iter(["a"]),
    "map": lambda: map(str.strip, [" a "]),
    "dict-values": interface_from_dict_values,
    "mapping-proxy": lambda: types.MappingProxyType({"a": 1}),
    "getitem-sequence": lambda: NamesByIndex(["a"]),
    "custom-iterable": lambda: NamesByIter(["a"]),
    "str-subclass-items": lambda: (NameSubclass("a"),),
    "repeated-name": lambda: ["a", "a", "a"],
}


@pytest.mark.parametrize("kind", sorted(INTERFACE_FACTORIES))
def test_interface_kind_grants_name(kind):
    proxy = Proxy(Record(), INTERFACE_FACTORIES[kind]())
    assert proxy.a == 1


@pytest.mark.parametrize("kind", sorted(INTERFACE_FACTORIES))
def test_interface_kind_denies_others(kind):
    proxy = Proxy(Record(), INTERFACE_FACTORIES[kind]())
    with pytest.raises(AccessError):
        proxy.b


def test_interface_builtin_function_item():
    proxy = Proxy(types.SimpleNamespace(len=3), [len])
    assert proxy.len == 3


def test_interface_method_item():
    proxy = Proxy(Record(), [Record.method, "a"])
    assert proxy.method() == 1


def test_interface_module_item():
    # A module's __name__ is a str, so it names an attribute.
    proxy = Proxy(types.SimpleNamespace(sys=4), [sys])
    assert proxy.sys == 4


def test_interface_iterator_consumed_once():
    names = iter(["a", "b"])
    Proxy(Record(), names)
    assert list(names) == []


def test_set_interface_copied_at_creation():
    names = {"a"}
    proxy = Proxy(Record(), names)
    names.add("b")
    with pytest.raises(AccessError):
        proxy.b


def test_set_interface_revoke_ignored():
    names = {"a", "b"}
    proxy = Proxy(Record(), names)
    names.discard("b")
    assert proxy.b == 2


def test_dict_subclass_used_by_reference():
    interface = collections.OrderedDict(a=None)
    proxy = Proxy(Record(), interface)
    interface["b"] = None
    assert proxy.b == 2


def test_dict_interface_kept_by_identity():
    # Rebinding the caller's name does not change the proxy's interface.
    interface = {"a": None}
    proxy = Proxy(Record(), interface)
    interface = {"a": None, "b": None}
    with pytest.raises(AccessError):
        proxy.b


# --- positional and keyword forms ------------------------------------------

CALL_FORMS = {
    "positional": lambda target, names, key: Proxy(target, names, key),
    "passobj-keyword": lambda target, names, key: Proxy(target, names, passobj=key),
    "both-keywords": lambda target, names, key: Proxy(target, interface=names, passobj=key),
    "all-keywords": lambda target, names, key: Proxy(object=target, interface=names, passobj=key),
    "reordered-keywords": lambda target, names, key: Proxy(passobj=key, object=target, interface=names),
    "type-positional": lambda target, names, key: ProxyType(target, names, key),
    "type-keywords": lambda target, names, key: ProxyType(passobj=key, interface=names, object=target),
    "type-new": lambda target, names, key: ProxyType.__new__(ProxyType, target, names, key),
}


@pytest.mark.parametrize("form", sorted(CALL_FORMS))
def test_call_form_applies_interface(form):
    proxy = CALL_FORMS[form](Record(), ("a",), object())
    with pytest.raises(AccessError):
        proxy.b


@pytest.mark.parametrize("form", sorted(CALL_FORMS))
def test_call_form_grants_interface(form):
    proxy = CALL_FORMS[form](Record(), ("a",), object())
    assert proxy.a == 1


@pytest.mark.parametrize("form", sorted(CALL_FORMS))
def test_call_form_keeps_passobj(form):
    record = Record()
    key = object()
    proxy = CALL_FORMS[form](record, ("a",), key)
    assert proxy.proxy_object(key) is record


@pytest.mark.parametrize("form", sorted(CALL_FORMS))
def test_call_form_makes_strong_proxy(form):
    proxy = CALL_FORMS[form](Record(), None, None)
    assert type(proxy) is ProxyType
    assert proxy.proxy_defunct() is False


def test_object_only_keyword():
    proxy = Proxy(object=Record())
    assert proxy.b == 2


def test_interface_keyword_alone():
    proxy = Proxy(Record(), interface=["a"])
    with pytest.raises(AccessError):
        proxy.b


def test_passobj_keyword_without_interface():
    record = Record()
    key = object()
    proxy = Proxy(record, passobj=key)
    assert proxy.b == 2
    assert proxy.proxy_object(key) is record


# --- ProxyType constructs strong proxies ------------------------------------


def test_proxy_type_repr_like_proxy():
    assert repr(ProxyType(Record())).startswith("<Proxy object at 0x")


def test_proxy_type_keeps_object_alive():
    proxy = ProxyType(Record())
    assert proxy.a == 1


def test_proxy_type_uses_hooks():
    record = HookedRecord()
    proxy = ProxyType(record)
    assert proxy.anything == "hooked anything"


def test_proxy_type_runs_cleanup():
    record = HookedRecord()
    proxy = ProxyType(record)
    del proxy
    assert record.log == [("cleanup",)]


def test_proxy_type_signature_documented():
    assert ProxyType.__text_signature__ == "(object, interface=None, passobj=None)"


# --- where hooks come from ----------------------------------------------------


class HookMixin:
    def __public_getattr__(self, name):
        return "mixin " + name


class ThroughMixin(Record, HookMixin):
    pass


class GrandChild(ThroughMixin):
    pass


def test_hook_from_mixin():
    assert Proxy(ThroughMixin()).anything == "mixin anything"


def test_hook_from_grandparent():
    assert Proxy(GrandChild()).anything == "mixin anything"


def test_hook_overridden_in_subclass():
    class Override(HookMixin):
        def __public_getattr__(self, name):
            return "override " + name

    assert Proxy(Override()).anything == "override anything"


def test_staticmethod_hook():
    class Static:
        __public_getattr__ = staticmethod(lambda name: "static " + name)

    assert Proxy(Static()).anything == "static anything"


def test_classmethod_hook_gets_class():
    class WithClassHook:
        @classmethod
        def __public_getattr__(cls, name):
            return (cls, name)

    assert Proxy(WithClassHook()).anything == (WithClassHook, "anything")


def test_callable_object_hook_unbound():
    # An attribute without __get__ is used as it is, so the callable gets
    # only the name, as for any special method stored that way.
    calls = []

    class Recorder:
        def __call__(self, *arguments):
            calls.append(arguments)
            return "called"

    class WithCallableHook:
        __public_getattr__ = Recorder()

    assert Proxy(WithCallableHook()).anything == "called"
    assert calls == [("anything",)]


def test_callable_setattr_hook_arguments():
    calls = []

    class WithCallableHook:
        __public_setattr__ = staticmethod(lambda *arguments: calls.append(arguments))

    proxy = Proxy(WithCallableHook())
    proxy.colour = "red"
    assert calls == [("colour", "red")]


def test_hook_descriptor_bound_once():
    bindings = []

    class CountingDescriptor:
        def __get__(self, instance, owner):
            bindings.append(instance)
            return lambda name: "bound " + name

    class WithDescriptorHook:
        __public_getattr__ = CountingDescriptor()

    record = WithDescriptorHook()
    proxy = Proxy(record)
    proxy.first
    proxy.second
    assert bindings == [record]


def test_hook_added_later_ignored():
    class Late:
        a = 1

    proxy = Proxy(Late())
    Late.__public_getattr__ = lambda self, name: "late"
    assert proxy.a == 1


def test_setattr_hook_added_later_ignored():
    class Late:
        pass

    record = Late()
    proxy = Proxy(record)
    Late.__public_setattr__ = lambda self, name, value: None
    proxy.colour = "red"
    assert record.colour == "red"


def test_delattr_hook_added_later_ignored():
    class Late:
        pass

    record = Late()
    record.colour = "red"
    proxy = Proxy(record)
    Late.__public_delattr__ = lambda self, name: None
    del proxy.colour
    assert not hasattr(record, "colour")


def test_hook_removed_later_still_used():
    class Temporary:
        def __public_getattr__(self, name):
            return "kept " + name

    proxy = Proxy(Temporary())
    del Temporary.__public_getattr__
    assert proxy.anything == "kept anything"


def test_hook_replaced_later_old_used():
    class Replaced:
        def __public_getattr__(self, name):
            return "old " + name

    proxy = Proxy(Replaced())
    Replaced.__public_getattr__ = lambda self, name: "new " + name
    assert proxy.anything == "old anything"


def test_new_proxy_sees_new_hook():
    class Replaced:
        def __public_getattr__(self, name):
            return "old " + name

    Proxy(Replaced())
    Replaced.__public_getattr__ = lambda self, name: "new " + name
    assert Proxy(Replaced()).anything == "new anything"


def test_class_own_hooks_ignored_for_class():
    # For a class object, Python looks special methods up on its metaclass,
    # so a hook defined for instances does not apply to the class itself.
    class Hooked:
        colour = "blue"

        def __public_getattr__(self, name):
            return "hooked " + name

    assert Proxy(Hooked).colour == "blue"


def test_metaclass_hook_used_for_class():
    class Meta(type):
        def __public_getattr__(cls, name):
            return "meta " + name

    class WithMeta(metaclass=Meta):
        pass

    assert Proxy(WithMeta).anything == "meta anything"


# --- bound methods and built-in functions skip hook lookup --------------------


def test_bound_method_reads_method_attributes():
    record = HookedRecord()
    proxy = Proxy(record.method)
    assert proxy.__name__ == "method"


def test_bound_method_hooks_not_called():
    record = HookedRecord()
    proxy = Proxy(record.method)
    proxy.__name__
    assert record.log == []


def test_bound_method_proxy_no_cleanup():
    record = HookedRecord()
    proxy = Proxy(record.method)
    del proxy
    assert record.log == []


def test_bound_method_proxy_callable():
    record = HookedRecord()
    proxy = Proxy(record.method)
    assert proxy() == "method result"


def test_builtin_function_proxy_callable():
    proxy = Proxy(len)
    assert proxy([1, 2, 3]) == 3


def test_builtin_function_name_readable():
    assert Proxy(len).__name__ == "len"


def test_builtin_method_proxy_callable():
    items = []
    proxy = Proxy(items.append)
    proxy(5)
    assert items == [5]


def test_slot_wrapper_proxy_callable():
    proxy = Proxy([1, 2].__len__)
    assert proxy() == 2


def test_plain_function_attributes_readable():
    # A plain function is not a bound method, so hooks are looked up on its
    # type as for any object. The function type defines none, so reads pass.
    def function():
        return None

    function.colour = "red"
    assert Proxy(function).colour == "red"


# --- other wrapped objects -----------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [None, 0, 10**30, "text", b"bytes", (1,), [1], {"k": 1}, Record, sys, 1.5],
    ids=["none", "small-int", "big-int", "str", "bytes", "tuple", "list", "dict", "class", "module", "float"],
)
def test_any_object_wrappable(target):
    proxy = Proxy(target)
    assert proxy.__class__ is type(target)


def test_proxy_of_proxy_keeps_inner_interface():
    inner = Proxy(Record(), ("a",))
    outer = Proxy(inner)
    with pytest.raises(AccessError):
        outer.b


def test_proxy_of_proxy_reads_through():
    outer = Proxy(Proxy(Record(), ("a",)))
    assert outer.a == 1


def test_outer_interface_checked_first():
    inner = Proxy(Record())
    outer = Proxy(inner, ("a",))
    with pytest.raises(AccessError):
        outer.b


def test_passobj_may_be_object_itself():
    record = Record()
    proxy = Proxy(record, None, record)
    assert proxy.proxy_object(record) is record


def test_passobj_may_be_small_int():
    record = Record()
    proxy = Proxy(record, None, 7)
    assert proxy.proxy_object(7) is record


# --- size ----------------------------------------------------------------------


def gc_header_size():
    """Return what sys.getsizeof adds for a garbage-collected object."""
    sample = []
    return sys.getsizeof(sample) - sample.__sizeof__()


def test_getsizeof_basic_size_plus_gc_header():
    assert sys.getsizeof(Proxy(Record())) == ProxyType.__basicsize__ + gc_header_size()


def test_getsizeof_ignores_object_size():
    assert sys.getsizeof(Proxy(list(range(10000)))) == sys.getsizeof(Proxy(None))


def test_getsizeof_ignores_interface():
    interface = {name: None for name in "abcdefgh"}
    assert sys.getsizeof(Proxy(Record(), interface)) == sys.getsizeof(Proxy(Record()))


def test_getsizeof_skips_object_sizeof():
    class Unsizable:
        def __sizeof__(self):
            raise RuntimeError("wrapped __sizeof__ called")

    assert sys.getsizeof(Proxy(Unsizable())) == ProxyType.__basicsize__ + gc_header_size()


def test_basic_size_covers_original_fields():
    # PyObject_HEAD plus seven pointers and the isWeak int of the original.
    pointer = ctypes.sizeof(ctypes.c_void_p)
    assert ProxyType.__basicsize__ >= object.__basicsize__ + 8 * pointer
