"""Known ways out of a restricted proxy, one test per technique.

Each technique runs against three proxies of the same object. On the naive
forwarding proxy of naive_proxy.py it must reach the object, which shows
that the test detects it. On a strong and a weak mx proxy it must not. A
few techniques aim at parts the naive proxy lacks (call-only proxies, the
read-only helper, reused proxy memory) and run on mx proxies only.

"Reaching" means obtaining the wrapped object, its class, its instance
dict, a frame whose local variables hold the object, or a value the
interface denies.

Techniques that still work on mx proxies are marked as strict expected
failures with the reason. Techniques that cannot be stopped by a proxy are
collected at the end under "limits": those tests assert that the technique
works, so the threat model (docs/threat-model.md) states them exactly.
"""
import copy
import copyreg
import ctypes
import functools
import gc
import operator
import pickle
import sys
import types
import weakref

import pytest

import mx.Proxy
from mx.Proxy import Proxy, ReadonlyInstanceProxy, WeakProxy
from naive_proxy import NaiveProxy

PIN = "pin-7c1d0e"
MODULE_SECRET = "module-secret-42f9"


def naive_unrestricted(target, interface=None, passobj=None):
    """Return a NaiveProxy that grants every name and ignores interface.

    Techniques that are only another route to getattr() are stopped by the
    naive proxy's own interface check. They are shown to detect a leak on
    this unrestricted naive proxy instead.
    """
    return NaiveProxy(target, None, passobj)


def variants(hole=None, naive=NaiveProxy, naive_reaches=True, hole_in=("strong", "weak")):
    """Return the (make_proxy, reaches) parameters for one technique.

    hole is the reason the technique still works on the mx proxies named in
    hole_in, or None.
    """

    def marks(kind):
        if hole is None or kind not in hole_in:
            return []
        return [pytest.mark.xfail(strict=True, reason=hole)]

    return [
        pytest.param(naive, naive_reaches, id="naive"),
        pytest.param(Proxy, False, id="strong", marks=marks("strong")),
        pytest.param(WeakProxy, False, id="weak", marks=marks("weak")),
    ]


ROUTE_VARIANTS = variants(naive=naive_unrestricted)


class Account:
    """The wrapped object of most techniques."""

    secret = "hidden"

    def __init__(self):
        self.balance = 10
        self.pin = PIN

    def method(self):
        return self.balance

    def chain(self):
        return self

    @classmethod
    def build(cls):
        return "built"

    @staticmethod
    def helper():
        return MODULE_SECRET

    @property
    def me(self):
        return self

    def fail(self):
        raise ValueError("failed inside")

    def missing(self):
        return self.no_such_attribute

    def __getitem__(self, key):
        if key == "me":
            return self
        raise KeyError(key)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        return False

    async def __aenter__(self):
        return self

    async def __aexit__(self, exc_type, exc, traceback):
        return False

    async def achain(self):
        return self

    async def afail(self):
        raise ValueError("failed inside")

    def numbers(self):
        yield self.balance
        yield from self.more_numbers()

    def more_numbers(self):
        yield self.balance + 1

    def walk(self):
        yield self

    def returns_self(self):
        yield self.balance
        return self

    def guarded(self):
        while True:
            try:
                yield self.balance
            except ValueError:
                pass

    async def suspend(self):
        await Suspend()
        return self.balance

    async def stream(self):
        yield self.balance
        await Suspend()
        yield self.balance

    async def stream_failing(self):
        yield self.balance
        raise ValueError("failed inside")


class Suspend:
    """An awaitable that suspends its coroutine once."""

    def __await__(self):
        yield None


def run(coroutine):
    """Drive coroutine to completion without an event loop and return its result."""
    try:
        while True:
            coroutine.send(None)
    except StopIteration as stop:
        return stop.value


def reveals(value, target, depth=4):
    """Return True if target is value or sits inside its containers."""
    if value is target:
        return True
    if depth == 0:
        return False
    if isinstance(value, (tuple, list, set, frozenset)):
        return any(reveals(item, target, depth - 1) for item in value)
    if isinstance(value, dict):
        items = list(value.keys()) + list(value.values())
        return any(reveals(item, target, depth - 1) for item in items)
    return False


def reveals_frame(exception, target):
    """Return True if a traceback of exception, of its chain or of its group
    members has a frame with target among its local variables.

    Frames of the test functions themselves are skipped: they hold the
    target by design, and an exception raised in a test's own body passes
    through them.
    """
    pending = [exception]
    seen = set()
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        traceback = current.__traceback__
        while traceback is not None:
            frame = traceback.tb_frame
            in_test = frame.f_code.co_name.startswith("test_")
            if not in_test and any(value is target for value in frame.f_locals.values()):
                return True
            traceback = traceback.tb_next
        pending.append(current.__cause__)
        pending.append(current.__context__)
        pending.extend(getattr(current, "exceptions", ()))
    return False


def frame_self(frame):
    """Return the local variable self of frame, or None without a frame."""
    if frame is None:
        return None
    return frame.f_locals.get("self")


def raised_by(action):
    """Run action and return the exception it raises."""
    try:
        action()
    except BaseException as error:  # noqa: B036 - the exception is the result
        return error
    raise AssertionError("the action raised nothing")


@pytest.fixture
def keep_tracebacks_restored():
    """Restore the traceback switch after a test that changes it."""
    saved = mx.Proxy.get_keep_tracebacks()
    yield
    mx.Proxy.set_keep_tracebacks(saved)


# --- bound methods and call-only method proxies ----------------------------------------


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_method_self_hidden(make_proxy, reaches):
    account = Account()
    method = make_proxy(account, ("method",)).method
    assert (getattr(method, "__self__", None) is account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_method_func_globals_hidden(make_proxy, reaches):
    account = Account()
    method = make_proxy(account, ("method",)).method
    try:
        namespace = method.__func__.__globals__
    except AttributeError:
        namespace = {}
    assert (namespace.get("MODULE_SECRET") == MODULE_SECRET) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_method_globals_hidden(make_proxy, reaches):
    account = Account()
    method = make_proxy(account, ("method",)).method
    namespace = getattr(method, "__globals__", {})
    assert (namespace.get("MODULE_SECRET") == MODULE_SECRET) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_builtin_method_self_hidden(make_proxy, reaches):
    target = [1]
    append = make_proxy(target, ("append",)).append
    assert (getattr(append, "__self__", None) is target) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_slot_wrapper_self_hidden(make_proxy, reaches):
    # The naive proxy defines __len__ itself but forwards __delitem__
    # through __getattr__, so __delitem__ shows the technique on both.
    target = [1, 2]
    wrapper = make_proxy(target, ("__delitem__",)).__delitem__
    assert (getattr(wrapper, "__self__", None) is target) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_class_method_class_hidden(make_proxy, reaches):
    account = Account()
    build = make_proxy(account, ("build",)).build
    assert (getattr(build, "__self__", None) is Account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_method_call_wrapper_hidden(make_proxy, reaches):
    account = Account()
    method = make_proxy(account, ("method",)).method
    try:
        found = method.__call__.__self__.__self__
    except AttributeError:
        found = None
    assert (found is account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_partial_of_method_hidden(make_proxy, reaches):
    account = Account()
    partial = functools.partial(make_proxy(account, ("method",)).method)
    assert (getattr(partial.func, "__self__", None) is account) is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(),
)
def test_chained_call_returns_proxy(make_proxy, reaches):
    account = Account()
    result = make_proxy(account, ("chain",)).chain.__call__()
    assert (result is account) is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(hole="plain functions (static methods, function attributes) come back unwrapped"),
)
def test_static_method_globals_hidden(make_proxy, reaches):
    account = Account()
    helper = make_proxy(account, ("helper",)).helper
    namespace = getattr(helper, "__globals__", {})
    assert (namespace.get("MODULE_SECRET") == MODULE_SECRET) is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(hole="plain functions (static methods, function attributes) come back unwrapped"),
)
def test_module_function_globals_hidden(make_proxy, reaches):
    module = types.ModuleType("bank")
    exec("SECRET = 'vault'\ndef balance():\n    return 1\n", vars(module))  # noqa: S102 - builds a module
    balance = make_proxy(module, ("balance",)).balance
    namespace = getattr(balance, "__globals__", {})
    assert (namespace.get("SECRET") == "vault") is reaches


# --- results that are the wrapped object --------------------------------------------------


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_method_returning_self_proxied(make_proxy, reaches):
    account = Account()
    assert (make_proxy(account, ("chain",)).chain() is account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_property_returning_self_proxied(make_proxy, reaches):
    account = Account()
    assert (make_proxy(account, ("me",)).me is account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_getattr_hook_returning_self_proxied(make_proxy, reaches):
    class Hooked:
        def __public_getattr__(self, name):
            return self

        def __getattr__(self, name):
            return self

    hooked = Hooked()
    assert (make_proxy(hooked, ("anything",)).anything is hooked) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_getitem_returning_self_proxied(make_proxy, reaches):
    account = Account()
    assert (make_proxy(account, ("__getitem__",))["me"] is account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_enter_returning_self_proxied(make_proxy, reaches):
    account = Account()
    with make_proxy(account, ("__enter__", "__exit__")) as entered:
        pass
    assert (entered is account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_async_enter_returning_self_proxied(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("__aenter__", "__aexit__"))

    async def enter():
        async with proxy as entered:
            return entered

    assert (run(enter()) is account) is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(),
)
def test_async_method_returning_self_proxied(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("achain",))

    async def call():
        return await proxy.achain()

    assert (run(call()) is account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_inplace_add_returning_self_proxied(make_proxy, reaches):
    target = [1]
    proxy = make_proxy(target, ("__iadd__",))
    proxy += [2]
    assert (proxy is target) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_self_containing_dict_proxied(make_proxy, reaches):
    target = {}
    target["me"] = target
    copied = dict(make_proxy(target, ("keys", "__getitem__")))
    assert (copied["me"] is target) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants(naive=naive_unrestricted))
def test_map_over_getitem_proxied(make_proxy, reaches):
    # Without __iter__ granted, an mx proxy iterates through __getitem__.
    # The naive proxy defines __iter__, which stops that fallback, so it
    # is shown unrestricted.
    target = [1]
    target.append(target)
    captured = list(map(lambda item: item, make_proxy(target, ("__getitem__",))))
    assert any(item is target for item in captured) is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(),
)
def test_map_over_iter_proxied(make_proxy, reaches):
    target = [1]
    target.append(target)
    captured = list(map(lambda item: item, make_proxy(target, ("__iter__",))))
    assert any(item is target for item in captured) is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(),
)
def test_filter_over_iter_proxied(make_proxy, reaches):
    target = [1]
    target.append(target)
    captured = []
    list(filter(captured.append, make_proxy(target, ("__iter__",))))
    assert any(item is target for item in captured) is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(),
)
def test_iterator_yielding_self_proxied(make_proxy, reaches):
    class Tree:
        def __iter__(self):
            yield self

    tree = Tree()
    assert (next(iter(make_proxy(tree, ("__iter__",)))) is tree) is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(),
)
def test_generator_yielding_self_proxied(make_proxy, reaches):
    account = Account()
    assert (next(make_proxy(account, ("walk",)).walk()) is account) is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(),
)
def test_async_generator_yielding_self_proxied(make_proxy, reaches):
    class Feed:
        async def entries(self):
            yield self

    feed = Feed()
    proxy = make_proxy(feed, ("entries",))

    async def first():
        async for entry in proxy.entries():
            return entry

    assert (run(first()) is feed) is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(),
)
def test_generator_return_value_proxied(make_proxy, reaches):
    account = Account()
    generator = make_proxy(account, ("returns_self",)).returns_self()
    next(generator)
    stop = raised_by(lambda: next(generator))
    assert (stop.value is account) is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(hole="values the __await__ iterator yields are not compared with the wrapped object"),
)
def test_await_yielding_self_proxied(make_proxy, reaches):
    class Waiter:
        def __await__(self):
            yield self

    waiter = Waiter()
    proxy = make_proxy(waiter, ("__await__",))

    async def wait():
        await proxy

    coroutine = wait()
    yielded = coroutine.send(None)
    coroutine.close()
    assert (yielded is waiter) is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(),
)
def test_await_result_proxied(make_proxy, reaches):
    class Ready:
        def __await__(self):
            return self
            yield

    ready = Ready()
    proxy = make_proxy(ready, ("__await__",))

    async def wait():
        return await proxy

    assert (run(wait()) is ready) is reaches


# --- iterators, generators and coroutines ------------------------------------------------


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_list_iterator_reduce_hidden(make_proxy, reaches):
    target = [1, 2]
    iterator = iter(make_proxy(target, ("__iter__",)))
    try:
        reduced = iterator.__reduce__()
    except (AttributeError, TypeError):
        reduced = None
    assert reveals(reduced, target) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_reversed_iterator_reduce_hidden(make_proxy, reaches):
    target = [1, 2]
    iterator = reversed(make_proxy(target, ("__reversed__",)))
    try:
        reduced = iterator.__reduce__()
    except (AttributeError, TypeError):
        reduced = None
    assert reveals(reduced, target) is reaches


@pytest.mark.parametrize("attribute", ["gi_frame", "gi_code", "gi_yieldfrom"])
@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_generator_internals_hidden(make_proxy, reaches, attribute):
    account = Account()
    generator = make_proxy(account, ("numbers",)).numbers()
    next(generator)
    next(generator)
    assert (getattr(generator, attribute, None) is not None) is reaches


@pytest.mark.parametrize("attribute", ["cr_frame", "cr_code", "cr_await"])
@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_coroutine_internals_hidden(make_proxy, reaches, attribute):
    account = Account()
    coroutine = make_proxy(account, ("suspend",)).suspend()
    coroutine.send(None)
    found = getattr(coroutine, attribute, None)
    coroutine.close()
    assert (found is not None) is reaches


@pytest.mark.parametrize("attribute", ["ag_frame", "ag_code", "ag_await"])
@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_async_generator_internals_hidden(make_proxy, reaches, attribute):
    account = Account()
    generator = make_proxy(account, ("stream",)).stream()
    step = generator.__anext__()
    with pytest.raises(StopIteration):
        step.send(None)
    step = generator.__anext__()
    step.send(None)
    found = getattr(generator, attribute, None)
    step.close()
    assert (found is not None) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_awaiting_coroutine_hides_frame(make_proxy, reaches):
    # The caller's own coroutine shows what it awaits in cr_await.
    account = Account()
    proxy = make_proxy(account, ("suspend",))

    async def outer():
        await proxy.suspend()

    coroutine = outer()
    coroutine.send(None)
    frame = getattr(coroutine.cr_await, "cr_frame", None)
    coroutine.close()
    assert (frame_self(frame) is account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_delegating_generator_hides_frame(make_proxy, reaches):
    # The caller's own generator shows what it delegates to in gi_yieldfrom.
    account = Account()
    proxy = make_proxy(account, ("numbers",))

    def outer():
        yield from proxy.numbers()

    generator = outer()
    next(generator)
    frame = getattr(generator.gi_yieldfrom, "gi_frame", None)
    assert (frame_self(frame) is account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_async_iterator_self_proxied(make_proxy, reaches):
    class Stream:
        def __aiter__(self):
            return self

    stream = Stream()
    proxy = make_proxy(stream, ("__aiter__",))
    assert (type(proxy).__aiter__(proxy) is stream) is reaches


class Cursor:
    """An iterator, sync and async, that keeps a reference to its source."""

    def __init__(self, source):
        self.source = source

    def __iter__(self):
        return self

    def __next__(self):
        raise StopIteration

    def __aiter__(self):
        return self

    async def __anext__(self):
        raise StopAsyncIteration


class Source:
    """An iterable whose iterators refer back to it."""

    def __init__(self):
        self.last_cursor = None

    def __iter__(self):
        self.last_cursor = Cursor(self)
        return self.last_cursor

    def __aiter__(self):
        return Cursor(self)


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_iterator_attributes_hidden(make_proxy, reaches):
    source = Source()
    iterator = iter(make_proxy(source, ("__iter__",)))
    assert (getattr(iterator, "source", None) is source) is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(),
)
def test_iterator_proxy_write_denied(make_proxy, reaches):
    # A write would plant a callable in the object's own iterator, which
    # trusted code calling iterator.__next__() explicitly would then run.
    source = Source()
    iterator = iter(make_proxy(source, ("__iter__",)))
    try:
        iterator.__next__ = print
    except AttributeError:
        pass
    assert ("__next__" in vars(source.last_cursor)) is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(),
)
def test_async_iterator_attributes_hidden(make_proxy, reaches):
    source = Source()
    proxy = make_proxy(source, ("__aiter__",))
    iterator = type(proxy).__aiter__(proxy)
    assert (getattr(iterator, "source", None) is source) is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(),
)
def test_operator_generator_frame_hidden(make_proxy, reaches):
    class Pipeline:
        def __or__(self, other):
            yield other

    pipeline = Pipeline()
    generator = make_proxy(pipeline, ("__or__",)) | 1
    frame = getattr(generator, "gi_frame", None)
    assert (frame_self(frame) is pipeline) is reaches


# --- tracebacks and exception chains ----------------------------------------------------


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_method_traceback_stripped(make_proxy, reaches):
    account = Account()
    error = raised_by(make_proxy(account, ("fail",)).fail)
    assert reveals_frame(error, account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_name_error_traceback_stripped(make_proxy, reaches):
    class Broken:
        def run(self):
            return undefined_name  # noqa: F821 - the NameError is the point

    broken = Broken()
    error = raised_by(make_proxy(broken, ("run",)).run)
    assert isinstance(error, NameError)
    assert reveals_frame(error, broken) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_getitem_traceback_stripped(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("__getitem__",))
    error = raised_by(lambda: proxy["absent"])
    assert reveals_frame(error, account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_property_traceback_stripped(make_proxy, reaches):
    class Guarded:
        @property
        def value(self):
            raise ValueError("failed inside")

    guarded = Guarded()
    proxy = make_proxy(guarded, ("value",))
    error = raised_by(lambda: proxy.value)
    assert reveals_frame(error, guarded) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_call_traceback_stripped(make_proxy, reaches):
    class Task:
        def __call__(self):
            raise ValueError("failed inside")

    task = Task()
    error = raised_by(make_proxy(task, ("__call__",)))
    assert reveals_frame(error, task) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_exit_traceback_stripped(make_proxy, reaches):
    class Context:
        def __enter__(self):
            return None

        def __exit__(self, exc_type, exc, traceback):
            raise ValueError("failed inside")

    context = Context()
    proxy = make_proxy(context, ("__enter__", "__exit__"))

    def use():
        with proxy:
            pass

    assert reveals_frame(raised_by(use), context) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_generator_traceback_stripped(make_proxy, reaches):
    class Numbers:
        def count(self):
            yield 1
            raise ValueError("failed inside")

    numbers = Numbers()
    generator = make_proxy(numbers, ("count",)).count()
    next(generator)
    error = raised_by(lambda: next(generator))
    assert reveals_frame(error, numbers) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_coroutine_traceback_stripped(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("afail",))

    async def call():
        await proxy.afail()

    assert reveals_frame(raised_by(lambda: run(call())), account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_async_for_traceback_stripped(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("stream_failing",))

    async def consume():
        async for _ in proxy.stream_failing():
            pass

    assert reveals_frame(raised_by(lambda: run(consume())), account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_async_enter_traceback_stripped(make_proxy, reaches):
    class Failing:
        async def __aenter__(self):
            raise ValueError("failed inside")

        async def __aexit__(self, exc_type, exc, traceback):
            return False

    failing = Failing()
    proxy = make_proxy(failing, ("__aenter__", "__aexit__"))

    async def enter():
        async with proxy:
            pass

    assert reveals_frame(raised_by(lambda: run(enter())), failing) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_context_traceback_stripped(make_proxy, reaches):
    class Failing:
        def run(self):
            try:
                raise KeyError("first")
            except KeyError:
                raise ValueError("second")

    failing = Failing()
    error = raised_by(make_proxy(failing, ("run",)).run)
    assert reveals_frame(error.__context__, failing) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_cause_traceback_stripped(make_proxy, reaches):
    class Failing:
        def run(self):
            try:
                raise KeyError("first")
            except KeyError as error:
                raise ValueError("second") from error

    failing = Failing()
    error = raised_by(make_proxy(failing, ("run",)).run)
    assert reveals_frame(error.__cause__, failing) is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(),
)
def test_long_chain_traceback_stripped(make_proxy, reaches):
    class Recursive:
        def run(self, depth):
            if depth == 0:
                raise ValueError("bottom")
            try:
                self.run(depth - 1)
            except ValueError as error:
                raise ValueError(depth) from error

    recursive = Recursive()
    proxy = make_proxy(recursive, ("run",))
    error = raised_by(lambda: proxy.run(100))
    assert reveals_frame(error, recursive) is reaches


@pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup is new in Python 3.11")
@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(),
)
def test_exception_group_traceback_stripped(make_proxy, reaches):
    class Batch:
        def run(self):
            errors = []
            try:
                raise KeyError("member")
            except KeyError as error:
                errors.append(error)
            raise ExceptionGroup("batch failed", errors)  # noqa: F821 - 3.11+

    batch = Batch()
    error = raised_by(make_proxy(batch, ("run",)).run)
    assert reveals_frame(error, batch) is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(hole="an exception thrown into a generator that catches it keeps the generator's frame"),
)
def test_thrown_exception_traceback_stripped(make_proxy, reaches):
    account = Account()
    generator = make_proxy(account, ("guarded",)).guarded()
    next(generator)
    thrown = ValueError("thrown by the caller")
    generator.throw(thrown)
    assert reveals_frame(thrown, account) is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(hole="an exception __exit__ raises again and handles keeps the __exit__ frame"),
)
def test_exit_handled_exception_traceback_stripped(make_proxy, reaches):
    class Classifier:
        def __enter__(self):
            return None

        def __exit__(self, exc_type, exc, traceback):
            try:
                raise exc
            except KeyError:
                return True

    classifier = Classifier()
    raised = KeyError("raised by the caller")
    with make_proxy(classifier, ("__enter__", "__exit__")):
        raise raised
    assert reveals_frame(raised, classifier) is reaches


@pytest.mark.skipif(sys.version_info < (3, 10), reason="AttributeError.obj is new in Python 3.10")
@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_attribute_error_obj_replaced(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("no_such_attribute",))
    error = raised_by(lambda: proxy.no_such_attribute)
    assert (error.obj is account) is reaches


@pytest.mark.skipif(sys.version_info < (3, 10), reason="AttributeError.obj is new in Python 3.10")
@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(),
)
def test_method_attribute_error_obj_replaced(make_proxy, reaches):
    account = Account()
    error = raised_by(make_proxy(account, ("missing",)).missing)
    assert (error.obj is account) is reaches


@pytest.mark.skipif(sys.version_info < (3, 10), reason="AttributeError.obj is new in Python 3.10")
@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(),
)
def test_chained_attribute_error_obj_replaced(make_proxy, reaches):
    class Failing:
        def run(self):
            try:
                self.no_such_attribute
            except AttributeError:
                raise ValueError("second")

    failing = Failing()
    error = raised_by(make_proxy(failing, ("run",)).run)
    assert (error.__context__.obj is failing) is reaches


# --- pickling and copying ----------------------------------------------------------------


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_reduce_ex_hides_object(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("balance",))
    try:
        reduced = proxy.__reduce_ex__(2)
    except TypeError:
        reduced = None
    assert reveals(reduced, account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_object_reduce_ex_hides_object(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("balance",))
    try:
        reduced = object.__reduce_ex__(proxy, 2)
    except TypeError:
        reduced = None
    assert reveals(reduced, account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_copyreg_reduce_hides_object(make_proxy, reaches):
    # __class__ is granted, so copyreg gets as far as looking for state.
    account = Account()
    proxy = make_proxy(account, ("__class__",))
    try:
        reduced = copyreg._reduce_ex(proxy, 1)
    except (TypeError, AttributeError):
        reduced = None
    assert reveals(reduced, account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_methodcaller_reduce_hides_object(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("balance",))
    try:
        reduced = operator.methodcaller("__reduce_ex__", 2)(proxy)
    except TypeError:
        reduced = None
    assert reveals(reduced, account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_pickle_payload_hides_state(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("balance",))
    try:
        payload = pickle.dumps(proxy, protocol=1)
    except TypeError:
        payload = b""
    assert (PIN.encode() in payload) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_copy_hides_object(make_proxy, reaches):
    account = Account()
    try:
        copied = copy.copy(make_proxy(account, ("balance",)))
    except TypeError:
        copied = None
    assert reveals(getattr(copied, "__dict__", None), account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_deepcopy_hides_state(make_proxy, reaches):
    account = Account()
    try:
        copied = copy.deepcopy(make_proxy(account, ("balance",)))
    except TypeError:
        copied = None
    state = vars(vars(copied)["_target"]) if copied is not None else {}
    assert reveals(state, PIN) is reaches


# --- attribute lookup around the interface -----------------------------------------------


# Call-only and generator proxies have no naive counterpart, because the
# naive proxy hands out raw methods and generators. The naive case of this
# technique is test_decoy_name_read_denied.
MX_ONLY_VARIANTS = variants()[1:]


class DecoyName(str):
    """An attribute name that passes an interface check as another name.

    Until it has been compared equal to the decoy, it hashes like the decoy,
    so a hash-based membership test of the interface finds the granted
    decoy and compares it equal. From then on it hashes as its own text, so
    the wrapped object's attribute lookup finds the real name.
    """

    def __new__(cls, text, decoy):
        name = super().__new__(cls, text)
        name.decoy = decoy
        name.armed = True
        return name

    def __hash__(self):
        if self.armed:
            return hash(self.decoy)
        return str.__hash__(self)

    def __eq__(self, other):
        if self.armed and type(other) is str and other == self.decoy:
            self.armed = False
            return True
        return str.__eq__(self, other)


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_decoy_name_read_denied(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("balance",))
    try:
        state = getattr(proxy, DecoyName("__dict__", "balance"))
    except AttributeError:
        state = {}
    assert (state.get("pin") == PIN) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_decoy_name_write_denied(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("balance",))
    try:
        setattr(proxy, DecoyName("pin", "balance"), "overwritten")
    except AttributeError:
        pass
    assert (account.pin == "overwritten") is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_decoy_name_dict_interface(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, {"balance": True})
    try:
        found = getattr(proxy, DecoyName("__class__", "balance"))
    except AttributeError:
        found = None
    assert (found is Account) is reaches


class DisguisedName(str):
    """An attribute name whose text is granted but which hashes and compares
    like another name, so an object looking it up finds that other name."""

    def __new__(cls, text, real):
        name = super().__new__(cls, text)
        name.real = real
        return name

    def __hash__(self):
        return hash(self.real)

    def __eq__(self, other):
        return other == self.real


@pytest.mark.parametrize("make_proxy, reaches", ROUTE_VARIANTS)
def test_disguised_name_read_denied(make_proxy, reaches):
    # The proxy must forward the text it checked, not the str subclass.
    account = Account()
    proxy = make_proxy(account, ("balance",))
    try:
        found = getattr(proxy, DisguisedName("balance", "pin"))
    except AttributeError:
        found = None
    assert (found == PIN) is reaches


@pytest.mark.parametrize("make_proxy, reaches", MX_ONLY_VARIANTS)
def test_decoy_name_method_self(make_proxy, reaches):
    account = Account()
    method = make_proxy(account, ("method",)).method
    found = getattr(method, DecoyName("__self__", "__call__"), None)
    assert (found is account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", MX_ONLY_VARIANTS)
def test_decoy_name_generator_frame(make_proxy, reaches):
    account = Account()
    generator = make_proxy(account, ("numbers",)).numbers()
    frame = getattr(generator, DecoyName("gi_frame", "send"), None)
    assert (frame_self(frame) is account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_object_getattribute_finds_nothing(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("balance",))
    found = []
    for name in ("_target", "object", "__wrapped__", "__dict__", "__self__"):
        try:
            found.append(object.__getattribute__(proxy, name))
        except AttributeError:
            pass
    assert reveals(found, account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_type_dict_descriptors_hide_object(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("balance",))
    found = []
    for descriptor in vars(type(proxy)).values():
        if isinstance(descriptor, (property, types.GetSetDescriptorType, types.MemberDescriptorType)):
            try:
                found.append(descriptor.__get__(proxy, type(proxy)))
            except AttributeError:
                pass
    assert any(value is Account or reveals(value, account) for value in found) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_super_getattribute_hides_object(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("balance",))
    bound = super(type(proxy), proxy)
    try:
        found = bound.__getattribute__("_target")
    except AttributeError:
        found = None
    assert (found is account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_super_reduce_hides_object(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("balance",))
    try:
        reduced = super(type(proxy), proxy).__reduce_ex__(2)
    except TypeError:
        reduced = None
    assert reveals(reduced, account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_class_assignment_rejected(make_proxy, reaches):
    class Spy:
        def reveal(self):
            return vars(self).get("_target")

    account = Account()
    proxy = make_proxy(account, ("balance",))
    try:
        object.__dict__["__class__"].__set__(proxy, Spy)
    except TypeError:
        pass
    found = proxy.reveal() if type(proxy) is Spy else None
    assert (found is account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_vars_hides_object(make_proxy, reaches):
    account = Account()
    try:
        state = vars(make_proxy(account, ("balance",)))
    except TypeError:
        state = {}
    assert reveals(state, account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_format_field_class_denied(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("balance",))
    try:
        text = "{0.__class__}".format(proxy)
    except AttributeError:
        text = ""
    assert ("Account" in text) is reaches


@pytest.mark.parametrize("make_proxy, reaches", ROUTE_VARIANTS)
def test_format_field_attribute_denied(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("balance",))
    try:
        text = "{0.pin}".format(proxy)
    except AttributeError:
        text = ""
    assert (text == PIN) is reaches


@pytest.mark.parametrize("make_proxy, reaches", ROUTE_VARIANTS)
def test_attrgetter_attribute_denied(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("balance",))
    try:
        found = operator.attrgetter("pin")(proxy)
    except AttributeError:
        found = None
    assert (found == PIN) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_attrgetter_class_denied(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("balance",))
    try:
        found = operator.attrgetter("__class__")(proxy)
    except AttributeError:
        found = None
    assert (found is Account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_proxy_getattr_class_denied(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("balance",))
    try:
        found = proxy.proxy_getattr("__class__")
    except AttributeError:
        found = None
    assert (found is Account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_isinstance_class_hidden(make_proxy, reaches):
    account = Account()
    assert isinstance(make_proxy(account, ("balance",)), Account) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_dir_lists_granted_names_only(make_proxy, reaches):
    account = Account()
    names = dir(make_proxy(account, ("balance", "__dir__")))
    assert ("pin" in names) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_object_dir_lists_nothing_denied(make_proxy, reaches):
    account = Account()
    names = object.__dir__(make_proxy(account, ("balance",)))
    assert ("secret" in names) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_repr_hides_address(make_proxy, reaches):
    account = Account()
    text = repr(make_proxy(account, ("balance",)))
    assert (f"{id(account):x}" in text.lower()) is reaches


@pytest.mark.parametrize("make_proxy, reaches", ROUTE_VARIANTS)
def test_str_denied_without_grant(make_proxy, reaches):
    account = Account()
    try:
        text = str(make_proxy(account, ("balance",)))
    except TypeError:
        text = ""
    assert (f"{id(account):x}" in text.lower()) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_subclassing_class_proxy_rejected(make_proxy, reaches):
    proxy = make_proxy(Account, ("__call__",))
    try:

        class Derived(proxy):
            pass

        bases = Derived.__mro__
    except TypeError:
        bases = ()
    assert (Account in bases) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_set_name_not_forwarded(make_proxy, reaches):
    class Field:
        def __set_name__(self, owner, name):
            owner.registered = self

    field = Field()
    proxy = make_proxy(field, ("__set_name__",))

    class Owner:
        attribute = proxy

    assert (getattr(Owner, "registered", None) is field) is reaches


# --- the pass object -----------------------------------------------------------------------


class EqualToEverything:
    """An object that compares equal to anything."""

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_pass_object_needs_identity(make_proxy, reaches):
    account = Account()
    proxy = make_proxy(account, ("balance",), object())
    try:
        found = proxy.proxy_object(EqualToEverything())
    except AttributeError:
        found = None
    assert (found is account) is reaches


def test_recycled_proxy_has_no_pass_object():
    # Freed proxies are reused, and a new proxy must not inherit a pass
    # object. The naive proxy allocates nothing of its own, so it is not run.
    key = object()
    for _ in range(100):
        Proxy(Account(), ("method",), key)
    account = Account()
    proxies = [Proxy(account, ("method",)) for _ in range(100)]
    proxies += [proxy.method for proxy in proxies]
    handed_out = []
    for proxy in proxies:
        try:
            handed_out.append(proxy.proxy_object(key))
        except AttributeError:
            pass
    assert handed_out == []


# --- foreign operands ----------------------------------------------------------------------


BINARY_OPERATORS = {
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

IN_PLACE_OPERATORS = {
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

COMPARISONS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}

OPERATOR_INTERFACE = (
    [f"__{name}__" for name in BINARY_OPERATORS]
    + [f"__r{name}__" for name in BINARY_OPERATORS]
    + [f"__i{name}__" for name in IN_PLACE_OPERATORS]
    + [f"__{name}__" for name in COMPARISONS]
    + ["__hash__"]
)


class Plain:
    """A wrapped object of a class defined in Python, with no operators."""


def wrapped_value(kind):
    """Return a new wrapped object: a Plain instance or a list."""
    return Plain() if kind == "object" else [1, 2]


class Recorder:
    """A foreign operand that records every argument its operator methods get."""

    def __init__(self, hash_value=None):
        self.seen = []
        self.hash_value = hash_value

    def _record(self, *arguments):
        self.seen.extend(arguments)
        return NotImplemented

    def __hash__(self):
        if self.hash_value is None:
            return object.__hash__(self)
        return self.hash_value

    def received(self, target):
        """Return True if any recorded argument is target."""
        return any(argument is target for argument in self.seen)


for _name in BINARY_OPERATORS:
    setattr(Recorder, f"__{_name}__", Recorder._record)
    setattr(Recorder, f"__r{_name}__", Recorder._record)
for _name in COMPARISONS:
    setattr(Recorder, f"__{_name}__", Recorder._record)


class RecorderMapping(Recorder):
    """A Recorder that is also a mapping, so MappingProxyType accepts it."""

    def __getitem__(self, key):
        raise KeyError(key)

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0


def apply_quietly(function, *operands):
    """Apply function, ignoring the TypeError of an unsupported operation."""
    try:
        function(*operands)
    except TypeError:
        pass


@pytest.mark.parametrize("kind", ["object", "list"])
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("name", list(BINARY_OPERATORS))
@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_binary_operand_gets_proxy(make_proxy, reaches, name, side, kind):
    target = wrapped_value(kind)
    proxy = make_proxy(target, OPERATOR_INTERFACE)
    recorder = Recorder()
    operands = (proxy, recorder) if side == "left" else (recorder, proxy)
    apply_quietly(BINARY_OPERATORS[name], *operands)
    assert recorder.received(target) is reaches


@pytest.mark.parametrize("kind", ["object", "list"])
@pytest.mark.parametrize("name", list(IN_PLACE_OPERATORS))
@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_inplace_operand_gets_proxy(make_proxy, reaches, name, kind):
    target = wrapped_value(kind)
    proxy = make_proxy(target, OPERATOR_INTERFACE)
    recorder = Recorder()
    apply_quietly(IN_PLACE_OPERATORS[name], proxy, recorder)
    assert recorder.received(target) is reaches


@pytest.mark.parametrize("kind", ["object", "list"])
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("name", list(COMPARISONS))
@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_comparison_operand_gets_proxy(make_proxy, reaches, name, side, kind):
    target = wrapped_value(kind)
    proxy = make_proxy(target, OPERATOR_INTERFACE)
    recorder = Recorder()
    operands = (proxy, recorder) if side == "left" else (recorder, proxy)
    apply_quietly(COMPARISONS[name], *operands)
    assert recorder.received(target) is reaches


@pytest.mark.parametrize("name", ["add", "eq", "lt"])
@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_proxies_on_both_sides(make_proxy, reaches, name):
    # Each wrapped Recorder is trusted code, but must still see only the
    # other side's proxy.
    left_target = Recorder()
    right_target = Recorder()
    left = make_proxy(left_target, OPERATOR_INTERFACE)
    right = make_proxy(right_target, OPERATOR_INTERFACE)
    operation = {**BINARY_OPERATORS, **COMPARISONS}[name]
    apply_quietly(operation, left, right)
    reached = left_target.received(right_target) or right_target.received(left_target)
    assert reached is reaches


@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(naive_reaches=sys.version_info >= (3, 14)),
)
def test_three_argument_pow_operand(make_proxy, reaches):
    # Before Python 3.14 the interpreter never calls __rpow__ for pow()
    # with three arguments (3.14 added that call to its data model), so even
    # the naive proxy is safe there.
    target = wrapped_value("object")
    recorder = Recorder()
    apply_quietly(pow, make_proxy(target, OPERATOR_INTERFACE), recorder, 5)
    assert recorder.received(target) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_membership_test_operand_gets_proxy(make_proxy, reaches):
    target = Plain()
    recorder = Recorder()
    make_proxy(target, OPERATOR_INTERFACE) in [recorder]
    assert recorder.received(target) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_list_equality_operand_gets_proxy(make_proxy, reaches):
    target = Plain()
    recorder = Recorder()
    [make_proxy(target, OPERATOR_INTERFACE)] == [recorder]
    assert recorder.received(target) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_dict_key_operand_gets_proxy(make_proxy, reaches):
    target = Plain()
    recorder = Recorder(hash_value=hash(target))
    {recorder: 1}.get(make_proxy(target, OPERATOR_INTERFACE))
    assert recorder.received(target) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_list_index_operand_gets_proxy(make_proxy, reaches):
    target = Plain()
    recorder = Recorder()
    with pytest.raises(ValueError):
        [recorder].index(make_proxy(target, OPERATOR_INTERFACE))
    assert recorder.received(target) is reaches


@pytest.mark.parametrize("make_proxy, reaches", variants())
def test_sorted_operand_gets_proxy(make_proxy, reaches):
    target = Plain()
    recorder = Recorder()
    keys = []

    def capture(item):
        keys.append(item)
        return item

    apply_quietly(lambda: sorted([recorder, make_proxy(target, OPERATOR_INTERFACE)], key=capture))
    reached = recorder.received(target) or any(key is target for key in keys)
    assert reached is reaches


@pytest.mark.parametrize("name", ["add", "eq", "or"])
@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(),
)
def test_weakref_proxy_operand_gets_proxy(make_proxy, reaches, name):
    target = [1, 2]
    recorder = Recorder()
    operation = {**BINARY_OPERATORS, **COMPARISONS}[name]
    apply_quietly(operation, make_proxy(target, OPERATOR_INTERFACE), weakref.proxy(recorder))
    assert recorder.received(target) is reaches


@pytest.mark.parametrize("name", ["eq", "or"])
@pytest.mark.parametrize(
    "make_proxy, reaches",
    variants(),
)
def test_mappingproxy_operand_gets_proxy(make_proxy, reaches, name):
    # type(type.__dict__) is types.MappingProxyType, reachable without import.
    target = [1, 2]
    recorder = RecorderMapping()
    operation = {**BINARY_OPERATORS, **COMPARISONS}[name]
    apply_quietly(operation, make_proxy(target, OPERATOR_INTERFACE), type(type.__dict__)(recorder))
    assert recorder.received(target) is reaches


# --- weak references -------------------------------------------------------------------------


@pytest.mark.parametrize("make_proxy", [Proxy, WeakProxy], ids=["strong", "weak"])
def test_weakref_callback_gets_reference(make_proxy):
    # A weak reference refers to the proxy itself, so even a naive proxy
    # gives nothing away through it. This test guards the proxy's weakref slot.
    account = Account()
    proxy = make_proxy(account, ("method",))
    received = []
    reference = weakref.ref(proxy, received.append)
    found = [reference()]
    del proxy
    gc.collect()
    found.extend(received)
    assert not reveals(found, account)


# --- the helper classes --------------------------------------------------------------------
# A read-only helper has no naive counterpart. Each test checks the wrapped
# object after a write that the helper must reject.


@pytest.mark.xfail(strict=True, reason="a read-only helper hands out its Proxy's proxy_setattr")
def test_readonly_helper_proxy_setattr_denied():
    account = Account()
    helper = ReadonlyInstanceProxy(account, ("balance",))
    try:
        helper.proxy_setattr("balance", 0)
    except AttributeError:
        pass
    assert account.balance == 10


@pytest.mark.xfail(strict=True, reason="the base class __setattr__ writes through a read-only helper")
def test_readonly_helper_base_setattr_denied():
    account = Account()
    helper = ReadonlyInstanceProxy(account, ("balance",))
    base = type(helper).__mro__[1]
    try:
        base.__setattr__(helper, "balance", 0)
    except AttributeError:
        pass
    assert account.balance == 10


@pytest.mark.xfail(strict=True, reason="the Proxy in a read-only helper's slot is writable")
def test_readonly_helper_slot_proxy_denied():
    account = Account()
    helper = ReadonlyInstanceProxy(account, ("balance",))
    inner_proxy = object.__getattribute__(helper, "_InstanceProxy__proxy")
    try:
        inner_proxy.balance = 0
    except AttributeError:
        pass
    assert account.balance == 10


# --- limits: techniques outside what a proxy guarantees ------------------------------------
# Each test asserts that the technique works on an mx proxy, so the
# threat model can state the limit exactly. The proxies are strong.


def test_gc_referents_reveal_object():
    account = Account()
    proxy = Proxy(account, ("balance",))
    assert any(referent is account for referent in gc.get_referents(proxy))


def test_ctypes_reads_object_field():
    # In mxProxyObject (include/mxProxy.h) the object field follows the
    # object header, whose size is object.__basicsize__.
    account = Account()
    proxy = Proxy(account, ("balance",))
    field = ctypes.py_object.from_address(id(proxy) + object.__basicsize__)
    assert field.value is account


def test_callback_frame_reveals_self():
    class Runner:
        def run(self, callback):
            callback()

    runner = Runner()
    found = []

    def callback():
        try:
            raise LookupError("find my caller")
        except LookupError as error:
            caller = error.__traceback__.tb_frame.f_back
            found.append(caller.f_locals.get("self"))

    Proxy(runner, ("run",)).run(callback)
    assert found[0] is runner


def test_restricted_code_frames_reach_caller():
    # Code run by exec() walks from its own traceback to the frame that
    # called exec(), whose local variables hold the unwrapped object.
    def run_restricted(source):
        account = Account()
        namespace = {"account": Proxy(account, ("balance",)), "found": []}
        exec(source, namespace)  # noqa: S102 - stands for a sandbox
        return account, namespace["found"]

    source = (
        "try:\n"
        "    raise LookupError('find my caller')\n"
        "except LookupError as error:\n"
        "    caller = error.__traceback__.tb_frame.f_back\n"
        "    found.append(caller.f_locals.get('account'))\n"
    )
    account, found = run_restricted(source)
    assert found[0] is account


def test_callback_given_self_reveals_object():
    class Visitor:
        def visit(self, callback):
            callback(self)

    visitor = Visitor()
    found = []
    Proxy(visitor, ("visit",)).visit(found.append)
    assert found[0] is visitor


def test_exception_args_reveal_object():
    class Complaining:
        def run(self):
            raise LookupError(self)

    complaining = Complaining()
    error = raised_by(Proxy(complaining, ("run",)).run)
    assert error.args[0] is complaining


def test_returned_container_reveals_object():
    class Listed:
        def as_list(self):
            return [self]

    listed = Listed()
    assert Proxy(listed, ("as_list",)).as_list()[0] is listed


def test_stored_partial_reveals_object():
    class Handler:
        def __init__(self):
            self.callback = functools.partial(self.handle)

        def handle(self):
            return None

    handler = Handler()
    assert Proxy(handler, ("callback",)).callback.func.__self__ is handler


def test_returned_iterator_reveals_container():
    class Holder:
        def __init__(self):
            self.items = [1, 2]

        def iterate(self):
            return iter(self.items)

    holder = Holder()
    reduced = Proxy(holder, ("iterate",)).iterate().__reduce__()
    assert reveals(reduced, holder.items)


def test_generic_alias_reveals_class():
    class Box:
        __class_getitem__ = classmethod(types.GenericAlias)

    assert Proxy(Box, ("__getitem__",))[int].__origin__ is Box


def test_class_proxy_instance_reveals_class():
    instance = Proxy(Account, ("__call__",))()
    assert type(instance) is Account


def test_class_proxy_property_reveals_function():
    # A proxy of a class hands out the class's attributes as they are.
    getter = Proxy(Account, ("me",)).me.fget
    assert getter.__globals__["MODULE_SECRET"] == MODULE_SECRET


def test_error_message_names_class():
    proxy = Proxy(Plain(), ("__next__",))
    error = raised_by(lambda: next(proxy))
    assert "Plain" in str(error)


@pytest.mark.parametrize(
    "expression",
    [operator.pos, lambda proxy: proxy + 1, round],
    ids=["positive", "add", "round"],
)
def test_operator_result_reveals_object(expression):
    # Results of operators and conversions are returned as computed.
    class Fluent:
        def __pos__(self):
            return self

        def __add__(self, other):
            return self

        def __round__(self, digits=None):
            return self

    fluent = Fluent()
    proxy = Proxy(fluent, ("__pos__", "__add__", "__round__"))
    assert expression(proxy) is fluent


def test_container_equality_reveals_element():
    # Built-in containers compare their elements with the other operand's.
    element = Plain()
    recorder = Recorder()
    Proxy({"key": element}, ("__eq__",)) == {"key": recorder}
    assert recorder.received(element)


def test_kept_tracebacks_reveal_frames(keep_tracebacks_restored):
    account = Account()
    mx.Proxy.set_keep_tracebacks(True)
    error = raised_by(Proxy(account, ("fail",)).fail)
    assert reveals_frame(error, account)


def test_unrestricted_proxy_keeps_tracebacks():
    account = Account()
    error = raised_by(Proxy(account).fail)
    assert reveals_frame(error, account)


def test_unrestricted_proxy_returns_generator_frames():
    account = Account()
    generator = Proxy(account).numbers()
    next(generator)
    assert generator.gi_frame.f_locals["self"] is account


def test_interned_pass_object_forgeable():
    # Code compiled separately gets the same interned string constant.
    account = Account()
    proxy = Proxy(account, ("balance",), "key")
    forged = eval("'key'")  # noqa: S307 - stands for separately compiled code
    assert proxy.proxy_object(forged) is account
