"""Python helper classes of mx.Proxy, and the names of the compiled module.

Every access check happens in the compiled Proxy. The helper classes here
hold a Proxy and perform each attribute access and operation on it, so the
Proxy's interface applies to them under the same names. They never keep a
reference to the wrapped object themselves.
"""
import math
import operator
import os

from mx.Proxy.mxProxy import *  # noqa: F401,F403  (re-exported through __all__)
from mx.Proxy.mxProxy import AccessError, Proxy, ProxyType, __version__  # noqa: F401

__all__ = [
    "Proxy",
    "WeakProxy",
    "ProxyType",
    "AccessError",
    "OperationAccessError",
    "LostReferenceError",
    "InternalError",
    "checkweakrefs",
    "initweakrefs",
    "finalizeweakrefs",
    "registry_entries",
    "set_keep_tracebacks",
    "get_keep_tracebacks",
    "InstanceProxy",
    "CachingInstanceProxy",
    "SelectiveCachingInstanceProxy",
    "MethodCachingProxy",
    "ReadonlyInstanceProxy",
    "ProxyFactory",
    "InstanceProxyFactory",
    "__version__",
]

# InstanceProxy keeps its state in two slots. The names carry the class
# prefix, so a wrapped object is unlikely to have an attribute of the same
# name, which the slot would hide. Slots are data descriptors, so the values
# that the caching helpers store in their __dict__ cannot replace them.
_PROXY_SLOT = "_InstanceProxy__proxy"
_CLASS_NAME_SLOT = "_InstanceProxy__class_name"

# The helpers read and write their slots by name through object's own
# methods. That bypasses their __getattr__ and __setattr__, which forward
# to the Proxy, and keeps helpers made before a reload of this module
# working with the reloaded functions.
_object_getattribute = object.__getattribute__
_object_setattr = object.__setattr__


def _held_proxy(helper):
    """Return the Proxy that an InstanceProxy holds."""
    try:
        return _object_getattribute(helper, _PROXY_SLOT)
    except AttributeError:
        class_name = type(helper).__name__
        raise TypeError(
            f"{class_name} object has no Proxy because InstanceProxy.__init__() was not called. "
            f"Call it from {class_name}.__init__()."
        ) from None


def _operand(value):
    """Return the Proxy inside value if value is an InstanceProxy, else value.

    Operators and comparisons between two helpers then run between their two
    Proxies, and each Proxy checks its own side against its interface.
    """
    if issubclass(type(value), InstanceProxy):
        return _held_proxy(value)
    return value


def _qualified_name(callable_object):
    """Return "module.qualname" for a class or function, else its repr()."""
    module = getattr(callable_object, "__module__", None)
    qualname = getattr(callable_object, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str):
        return f"{module}.{qualname}"
    if isinstance(qualname, str):
        return qualname
    return repr(callable_object)


# --- the forwarded special methods -------------------------------------------


def _type_method(name):
    """Return a function that calls special method name of a Proxy.

    The function looks the method up on the Proxy's type, as the interpreter
    does for protocols without a builtin function (with, async with, await).
    Reading it from the Proxy instead would ask the wrapped object for an
    attribute of that name.
    """

    def call_type_method(proxy, *args):
        return getattr(type(proxy), name)(proxy, *args)

    call_type_method.__name__ = f"call_{name.strip('_')}"
    return call_type_method


def _reflected(function):
    """Return a function that calls function with its first two arguments swapped."""

    def call_reflected(proxy, other, *rest):
        return function(other, proxy, *rest)

    call_reflected.__name__ = f"reflected_{function.__name__}"
    return call_reflected


# Special methods forwarded with their arguments unchanged. Each row contains
# the method name, the expression it computes, and the function that
# computes that expression with the held Proxy in place of self.
_FORWARDED_METHODS = [
    ("__hash__", "hash(self)", hash),
    ("__str__", "str(self)", str),
    ("__bytes__", "bytes(self)", bytes),
    ("__format__", "format(self, format_spec)", format),
    ("__bool__", "bool(self)", bool),
    ("__int__", "int(self)", int),
    ("__float__", "float(self)", float),
    ("__complex__", "complex(self)", complex),
    ("__index__", "operator.index(self)", operator.index),
    ("__round__", "round(self, ndigits)", round),
    ("__trunc__", "math.trunc(self)", math.trunc),
    ("__floor__", "math.floor(self)", math.floor),
    ("__ceil__", "math.ceil(self)", math.ceil),
    ("__neg__", "-self", operator.neg),
    ("__pos__", "+self", operator.pos),
    ("__abs__", "abs(self)", abs),
    ("__invert__", "~self", operator.invert),
    ("__len__", "len(self)", len),
    ("__getitem__", "self[key]", operator.getitem),
    ("__setitem__", "self[key] = value", operator.setitem),
    ("__delitem__", "del self[key]", operator.delitem),
    ("__contains__", "item in self", operator.contains),
    ("__iter__", "iter(self)", iter),
    ("__next__", "next(self)", next),
    ("__reversed__", "reversed(self)", reversed),
    ("__enter__", "type(self).__enter__(self)", _type_method("__enter__")),
    ("__exit__", "type(self).__exit__(self, *exc_info)", _type_method("__exit__")),
    ("__await__", "type(self).__await__(self)", _type_method("__await__")),
    ("__aiter__", "type(self).__aiter__(self)", _type_method("__aiter__")),
    ("__anext__", "type(self).__anext__(self)", _type_method("__anext__")),
    ("__aexit__", "type(self).__aexit__(self, *exc_info)", _type_method("__aexit__")),
    ("__fspath__", "os.fspath(self)", os.fspath),
    ("__dir__", "dir(self)", dir),
]

# Binary operators: name stem, operator symbol, function, in-place function.
# Each row gives three methods, for example __add__ (self + other), __radd__
# (other + self) and __iadd__ (self += other). __pow__ and __rpow__ also take
# the modulo argument of the three-argument pow().
_BINARY_OPERATORS = [
    ("add", "+", operator.add, operator.iadd),
    ("sub", "-", operator.sub, operator.isub),
    ("mul", "*", operator.mul, operator.imul),
    ("matmul", "@", operator.matmul, operator.imatmul),
    ("truediv", "/", operator.truediv, operator.itruediv),
    ("floordiv", "//", operator.floordiv, operator.ifloordiv),
    ("mod", "%", operator.mod, operator.imod),
    ("pow", "**", pow, operator.ipow),
    ("lshift", "<<", operator.lshift, operator.ilshift),
    ("rshift", ">>", operator.rshift, operator.irshift),
    ("and", "&", operator.and_, operator.iand),
    ("xor", "^", operator.xor, operator.ixor),
    ("or", "|", operator.or_, operator.ior),
]

# Comparisons: name stem, operator symbol, function. Python reflects a
# comparison by calling the swapped method of the other operand (x < helper
# calls helper.__gt__(x)), so there are no reflected rows.
_COMPARISONS = [
    ("lt", "<", operator.lt),
    ("le", "<=", operator.le),
    ("eq", "==", operator.eq),
    ("ne", "!=", operator.ne),
    ("gt", ">", operator.gt),
    ("ge", ">=", operator.ge),
]


def _operator_methods():
    """Yield (name, expression, function) for every operator and comparison."""
    for stem, symbol, function, inplace_function in _BINARY_OPERATORS:
        yield f"__{stem}__", f"self {symbol} other", function
        yield f"__r{stem}__", f"other {symbol} self", _reflected(function)
        yield f"__i{stem}__", f"self {symbol}= other", inplace_function
    yield "__divmod__", "divmod(self, other)", divmod
    yield "__rdivmod__", "divmod(other, self)", _reflected(divmod)
    for stem, symbol, function in _COMPARISONS:
        yield f"__{stem}__", f"self {symbol} other", function


def _forwarding_method(name, expression, function, takes_operands):
    """Return the special method name, which computes expression on the held Proxy.

    With takes_operands, arguments that are helpers are replaced by their
    Proxies first. A result that is the held Proxy itself (the wrapped object
    returned itself, for example from list.__iadd__ or an iterator's
    __iter__) is returned as the helper.
    """

    def method(self, /, *args):
        proxy = _held_proxy(self)
        if takes_operands:
            args = tuple(map(_operand, args))
        result = function(proxy, *args)
        if result is proxy:
            return self
        return result

    method.__name__ = name
    method.__doc__ = f"Compute ``{expression}`` on the held Proxy."
    return method


def _add_forwarding_methods(cls):
    """Add one method per row of the forwarding tables to cls and return cls."""
    rows = [(name, expression, function, False) for name, expression, function in _FORWARDED_METHODS]
    rows += [(name, expression, function, True) for name, expression, function in _operator_methods()]
    for name, expression, function, takes_operands in rows:
        method = _forwarding_method(name, expression, function, takes_operands)
        method.__qualname__ = f"{cls.__qualname__}.{name}"
        setattr(cls, name, method)
    return cls


# --- the helper classes ------------------------------------------------------


@_add_forwarding_methods
class InstanceProxy:
    """Python class instance in front of a Proxy.

    InstanceProxy(object, interface=None, passobj=None) creates
    Proxy(object, interface, passobj) and keeps only that Proxy. Attribute
    reads, writes and deletions go through it (proxy_getattr, proxy_setattr,
    delattr). So does every special method that Python looks up on the
    class: calls, operators with their reflected and in-place forms,
    comparisons, hash, str, len, item access, iteration, conversions, with,
    async with, await, format, round, dir and the others. The interface
    therefore grants each operation under the name a class would define it
    with, for example __add__ or __len__. A denied operation raises
    AccessError as it does on the Proxy. The Proxy's own proxy_* methods are
    reachable through the helper as well.

    isinstance(helper, C) is true for the wrapped object's class C only when
    the interface grants __class__. isinstance(helper, InstanceProxy) is
    always true. repr() names the wrapped object's class and never calls the
    object's __repr__.

    Where the Proxy returns itself in place of the wrapped object, the
    helper returns itself: attribute reads, calls of the helper, with,
    async with, iter, next and in-place operators. An in-place operator on
    an immutable object returns the new value, as it does on the Proxy.

    NOTE: names that the helper class defines (its methods, __class__,
    __doc__, __module__, and the attributes of subclasses) are found on the
    class and never reach the wrapped object. Helpers cannot be pickled or
    copied, just as Proxies cannot.
    """

    __slots__ = (_PROXY_SLOT, _CLASS_NAME_SLOT, "__weakref__")

    def __init__(self, object, interface=None, passobj=None):
        """Wrap object in Proxy(object, interface, passobj) and hold that Proxy.

        Invalid arguments raise the TypeError that Proxy() raises for them.
        A helper wraps one object for its whole lifetime, so calling
        __init__ again raises TypeError.
        """
        try:
            _object_getattribute(self, _PROXY_SLOT)
        except AttributeError:
            pass
        else:
            raise TypeError(
                f"{type(self).__name__} object is already initialized: a helper wraps one object for its whole lifetime"
            )
        proxy = Proxy(object, interface, passobj)
        # The class is recorded by name now, because a restricted Proxy may
        # deny reading it later.
        _object_setattr(self, _CLASS_NAME_SLOT, _qualified_name(type(object)))
        _object_setattr(self, _PROXY_SLOT, proxy)

    @property
    def __class__(self):
        """The wrapped object's class, read through the Proxy.

        Raises AccessError (an AttributeError) when the interface denies
        __class__, so isinstance() uses the helper's own type instead.
        """
        return _held_proxy(self).proxy_getattr("__class__")

    def __getattr__(self, name):
        """Read attribute name through the held Proxy's proxy_getattr()."""
        proxy = _held_proxy(self)
        value = proxy.proxy_getattr(name)
        if value is proxy:
            return self
        return value

    def __setattr__(self, name, value):
        """Write attribute name through the held Proxy's proxy_setattr()."""
        _held_proxy(self).proxy_setattr(name, value)

    def __delattr__(self, name):
        """Delete attribute name through the held Proxy."""
        delattr(_held_proxy(self), name)

    def __repr__(self):
        """Return "<helper class for wrapped class at 0x...>"."""
        helper_name = _qualified_name(type(self))
        try:
            class_name = _object_getattribute(self, _CLASS_NAME_SLOT)
        except AttributeError:
            return f"<uninitialized {helper_name} at {id(self):#x}>"
        return f"<{helper_name} for {class_name} at {id(self):#x}>"

    def __call__(self, /, *args, **kwargs):
        """Call the held Proxy with the same arguments."""
        proxy = _held_proxy(self)
        result = proxy(*args, **kwargs)
        if result is proxy:
            return self
        return result

    async def __aenter__(self):
        """Await ``type(self).__aenter__(self)`` on the held Proxy.

        The result is the helper when the Proxy returns itself in place of
        the wrapped object.
        """
        proxy = _held_proxy(self)
        result = await type(proxy).__aenter__(proxy)
        if result is proxy:
            return self
        return result

    def __reduce_ex__(self, *args):
        """Raise TypeError: a helper cannot be pickled or copied, just as a Proxy cannot."""
        raise TypeError(f"cannot pickle or copy {type(self).__name__} objects")

    # Defined on the class, so that copy.copy() and copy.deepcopy() raise
    # even when the interface grants the wrapped object's own methods.
    __reduce__ = __copy__ = __deepcopy__ = __reduce_ex__


class CachingInstanceProxy(InstanceProxy):
    """InstanceProxy that caches the attribute values it reads.

    A value read through the Proxy is stored in the helper's own __dict__
    under the attribute name, so later reads return it without asking the
    Proxy again, even if the wrapped object has changed since. Writing or
    deleting the attribute through the helper drops the cached value.
    Denied reads raise and cache nothing.

    Only values that are instances of the class attribute
    proxy_cacheable_types are cached. It is (object,) here, so every value
    is cached. The helper itself, returned for an attribute that is the
    wrapped object, is never cached, so the helper does not refer to itself.
    """

    # The __dict__ is the cache. The base class has no __dict__, so this
    # slot adds one.
    __slots__ = ("__dict__",)

    proxy_cacheable_types = (object,)

    def __getattr__(self, name):
        """Read attribute name through the held Proxy and cache the value."""
        value = super().__getattr__(name)
        if value is not self and isinstance(value, type(self).proxy_cacheable_types):
            self.__dict__[name] = value
        return value

    def __setattr__(self, name, value):
        """Drop the cached value of name, then write it through the held Proxy."""
        self.__dict__.pop(name, None)
        super().__setattr__(name, value)

    def __delattr__(self, name):
        """Drop the cached value of name, then delete it through the held Proxy."""
        self.__dict__.pop(name, None)
        super().__delattr__(name)


class SelectiveCachingInstanceProxy(CachingInstanceProxy):
    """CachingInstanceProxy that caches only bound methods by default.

    The held Proxy returns each bound method of the wrapped object as a
    call-only Proxy, so the default proxy_cacheable_types is (ProxyType,).
    Other Proxies read from attributes are cached as well. Plain values such
    as numbers and strings are read through the Proxy on every access.
    Subclasses set proxy_cacheable_types to the types they want cached.
    """

    __slots__ = ()

    proxy_cacheable_types = (ProxyType,)


MethodCachingProxy = SelectiveCachingInstanceProxy


class ReadonlyInstanceProxy(InstanceProxy):
    """InstanceProxy whose attributes can be read but not written or deleted.

    Writing or deleting any attribute raises AccessError("write access
    denied"), whatever the interface grants. Item assignment and deletion
    (helper[key] = value, del helper[key]) and in-place operators are
    operations, not attribute writes: the interface alone decides on them.
    """

    __slots__ = ()

    def __setattr__(self, name, value):
        """Raise AccessError: attribute writes are denied."""
        raise AccessError("write access denied")

    def __delattr__(self, name):
        """Raise AccessError: attribute deletions are denied."""
        raise AccessError("write access denied")


# --- factories ---------------------------------------------------------------


def _reusable_interface(interface, factory_name):
    """Return interface in a form that every call of a factory can pass on.

    None and dicts are kept as they are, so a dict is still used by
    reference and later changes to it apply to objects made afterwards. Any
    other iterable is copied into a tuple of names, because an iterator
    would be used up by the first Proxy made from it. Raises TypeError for a
    str, bytes, non-iterable or invalid name, as Proxy() does.
    """
    if interface is None or isinstance(interface, dict):
        return interface
    expected = f"{factory_name}() argument 'interface' must be a dict or an iterable of names"
    if isinstance(interface, (str, bytes)):
        raise TypeError(f"{expected}, not {type(interface).__name__}")
    try:
        iterator = iter(interface)
    except TypeError:
        raise TypeError(f"{expected}, not {type(interface).__name__}") from None
    names = tuple(iterator)
    for item in names:
        if not isinstance(item, str) and not isinstance(getattr(item, "__name__", None), str):
            raise TypeError(
                f"{factory_name}() interface items must be str or have a str __name__, "
                f"not {type(item).__name__}"
            )
    return names


class _ClassFactory:
    """Common construction and repr of the two factory classes."""

    def __init__(self, Class, interface=None):
        """Store the callable that makes objects and the interface for them.

        Class is any callable, usually a class. interface is stored in the
        attribute of that name. A dict or None is stored as given, and any
        other iterable of names as a tuple.
        """
        factory_name = type(self).__name__
        if not callable(Class):
            raise TypeError(f"{factory_name}() argument 'Class' must be callable, not {type(Class).__name__}")
        self.Class = Class
        self.interface = _reusable_interface(interface, factory_name)

    def __repr__(self):
        """Return "<factory class for Class at 0x...>"."""
        return f"<{_qualified_name(type(self))} for {_qualified_name(self.Class)} at {id(self):#x}>"


class ProxyFactory(_ClassFactory):
    """Callable that constructs objects and returns each wrapped in a Proxy.

    ProxyFactory(Class, interface=None)(*args, **kwargs) returns
    Proxy(Class(*args, **kwargs), interface). The attributes Class and
    interface hold the constructor arguments.
    """

    def __call__(self, /, *args, **kwargs):
        """Construct Class(*args, **kwargs) and return it wrapped in a Proxy."""
        return Proxy(self.Class(*args, **kwargs), self.interface)


class InstanceProxyFactory(_ClassFactory):
    """Callable that constructs objects and returns each wrapped in an InstanceProxy.

    InstanceProxyFactory(Class, interface=None)(*args, **kwargs) returns
    InstanceProxy(Class(*args, **kwargs), interface). The attributes Class
    and interface hold the constructor arguments.
    """

    def __call__(self, /, *args, **kwargs):
        """Construct Class(*args, **kwargs) and return it wrapped in an InstanceProxy."""
        return InstanceProxy(self.Class(*args, **kwargs), self.interface)
