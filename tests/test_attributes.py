"""Attribute reads, writes and deletions through strong proxies."""
import sys

import pytest

from mx.Proxy import AccessError, Proxy

needs_attribute_error_obj = pytest.mark.skipif(
    sys.version_info < (3, 10), reason="AttributeError.obj exists since Python 3.10"
)


class Record:
    def __init__(self):
        self.a = 1
        self.b = 2


class Managed:
    """Reads, writes and deletions through a property that records them."""

    def __init__(self):
        self.log = []
        self._value = 0

    @property
    def value(self):
        self.log.append("get")
        return self._value

    @value.setter
    def value(self, new):
        self.log.append(("set", new))
        self._value = new

    @value.deleter
    def value(self):
        self.log.append("delete")


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


class DeleteHookOnly:
    def __init__(self):
        self.a = 1
        self.deleted = []

    def __public_delattr__(self, name):
        self.deleted.append(name)


class HookError(Exception):
    pass


class RaisingHooks:
    """Hooks that raise the exception instance stored on the class."""

    error = HookError("hook failed")

    def __public_getattr__(self, name):
        raise RaisingHooks.error

    def __public_setattr__(self, name, value):
        raise RaisingHooks.error

    def __public_delattr__(self, name):
        raise RaisingHooks.error


class Slotted:
    __slots__ = ("a",)


# --- reads, writes and deletions without an interface -------------------------


def test_write_creates_attribute():
    record = Record()
    proxy = Proxy(record)
    proxy.colour = "red"
    assert record.colour == "red"


def test_write_uses_property_setter():
    managed = Managed()
    proxy = Proxy(managed)
    proxy.value = 5
    assert managed.log == [("set", 5)]


def test_read_uses_property_getter():
    managed = Managed()
    Proxy(managed).value
    assert managed.log == ["get"]


def test_delete_uses_property_deleter():
    managed = Managed()
    proxy = Proxy(managed)
    del proxy.value
    assert managed.log == ["delete"]


def test_write_value_identity_kept():
    record = Record()
    value = object()
    Proxy(record).colour = value
    assert record.colour is value


def test_read_returns_same_value():
    record = Record()
    record.colour = object()
    assert Proxy(record).colour is record.colour


def test_write_to_slotted_object_fails():
    proxy = Proxy(Slotted())
    with pytest.raises(AttributeError):
        proxy.b = 1


# --- with an interface ---------------------------------------------------------


def test_granted_write_creates_attribute():
    record = Record()
    proxy = Proxy(record, ("colour",))
    proxy.colour = "red"
    assert record.colour == "red"


def test_denied_delete_keeps_attribute():
    record = Record()
    proxy = Proxy(record, ("a",))
    with pytest.raises(AccessError):
        del proxy.b
    assert record.b == 2


def test_denied_write_creates_nothing():
    record = Record()
    proxy = Proxy(record, ("a",))
    with pytest.raises(AccessError):
        proxy.colour = "red"
    assert not hasattr(record, "colour")


def test_denied_write_skips_property():
    managed = Managed()
    proxy = Proxy(managed, ("log",))
    with pytest.raises(AccessError):
        proxy.value = 5
    assert managed.log == []


def test_denied_read_skips_property():
    managed = Managed()
    proxy = Proxy(managed, ("log",))
    with pytest.raises(AccessError):
        proxy.value
    assert managed.log == []


def test_denied_read_is_attribute_error():
    proxy = Proxy(Record(), ("a",))
    with pytest.raises(AttributeError):
        proxy.b


def test_granted_read_of_dunder():
    proxy = Proxy(Record(), ("__dict__",))
    assert proxy.__dict__ == {"a": 1, "b": 2}


def test_denied_read_of_dunder():
    proxy = Proxy(Record(), ("a",))
    with pytest.raises(AccessError):
        proxy.__dict__


def test_denied_write_message_names_attribute():
    proxy = Proxy(Record(), ("a",))
    with pytest.raises(AccessError) as caught:
        proxy.colour = "red"
    assert str(caught.value) == "attribute write access (colour) denied"


# --- hook precedence ---------------------------------------------------------------


def test_getattr_hook_before_instance_attribute():
    proxy = Proxy(HookedRecord())
    assert proxy.a == "hooked a"


def test_getattr_hook_before_getattribute():
    calls = []

    class Guarded:
        def __getattribute__(self, name):
            calls.append(name)
            return object.__getattribute__(self, name)

        def __public_getattr__(self, name):
            return "hooked"

    guarded = Guarded()
    proxy = Proxy(guarded)
    calls.clear()
    assert proxy.anything == "hooked"
    assert calls == []


def test_write_skips_getattr_hook():
    record = HookedRecord()
    proxy = Proxy(record)
    proxy.colour = "red"
    assert ("get", "colour") not in record.log


def test_read_skips_setattr_hook():
    record = HookedRecord()
    proxy = Proxy(record)
    proxy.colour
    assert record.log == [("get", "colour")]


def test_delete_prefers_delattr_hook():
    record = HookedRecord()
    proxy = Proxy(record)
    del proxy.a
    assert record.log == [("delete", "a")]


def test_delete_hook_keeps_attribute():
    record = HookedRecord()
    proxy = Proxy(record)
    del proxy.a
    assert record.a == 1


def test_delete_hook_only_deletes():
    record = DeleteHookOnly()
    proxy = Proxy(record)
    del proxy.a
    assert record.deleted == ["a"]


def test_delete_hook_only_writes_directly():
    record = DeleteHookOnly()
    proxy = Proxy(record)
    proxy.a = 5
    assert record.a == 5


def test_delete_hook_only_reads_directly():
    record = DeleteHookOnly()
    assert Proxy(record).a == 1


def test_denied_write_skips_setattr_hook():
    record = HookedRecord()
    proxy = Proxy(record, ("a",))
    with pytest.raises(AccessError):
        proxy.colour = "red"
    assert record.log == []


def test_denied_delete_skips_delattr_hook():
    record = HookedRecord()
    proxy = Proxy(record, ("a",))
    with pytest.raises(AccessError):
        del proxy.colour
    assert record.log == []


def test_granted_write_reaches_setattr_hook():
    record = HookedRecord()
    proxy = Proxy(record, ("colour",))
    proxy.colour = "red"
    assert record.log == [("set", "colour", "red")]


def test_granted_delete_reaches_delattr_hook():
    record = HookedRecord()
    proxy = Proxy(record, ("colour",))
    del proxy.colour
    assert record.log == [("delete", "colour")]


def test_hook_receives_str_subclass_name():
    class Name(str):
        pass

    record = HookedRecord()
    getattr(Proxy(record), Name("colour"))
    assert record.log == [("get", "colour")]


# --- a dict interface mutated after creation ---------------------------------------


def test_dict_grant_write_later():
    interface = {"a": None}
    record = Record()
    proxy = Proxy(record, interface)
    interface["b"] = None
    proxy.b = 20
    assert record.b == 20


def test_dict_revoke_write_later():
    interface = {"a": None, "b": None}
    record = Record()
    proxy = Proxy(record, interface)
    del interface["b"]
    with pytest.raises(AccessError):
        proxy.b = 20
    assert record.b == 2


def test_dict_grant_delete_later():
    interface = {"a": None}
    record = Record()
    proxy = Proxy(record, interface)
    interface["b"] = None
    del proxy.b
    assert not hasattr(record, "b")


def test_dict_revoke_delete_later():
    interface = {"a": None, "b": None}
    record = Record()
    proxy = Proxy(record, interface)
    interface.pop("b")
    with pytest.raises(AccessError):
        del proxy.b
    assert record.b == 2


def test_dict_clear_revokes_all():
    interface = {"a": None, "b": None}
    proxy = Proxy(Record(), interface)
    interface.clear()
    with pytest.raises(AccessError):
        proxy.a


def test_dict_update_grants_names():
    interface = {}
    proxy = Proxy(Record(), interface)
    interface.update(a=None, b=None)
    assert proxy.b == 2


def test_dict_regrant_after_revoke():
    interface = {"a": None, "b": None}
    proxy = Proxy(Record(), interface)
    del interface["b"]
    interface["b"] = 0
    assert proxy.b == 2


def test_dict_shared_by_two_proxies():
    interface = {"a": None}
    first = Proxy(Record(), interface)
    second = Proxy(Record(), interface)
    interface["b"] = None
    assert first.b == 2
    assert second.b == 2


def test_dict_grant_reaches_hook():
    interface = {}
    record = HookedRecord()
    proxy = Proxy(record, interface)
    interface["colour"] = None
    assert proxy.colour == "hooked colour"


def test_dict_key_equality_error_propagates():
    class BadKey(str):
        def __hash__(self):
            return hash("a")

        def __eq__(self, other):
            raise LookupError("key comparison failed")

    proxy = Proxy(Record(), {BadKey("x"): None})
    with pytest.raises(LookupError, match="key comparison failed"):
        proxy.a


# --- proxy_* names ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["Proxy_value", "PROXY_value", "proxyvalue", "_proxy_value", "proxy"])
def test_similar_names_forwarded(name):
    record = Record()
    setattr(record, name, 5)
    assert getattr(Proxy(record), name) == 5


def test_bare_prefix_not_forwarded():
    record = Record()
    setattr(record, "proxy_", 5)
    with pytest.raises(AttributeError):
        getattr(Proxy(record), "proxy_")


def test_proxy_getattr_reads_own_methods():
    record = Record()
    key = object()
    proxy = Proxy(record, (), key)
    assert proxy.proxy_getattr("proxy_object")(key) is record


def test_proxy_methods_despite_empty_interface():
    record = Record()
    key = object()
    proxy = Proxy(record, (), key)
    assert proxy.proxy_object(key) is record


def test_proxy_setattr_returns_none():
    proxy = Proxy(Record())
    assert proxy.proxy_setattr("a", 5) is None


def test_proxy_setattr_reaches_hook():
    record = HookedRecord()
    Proxy(record).proxy_setattr("colour", "red")
    assert record.log == [("set", "colour", "red")]


def test_proxy_getattr_reaches_hook():
    record = HookedRecord()
    assert Proxy(record).proxy_getattr("colour") == "hooked colour"


def outcome(action):
    """Return ("value", result) or ("error", type, message) for action()."""
    try:
        return ("value", action())
    except Exception as error:
        return ("error", type(error), str(error))


READ_CASES = {
    "granted": ("a",),
    "denied": ("b",),
    "missing-granted": ("missing",),
    "own-method-result": ("proxy_defunct",),
    "unknown-own-name": ("proxy_missing",),
}


@pytest.mark.parametrize("case", sorted(READ_CASES))
def test_proxy_getattr_equals_getattr(case):
    (name,) = READ_CASES[case]
    proxy = Proxy(Record(), ("a", "missing"))
    direct = outcome(lambda: getattr(proxy, name))
    through_method = outcome(lambda: proxy.proxy_getattr(name))
    if direct[0] == "value" and callable(direct[1]):
        direct = ("value", direct[1]())
        through_method = ("value", through_method[1]())
    assert through_method == direct


WRITE_CASES = {
    "granted": "a",
    "denied": "b",
    "new-granted": "colour",
    "own-name": "proxy_value",
}


@pytest.mark.parametrize("case", sorted(WRITE_CASES))
def test_proxy_setattr_equals_setattr(case):
    name = WRITE_CASES[case]
    direct_record = Record()
    method_record = Record()
    direct = outcome(lambda: setattr(Proxy(direct_record, ("a", "colour")), name, 9))
    through_method = outcome(lambda: Proxy(method_record, ("a", "colour")).proxy_setattr(name, 9))
    assert through_method == direct
    assert vars(method_record) == vars(direct_record)


def test_proxy_setattr_hook_error_like_setattr():
    direct_record = RaisingHooks()
    method_record = RaisingHooks()
    direct = outcome(lambda: setattr(Proxy(direct_record), "a", 1))
    through_method = outcome(lambda: Proxy(method_record).proxy_setattr("a", 1))
    assert through_method == direct


SURROGATE_NAME = "proxy_\udc80"


def test_surrogate_prefix_read_not_forwarded():
    record = Record()
    setattr(record, SURROGATE_NAME, 5)
    with pytest.raises(AttributeError):
        getattr(Proxy(record), SURROGATE_NAME)


def test_surrogate_prefix_write_not_forwarded():
    record = Record()
    with pytest.raises(AccessError):
        setattr(Proxy(record), SURROGATE_NAME, 5)
    assert SURROGATE_NAME not in vars(record)


def test_surrogate_prefix_delete_not_forwarded():
    record = Record()
    setattr(record, SURROGATE_NAME, 5)
    with pytest.raises(AccessError):
        delattr(Proxy(record), SURROGATE_NAME)
    assert SURROGATE_NAME in vars(record)


def test_non_ascii_name_forwarded():
    record = Record()
    setattr(record, "prøxy", 5)
    assert getattr(Proxy(record), "prøxy") == 5


# --- exceptions from hooks and from the object ---------------------------------------


def test_getattr_hook_error_propagates():
    with pytest.raises(HookError) as caught:
        Proxy(RaisingHooks()).anything
    assert caught.value is RaisingHooks.error


def test_setattr_hook_error_propagates():
    with pytest.raises(HookError) as caught:
        Proxy(RaisingHooks()).anything = 1
    assert caught.value is RaisingHooks.error


def test_delattr_hook_error_propagates():
    with pytest.raises(HookError) as caught:
        del Proxy(RaisingHooks()).anything
    assert caught.value is RaisingHooks.error


def test_hook_base_exception_propagates():
    class Interrupting:
        def __public_getattr__(self, name):
            raise KeyboardInterrupt("from hook")

    with pytest.raises(KeyboardInterrupt, match="from hook"):
        Proxy(Interrupting()).anything


def test_property_error_propagates():
    error = ValueError("getter failed", 42)

    class Failing:
        @property
        def value(self):
            raise error

    with pytest.raises(ValueError) as caught:
        Proxy(Failing()).value
    assert caught.value is error


def test_property_error_keeps_arguments():
    class Failing:
        @property
        def value(self):
            raise ValueError("getter failed", 42)

    with pytest.raises(ValueError) as caught:
        Proxy(Failing()).value
    assert caught.value.args == ("getter failed", 42)


def test_object_setattr_error_propagates():
    class Frozen:
        def __setattr__(self, name, value):
            raise PermissionError("frozen " + name)

    with pytest.raises(PermissionError, match="frozen colour"):
        Proxy(Frozen()).colour = 1


def test_object_delattr_error_propagates():
    class Frozen:
        def __delattr__(self, name):
            raise PermissionError("cannot delete " + name)

    with pytest.raises(PermissionError, match="cannot delete colour"):
        del Proxy(Frozen()).colour


def test_hook_attribute_error_makes_hasattr_false():
    class Missing:
        def __public_getattr__(self, name):
            raise AttributeError(name)

    assert hasattr(Proxy(Missing()), "anything") is False


def test_hook_other_error_escapes_hasattr():
    with pytest.raises(HookError):
        hasattr(Proxy(RaisingHooks()), "anything")


def test_hook_error_keeps_current_exception():
    proxy = Proxy(RaisingHooks())
    try:
        raise KeyError("outer")
    except KeyError:
        with pytest.raises(HookError):
            proxy.anything
        assert sys.exc_info()[0] is KeyError


def test_write_after_failed_read_works():
    record = Record()
    proxy = Proxy(record)
    with pytest.raises(AttributeError):
        proxy.missing
    proxy.missing = 3
    assert record.missing == 3


# --- AttributeError.obj --------------------------------------------------------------


def raised_attribute_error(action):
    try:
        action()
    except AttributeError as error:
        return error
    raise AssertionError("no AttributeError raised")


@needs_attribute_error_obj
def test_missing_read_obj_not_object():
    record = Record()
    proxy = Proxy(record)
    assert raised_attribute_error(lambda: proxy.missing).obj is not record


@needs_attribute_error_obj
def test_missing_read_keeps_name():
    proxy = Proxy(Record())
    assert raised_attribute_error(lambda: proxy.missing).name == "missing"


@needs_attribute_error_obj
def test_restricted_read_obj_not_object():
    record = Record()
    proxy = Proxy(record, ("missing",))
    assert raised_attribute_error(lambda: proxy.missing).obj is not record


@needs_attribute_error_obj
def test_proxy_getattr_obj_not_object():
    record = Record()
    proxy = Proxy(record)
    assert raised_attribute_error(lambda: proxy.proxy_getattr("missing")).obj is not record


@needs_attribute_error_obj
def test_slot_read_obj_not_object():
    slotted = Slotted()
    proxy = Proxy(slotted)
    assert raised_attribute_error(lambda: proxy.a).obj is not slotted


@needs_attribute_error_obj
def test_slot_write_obj_not_object():
    slotted = Slotted()
    proxy = Proxy(slotted)
    error = raised_attribute_error(lambda: setattr(proxy, "b", 1))
    assert getattr(error, "obj", None) is not slotted


@needs_attribute_error_obj
def test_missing_delete_obj_not_object():
    record = Record()
    proxy = Proxy(record)
    error = raised_attribute_error(lambda: delattr(proxy, "missing"))
    assert getattr(error, "obj", None) is not record


@needs_attribute_error_obj
def test_hook_error_obj_not_object():
    class SelfReporting:
        def __public_getattr__(self, name):
            raise AttributeError(name, name=name, obj=self)

    record = SelfReporting()
    proxy = Proxy(record)
    assert raised_attribute_error(lambda: proxy.anything).obj is not record


@needs_attribute_error_obj
def test_hook_getattr_obj_not_object():
    class Delegating:
        def __public_getattr__(self, name):
            return getattr(self, name)

    record = Delegating()
    proxy = Proxy(record)
    assert raised_attribute_error(lambda: proxy.anything).obj is not record


@needs_attribute_error_obj
def test_foreign_obj_left_alone():
    # An AttributeError about another object reveals nothing of this one.
    other = Record()

    class Forwarding:
        def __getattr__(self, name):
            return getattr(other, name)

    proxy = Proxy(Forwarding())
    assert raised_attribute_error(lambda: proxy.anything).obj is other


class Translating:
    """Looks names up under a prefix and raises a fresh AttributeError."""

    def __getattr__(self, name):
        try:
            return object.__getattribute__(self, "_" + name)
        except AttributeError:
            raise AttributeError(name) from None


@needs_attribute_error_obj
def test_context_obj_not_object():
    record = Translating()
    proxy = Proxy(record, ("anything",))
    error = raised_attribute_error(lambda: proxy.anything)
    assert error.__context__.obj is not record


class Broken:
    def run(self):
        return self.missing


@needs_attribute_error_obj
def test_method_error_obj_not_object():
    record = Broken()
    proxy = Proxy(record, ("run",))
    assert raised_attribute_error(lambda: proxy.run()).obj is not record


# --- attribute names ----------------------------------------------------------------


@pytest.mark.parametrize("name", [b"a", None, 1.5, ("a",)], ids=["bytes", "none", "float", "tuple"])
def test_proxy_getattr_rejects_non_str(name):
    with pytest.raises(TypeError):
        Proxy(Record()).proxy_getattr(name)


@pytest.mark.parametrize("name", [b"a", None, 1.5], ids=["bytes", "none", "float"])
def test_proxy_setattr_rejects_non_str(name):
    record = Record()
    with pytest.raises(TypeError):
        Proxy(record).proxy_setattr(name, 1)
    assert vars(record) == {"a": 1, "b": 2}


def test_str_subclass_name_checked_by_interface():
    class Name(str):
        pass

    proxy = Proxy(Record(), ("a",))
    with pytest.raises(AccessError):
        getattr(proxy, Name("b"))


def test_str_subclass_name_granted():
    class Name(str):
        pass

    assert getattr(Proxy(Record(), ("a",)), Name("a")) == 1




class Dynamic:
    """Computes attributes from the text of the requested name."""

    def __init__(self):
        self.values = {"public": 1, "secret": 2}

    def __getattr__(self, name):
        return self.values[str(name)]

    def __setattr__(self, name, value):
        object.__setattr__(self, str(name), value)


class Impostor(str):
    """A name that hashes and compares like "public" whatever its text is."""

    def __hash__(self):
        return hash("public")

    def __eq__(self, other):
        return True


def test_impostor_name_read_plain_object():
    proxy = Proxy(Dynamic(), ("public",))
    assert getattr(proxy, Impostor("public")) == 1


def test_impostor_name_read_denied():
    proxy = Proxy(Dynamic(), ("public",))
    with pytest.raises(AccessError):
        getattr(proxy, Impostor("secret"))


def test_impostor_name_read_denied_dict():
    proxy = Proxy(Dynamic(), {"public": None})
    with pytest.raises(AccessError):
        proxy.proxy_getattr(Impostor("secret"))


def test_impostor_name_write_denied():
    dynamic = Dynamic()
    proxy = Proxy(dynamic, ("public",))
    with pytest.raises(AccessError):
        setattr(proxy, Impostor("secret"), 99)
    assert dynamic.values["secret"] == 2
    assert "secret" not in vars(dynamic)
