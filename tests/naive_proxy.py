"""A naive forwarding proxy, used only by the escape catalogue.

NaiveProxy checks its interface the way a short pure-Python proxy usually
does: in __getattr__ and at the top of each special method. Everything else
is forwarded without care. It returns bound methods, iterators and
generators as they are, computes operators with the wrapped object in place
of itself, keeps tracebacks, pickles its own __dict__ and reports the
wrapped object's class as its own.

Nearly every technique in test_escape_catalogue.py runs against this class
as well, to show that each test detects its technique when it works.
"""
import operator


class NaiveProxy:
    """Forward attribute reads and special methods to a wrapped object.

    NaiveProxy(target, interface=None, passobj=None) grants the names in
    interface, or every name when interface is None.
    """

    def __init__(self, target, interface=None, passobj=None):
        object.__setattr__(self, "_target", target)
        allowed = None if interface is None else frozenset(interface)
        object.__setattr__(self, "_interface", allowed)
        object.__setattr__(self, "_passobj", passobj)

    def _check(self, name):
        """Raise AttributeError unless the interface grants name."""
        allowed = object.__getattribute__(self, "_interface")
        if allowed is not None and name not in allowed:
            raise AttributeError(f"attribute read access ({name}) denied")

    def __getattr__(self, name):
        self._check(name)
        return getattr(self._target, name)

    def __setattr__(self, name, value):
        self._check(name)
        setattr(self._target, name, value)

    def __delattr__(self, name):
        self._check(name)
        delattr(self._target, name)

    @property
    def __class__(self):
        """The wrapped object's class, which isinstance() then reports for the proxy."""
        return self._target.__class__

    def __mro_entries__(self, bases):
        """Let a class statement use the proxy of a class as a base."""
        return (self._target,)

    def __set_name__(self, owner, name):
        self._check("__set_name__")
        hook = getattr(self._target, "__set_name__", None)
        if hook is not None:
            hook(owner, name)

    def proxy_getattr(self, name):
        """Read attribute name of the wrapped object."""
        return getattr(self._target, name)

    def proxy_object(self, passobj):
        """Return the wrapped object if passobj equals the pass object."""
        if passobj == self._passobj:
            return self._target
        raise AttributeError("wrong pass-object")

    def __repr__(self):
        return f"<NaiveProxy for {self._target!r}>"

    def __str__(self):
        self._check("__str__")
        return str(self._target)

    def __format__(self, spec):
        self._check("__format__")
        return format(self._target, spec)

    def __dir__(self):
        self._check("__dir__")
        return dir(self._target)

    def __hash__(self):
        self._check("__hash__")
        return hash(self._target)

    def __bool__(self):
        self._check("__bool__")
        return bool(self._target)

    def __len__(self):
        self._check("__len__")
        return len(self._target)

    def __getitem__(self, key):
        self._check("__getitem__")
        return self._target[key]

    def __setitem__(self, key, value):
        self._check("__setitem__")
        self._target[key] = value

    def __contains__(self, item):
        self._check("__contains__")
        return item in self._target

    def __iter__(self):
        self._check("__iter__")
        return iter(self._target)

    def __next__(self):
        self._check("__next__")
        return next(self._target)

    def __reversed__(self):
        self._check("__reversed__")
        return reversed(self._target)

    def __call__(self, *args, **kwargs):
        self._check("__call__")
        return self._target(*args, **kwargs)

    def __enter__(self):
        self._check("__enter__")
        return self._target.__enter__()

    def __exit__(self, exc_type, exc, traceback):
        self._check("__exit__")
        return self._target.__exit__(exc_type, exc, traceback)

    async def __aenter__(self):
        self._check("__aenter__")
        return await self._target.__aenter__()

    async def __aexit__(self, exc_type, exc, traceback):
        self._check("__aexit__")
        return await self._target.__aexit__(exc_type, exc, traceback)

    def __await__(self):
        self._check("__await__")
        return self._target.__await__()

    def __aiter__(self):
        self._check("__aiter__")
        return self._target.__aiter__()

    def __round__(self, *args):
        self._check("__round__")
        return round(self._target, *args)


def _unary(name, function):
    def forward(self):
        self._check(name)
        return function(self._target)

    forward.__name__ = name
    return forward


def _binary(name, function):
    def forward(self, other):
        self._check(name)
        return function(self._target, other)

    forward.__name__ = name
    return forward


def _reflected(name, function):
    def forward(self, other):
        self._check(name)
        return function(other, self._target)

    forward.__name__ = name
    return forward


def _power(self, other, modulus=None):
    self._check("__pow__")
    return pow(self._target, other, modulus)


_UNARY = {
    "__neg__": operator.neg,
    "__pos__": operator.pos,
    "__abs__": operator.abs,
    "__invert__": operator.invert,
    "__int__": int,
    "__float__": float,
    "__index__": operator.index,
}

# Operator name without underscores, and the function computing it.
_BINARY = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "matmul": operator.matmul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
    "mod": operator.mod,
    "divmod": divmod,
    "pow": pow,
    "lshift": operator.lshift,
    "rshift": operator.rshift,
    "and": operator.and_,
    "xor": operator.xor,
    "or": operator.or_,
}

_IN_PLACE = {
    "add": operator.iadd,
    "sub": operator.isub,
    "mul": operator.imul,
    "matmul": operator.imatmul,
    "truediv": operator.itruediv,
    "floordiv": operator.ifloordiv,
    "mod": operator.imod,
    "pow": operator.ipow,
    "lshift": operator.ilshift,
    "rshift": operator.irshift,
    "and": operator.iand,
    "xor": operator.ixor,
    "or": operator.ior,
}

_COMPARISONS = {
    "__eq__": operator.eq,
    "__ne__": operator.ne,
    "__lt__": operator.lt,
    "__le__": operator.le,
    "__gt__": operator.gt,
    "__ge__": operator.ge,
}

for _name, _function in _UNARY.items():
    setattr(NaiveProxy, _name, _unary(_name, _function))
for _name, _function in _BINARY.items():
    setattr(NaiveProxy, f"__{_name}__", _binary(f"__{_name}__", _function))
    setattr(NaiveProxy, f"__r{_name}__", _reflected(f"__r{_name}__", _function))
for _name, _function in _IN_PLACE.items():
    setattr(NaiveProxy, f"__i{_name}__", _binary(f"__i{_name}__", _function))
for _name, _function in _COMPARISONS.items():
    setattr(NaiveProxy, _name, _binary(_name, _function))
NaiveProxy.__pow__ = _power
