"""Protocols a proxy forwards besides the operators.

Covers context managers and their async form, await and async iteration,
dir(), format(), bytes(), os.fspath(), the math functions and round(). It
also covers the fallbacks Python applies when an object lacks a method:
iteration and `in` by __getitem__, reversed() by __len__ and __getitem__,
and truth by __len__. The last section checks the exceptions raised when
the wrapped object does not support an operation at all.
"""
import asyncio
import contextlib
import datetime
import math
import operator
import os
import pathlib
import sys
import warnings
from decimal import Decimal
from fractions import Fraction

import pytest

from mx.Proxy import AccessError, LostReferenceError, Proxy, WeakProxy

UNRELATED = ("unrelated_name",)
PROXY_METHOD_NAMES = ["proxy_defunct", "proxy_getattr", "proxy_object", "proxy_setattr"]


def denied(name):
    """Return the match pattern of the denial message for name."""
    return "^" + name + " access denied$"


def run(coroutine):
    return asyncio.run(coroutine)


# --- objects -------------------------------------------------------------------


class Resource:
    """A context manager that records its calls and suppresses KeyError."""

    def __init__(self, enter_result="entered"):
        self.events = []
        self.enter_result = enter_result
        self.exit_arguments = None

    def __enter__(self):
        self.events.append("enter")
        return self if self.enter_result is None else self.enter_result

    def __exit__(self, exc_type, exc, tb):
        self.events.append("exit")
        self.exit_arguments = (exc_type, exc, tb)
        return exc_type is KeyError


class FailingEnter:
    def __init__(self):
        self.exited = False

    def __enter__(self):
        raise RuntimeError("enter failed")

    def __exit__(self, *arguments):
        self.exited = True


class FailingExit:
    def __enter__(self):
        return self

    def __exit__(self, *arguments):
        raise RuntimeError("exit failed")


class AsyncResource:
    """An async context manager that records its calls and suppresses KeyError."""

    def __init__(self, enter_result="entered"):
        self.events = []
        self.enter_result = enter_result
        self.exit_arguments = None

    async def __aenter__(self):
        self.events.append("enter")
        return self if self.enter_result is None else self.enter_result

    async def __aexit__(self, exc_type, exc, tb):
        self.events.append("exit")
        self.exit_arguments = (exc_type, exc, tb)
        return exc_type is KeyError


class Ready:
    """An awaitable that finishes at once with value."""

    def __init__(self, value=42):
        self.value = value

    def __await__(self):
        return self.value
        yield


class Suspending:
    """An awaitable that suspends once through asyncio before finishing."""

    def __await__(self):
        yield from asyncio.sleep(0).__await__()
        return "resumed"


class SelfAwaiting:
    """An awaitable whose result is the object itself."""

    def __await__(self):
        return self
        yield


class FailingAwait:
    def __await__(self):
        raise ValueError("await failed")
        yield


class Countdown:
    """An async iterator over start-1, ..., 0."""

    def __init__(self, start):
        self.value = start

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.value == 0:
            raise StopAsyncIteration
        self.value -= 1
        return self.value


class FailingAnext:
    def __aiter__(self):
        return self

    async def __anext__(self):
        raise ValueError("anext failed")


async def count_up(limit):
    for value in range(limit):
        await asyncio.sleep(0)
        yield value


async def produce(value):
    await asyncio.sleep(0)
    return value


class Indexed:
    """A sequence by __getitem__ only: items 0, 10, 20, then IndexError."""

    def __getitem__(self, index):
        if 0 <= index < 3:
            return index * 10
        raise IndexError(index)


class Everything:
    """Contains everything by __contains__ but iterates over nothing."""

    def __contains__(self, item):
        return True

    def __iter__(self):
        return iter(())


class Node:
    """Iterates over itself first, as a tree walk does."""

    def __iter__(self):
        yield self

    def __reversed__(self):
        yield self


class Truth:
    """Truth value by __bool__, length by __len__, both given."""

    def __init__(self, truth, length):
        self.truth = truth
        self.length = length

    def __bool__(self):
        return self.truth

    def __len__(self):
        return self.length


class Sized:
    def __len__(self):
        return 0


class FailingBool:
    def __bool__(self):
        raise ValueError("bool failed")


class Record:
    def __init__(self):
        self.a = 1
        self.b = 2


class Listing:
    """An object whose __dir__ lists names it does not have."""

    def __dir__(self):
        return ["shown", "hidden", "__len__"]


class Payload:
    def __bytes__(self):
        return b"raw"

    def __complex__(self):
        return 1 + 2j


class IndexOnly:
    def __init__(self, value):
        self.value = value

    def __index__(self):
        return self.value


class Rounded:
    def __round__(self, ndigits=None):
        return ("round", ndigits)

    def __floor__(self):
        return "floor"

    def __ceil__(self):
        return "ceil"

    def __trunc__(self):
        return "trunc"


# --- with ---------------------------------------------------------------------


def test_with_enter_result_passed():
    proxy = Proxy(Resource(), ("__enter__", "__exit__"))
    with proxy as value:
        pass
    assert value == "entered"


def test_with_enter_self_gives_proxy():
    proxy = Proxy(Resource(enter_result=None), ("__enter__", "__exit__"))
    with proxy as value:
        pass
    assert value is proxy


def test_weak_with_enter_self_gives_proxy():
    target = Resource(enter_result=None)
    proxy = WeakProxy(target, ("__enter__", "__exit__"))
    with proxy as value:
        pass
    assert value is proxy


def test_with_exit_gets_exception_type():
    target = Resource()
    with pytest.raises(ValueError):
        with Proxy(target, ("__enter__", "__exit__")):
            raise ValueError("inside")
    assert target.exit_arguments[0] is ValueError


def test_with_exit_gets_exception_value():
    target = Resource()
    error = ValueError("inside")
    with pytest.raises(ValueError):
        with Proxy(target, ("__enter__", "__exit__")):
            raise error
    assert target.exit_arguments[1] is error


def test_with_exit_gets_traceback():
    target = Resource()
    with pytest.raises(ValueError):
        with Proxy(target, ("__enter__", "__exit__")):
            raise ValueError("inside")
    assert target.exit_arguments[2] is not None


def test_with_exit_gets_none_without_error():
    target = Resource()
    with Proxy(target, ("__enter__", "__exit__")):
        pass
    assert target.exit_arguments == (None, None, None)


def test_with_exit_suppresses_exception():
    target = Resource()
    with Proxy(target, ("__enter__", "__exit__")):
        raise KeyError("suppressed")
    assert target.events == ["enter", "exit"]


def test_with_exit_false_propagates():
    with pytest.raises(ValueError, match="inside"):
        with Proxy(Resource(), ("__enter__", "__exit__")):
            raise ValueError("inside")


def test_with_enter_error_propagates():
    with pytest.raises(RuntimeError, match="enter failed"):
        with Proxy(FailingEnter(), ("__enter__", "__exit__")):
            pass


def test_with_enter_error_skips_exit():
    target = FailingEnter()
    with pytest.raises(RuntimeError):
        with Proxy(target, ("__enter__", "__exit__")):
            pass
    assert target.exited is False


def test_with_exit_error_propagates():
    with pytest.raises(RuntimeError, match="exit failed"):
        with Proxy(FailingExit(), ("__enter__", "__exit__")):
            pass


def test_with_enter_denied_skips_body():
    body_ran = []
    with pytest.raises(AccessError, match=denied("__enter__")):
        with Proxy(Resource(), ("__exit__",)):
            body_ran.append(True)
    assert body_ran == []


def test_with_exit_denied_after_body():
    target = Resource()
    with pytest.raises(AccessError, match=denied("__exit__")):
        with Proxy(target, ("__enter__",)):
            pass
    assert target.events == ["enter"]


def test_with_unrestricted_proxy():
    target = Resource()
    with Proxy(target) as value:
        pass
    assert (value, target.events) == ("entered", ["enter", "exit"])


def test_exit_stack_enters_proxy():
    target = Resource()
    with contextlib.ExitStack() as stack:
        value = stack.enter_context(Proxy(target, ("__enter__", "__exit__")))
    assert (value, target.events) == ("entered", ["enter", "exit"])


def test_with_defunct_weak_lost():
    target = Resource()
    proxy = WeakProxy(target, ("__enter__", "__exit__"))
    del target
    with pytest.raises(LostReferenceError):
        with proxy:
            pass


# --- async with ------------------------------------------------------------------


def test_async_with_result_passed():
    proxy = Proxy(AsyncResource(), ("__aenter__", "__aexit__"))

    async def main():
        async with proxy as value:
            return value

    assert run(main()) == "entered"


def test_async_with_enter_self_gives_proxy():
    proxy = Proxy(AsyncResource(enter_result=None), ("__aenter__", "__aexit__"))

    async def main():
        async with proxy as value:
            return value

    assert run(main()) is proxy


def test_async_with_exit_gets_exception():
    target = AsyncResource()
    proxy = Proxy(target, ("__aenter__", "__aexit__"))

    async def main():
        async with proxy:
            raise ValueError("inside")

    with pytest.raises(ValueError, match="inside"):
        run(main())
    assert target.exit_arguments[0] is ValueError


def test_async_with_exit_suppresses():
    target = AsyncResource()
    proxy = Proxy(target, ("__aenter__", "__aexit__"))

    async def main():
        async with proxy:
            raise KeyError("suppressed")
        return "after"

    assert run(main()) == "after"


def test_async_with_exit_denied():
    target = AsyncResource()
    proxy = Proxy(target, ("__aenter__",))

    async def main():
        async with proxy:
            pass

    with pytest.raises(AccessError, match=denied("__aexit__")):
        run(main())
    assert target.events == ["enter"]


def test_async_with_enter_denied():
    target = AsyncResource()
    proxy = Proxy(target, ("__aexit__",))

    async def main():
        async with proxy:
            pass

    with pytest.raises(AccessError, match=denied("__aenter__")):
        run(main())
    assert target.events == []


# --- await ---------------------------------------------------------------------------


def test_await_ready_value():
    proxy = Proxy(Ready(7), ("__await__",))

    async def main():
        return await proxy

    assert run(main()) == 7


def test_await_suspending_awaitable():
    proxy = Proxy(Suspending(), ("__await__",))

    async def main():
        return await proxy

    assert run(main()) == "resumed"


def test_await_coroutine_object():
    proxy = Proxy(produce("done"), ("__await__",))

    async def main():
        return await proxy

    assert run(main()) == "done"


def test_await_future():
    async def main():
        future = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(future.set_result, "set")
        return await Proxy(future, ("__await__",))

    assert run(main()) == "set"


def test_await_error_propagates():
    proxy = Proxy(FailingAwait(), ("__await__",))

    async def main():
        return await proxy

    with pytest.raises(ValueError, match="await failed"):
        run(main())


def test_await_weak_proxy():
    target = Ready(5)
    proxy = WeakProxy(target, ("__await__",))

    async def main():
        return await proxy

    assert run(main()) == 5


def test_await_self_result_gives_proxy():
    proxy = Proxy(SelfAwaiting(), ("__await__",))

    async def main():
        return await proxy

    assert run(main()) is proxy


def test_await_non_awaitable_type_error():
    proxy = Proxy(5, ("__await__",))

    async def main():
        return await proxy

    with pytest.raises(TypeError) as caught:
        run(main())
    assert not isinstance(caught.value, AccessError)


# --- async for ----------------------------------------------------------------------


def test_async_for_async_iterator():
    proxy = Proxy(Countdown(3), ("__aiter__", "__anext__"))

    async def main():
        return [value async for value in proxy]

    assert run(main()) == [2, 1, 0]


def test_async_for_async_generator():
    proxy = Proxy(count_up(3), ("__aiter__", "__anext__"))

    async def main():
        return [value async for value in proxy]

    assert run(main()) == [0, 1, 2]


def test_async_for_unrestricted_generator():
    proxy = Proxy(count_up(2))

    async def main():
        return [value async for value in proxy]

    assert run(main()) == [0, 1]


def test_async_for_anext_denied():
    proxy = Proxy(Countdown(3), ("__aiter__",))

    async def main():
        return [value async for value in proxy]

    with pytest.raises(AccessError, match=denied("__anext__")):
        run(main())


def test_async_for_error_propagates():
    proxy = Proxy(FailingAnext(), ("__aiter__", "__anext__"))

    async def main():
        return [value async for value in proxy]

    with pytest.raises(ValueError, match="anext failed"):
        run(main())


@pytest.mark.skipif(sys.version_info < (3, 10), reason="aiter() is new in Python 3.10")
def test_aiter_self_gives_proxy():
    proxy = Proxy(Countdown(3), ("__aiter__",))
    assert aiter(proxy) is proxy


# --- iteration fallbacks -------------------------------------------------------------------


def test_getitem_only_iterates():
    proxy = Proxy(Indexed(), ("__getitem__",))
    assert list(proxy) == [0, 10, 20]


def test_getitem_only_for_loop():
    proxy = Proxy(["a", "b"], ("__getitem__",))
    items = []
    for item in proxy:
        items.append(item)
    assert items == ["a", "b"]


def test_getitem_only_unpacks():
    first, second = Proxy(["a", "b"], ("__getitem__",))
    assert (first, second) == ("a", "b")


def test_getitem_only_sorted():
    proxy = Proxy([3, 1, 2], ("__getitem__",))
    assert sorted(proxy) == [1, 2, 3]


def test_getitem_only_iterator_next():
    iterator = iter(Proxy(["a"], ("__getitem__",)))
    assert next(iterator) == "a"


def test_getitem_only_key_error_propagates():
    proxy = Proxy({"k": 1}, ("__getitem__",))
    with pytest.raises(KeyError):
        list(proxy)


def test_iteration_without_names_denied():
    proxy = Proxy([1, 2], ("__len__",))
    with pytest.raises(AccessError, match=denied("__iter__")):
        list(proxy)


def test_iter_preferred_over_getitem():
    proxy = Proxy({"k": 1}, ("__iter__", "__getitem__"))
    assert list(proxy) == ["k"]


@pytest.mark.parametrize(
    "target,expected",
    [({"a": 1}, ["a"]), ({3}, [3]), ("ab", ["a", "b"]), (range(3), [0, 1, 2]), ((1, 2), [1, 2])],
    ids=["dict", "set", "str", "range", "tuple"],
)
def test_iter_builtin_containers(target, expected):
    assert list(Proxy(target, ("__iter__",))) == expected


def test_iter_generator_needs_next():
    generator = (value for value in [1, 2])
    proxy = Proxy(generator, ("__iter__",))
    with pytest.raises(AccessError, match=denied("__next__")):
        list(proxy)


def test_iter_generator_with_next():
    generator = (value for value in [1, 2])
    assert list(Proxy(generator, ("__iter__", "__next__"))) == [1, 2]


def test_iter_of_iterator_gives_proxy():
    proxy = Proxy(iter([1]), ("__iter__",))
    assert iter(proxy) is proxy


def test_restricted_iterator_hides_container():
    # A list iterator's __reduce__ returns the list, but the proxy's raises.
    iterator = iter(Proxy([1, 2], ("__iter__",)))
    with pytest.raises(TypeError):
        iterator.__reduce__()


def test_next_with_default_exhausted():
    proxy = Proxy(iter([]), ("__next__",))
    assert next(proxy, "default") == "default"


def test_next_generator_values():
    proxy = Proxy((value * 2 for value in [1, 2]), ("__next__",))
    assert (next(proxy), next(proxy)) == (2, 4)


def test_iteration_yielding_self_gives_proxy():
    proxy = Proxy(Node(), ("__iter__",))
    assert next(iter(proxy)) is proxy


def test_iteration_yielding_self_hides_object():
    target = Node()
    assert [item for item in Proxy(target, ("__iter__",))][0] is not target


# --- `in` fallbacks -------------------------------------------------------------------


@pytest.mark.parametrize("names", [("__iter__",), ("__getitem__",)], ids=["iter", "getitem"])
def test_in_fallback_finds_item(names):
    assert (2 in Proxy([1, 2], names)) is True


@pytest.mark.parametrize("names", [("__iter__",), ("__getitem__",)], ids=["iter", "getitem"])
def test_in_fallback_misses_item(names):
    assert (3 in Proxy([1, 2], names)) is False


@pytest.mark.parametrize("names", [("__iter__",), ("__getitem__",)], ids=["iter", "getitem"])
def test_not_in_fallback(names):
    assert (3 not in Proxy([1, 2], names)) is True


def test_in_fallback_identity_first():
    nan = float("nan")
    assert (nan in Proxy([nan], ("__iter__",))) is True


def test_in_fallback_uses_equality():
    assert (2.0 in Proxy([1, 2], ("__iter__",))) is True


def test_in_getitem_fallback_sequence():
    assert (20 in Proxy(Indexed(), ("__getitem__",))) is True


def test_in_getitem_fallback_key_error():
    with pytest.raises(KeyError):
        1 in Proxy({"k": 1}, ("__getitem__",))


def test_in_without_names_denied():
    with pytest.raises(AccessError, match=denied("__contains__")):
        1 in Proxy([1], ("__len__",))


def test_in_uses_contains_first():
    proxy = Proxy(Everything(), ("__contains__", "__iter__"))
    assert ("absent" in proxy) is True


def test_in_fallback_uses_iter_not_getitem():
    proxy = Proxy({"k": "v"}, ("__iter__", "__getitem__"))
    assert ("k" in proxy) is True


def test_in_iter_granted_not_iterable():
    with pytest.raises(TypeError):
        1 in Proxy(5, ("__iter__",))


# --- reversed fallbacks -----------------------------------------------------------------


def test_reversed_by_len_and_getitem():
    proxy = Proxy([1, 2, 3], ("__len__", "__getitem__"))
    assert list(reversed(proxy)) == [3, 2, 1]


def test_reversed_by_len_and_getitem_sequence():
    class Sequence(Indexed):
        def __len__(self):
            return 3

    assert list(reversed(Proxy(Sequence(), ("__len__", "__getitem__")))) == [20, 10, 0]


class Recorded:
    """A sequence of length 3 that records the indexes read from it."""

    def __init__(self, stop=3):
        self.read = []
        self.stop = stop

    def __len__(self):
        return 3

    def __getitem__(self, index):
        self.read.append(index)
        if index >= self.stop:
            raise IndexError(index)
        return index


def test_reversed_fallback_reads_lazily():
    target = Recorded()
    reversed(Proxy(target, ("__len__", "__getitem__")))
    assert target.read == []


@pytest.mark.xfail(strict=True, reason="the reversed() fallback raises IndexError where Python's reverse iterator stops")
def test_reversed_fallback_stops_at_index_error():
    # Python's reverse iterator ends at the first IndexError, so a sequence
    # shorter than its length reverses to nothing.
    target = Recorded(stop=2)
    assert list(reversed(Proxy(target, ("__len__", "__getitem__")))) == list(reversed(Recorded(stop=2)))


def test_reversed_len_only_denied():
    with pytest.raises(AccessError, match=denied("__reversed__")):
        reversed(Proxy([1, 2], ("__len__",)))


def test_reversed_getitem_only_denied():
    with pytest.raises(AccessError, match=denied("__reversed__")):
        reversed(Proxy([1, 2], ("__getitem__",)))


def test_reversed_object_without_method():
    assert list(reversed(Proxy((1, 2, 3), ("__reversed__",)))) == [3, 2, 1]


def test_reversed_dict_keys():
    assert list(reversed(Proxy({"a": 1, "b": 2}, ("__reversed__",)))) == ["b", "a"]


def test_reversed_not_reversible_type_error():
    with pytest.raises(TypeError) as caught:
        reversed(Proxy({1, 2}, ("__reversed__",)))
    assert not isinstance(caught.value, AccessError)


def test_reversed_yielding_self_gives_proxy():
    proxy = Proxy(Node(), ("__reversed__",))
    assert next(reversed(proxy)) is proxy


# --- bool fallbacks --------------------------------------------------------------------


def test_bool_granted_uses_bool():
    assert bool(Proxy(Truth(False, 1), ("__bool__",))) is False


def test_bool_len_only_uses_len():
    assert bool(Proxy(Truth(False, 1), ("__len__",))) is True


def test_bool_len_only_empty():
    assert bool(Proxy(Truth(True, 0), ("__len__",))) is False


def test_bool_neither_is_true():
    assert bool(Proxy(Truth(False, 0), UNRELATED)) is True


@pytest.mark.parametrize("name", ["__true__", "__nonzero__"])
def test_bool_legacy_names(name):
    assert bool(Proxy(Truth(False, 1), (name,))) is False


def test_bool_granted_object_uses_len():
    assert bool(Proxy(Sized(), ("__bool__",))) is False


def test_bool_len_granted_object_unsized():
    assert bool(Proxy(object(), ("__len__",))) is True


def test_bool_error_propagates():
    with pytest.raises(ValueError, match="bool failed"):
        bool(Proxy(FailingBool(), ("__bool__",)))


def test_bool_in_if_statement():
    proxy = Proxy([], ("__len__",))
    assert ("full" if proxy else "empty") == "empty"


def test_bool_in_not_operator():
    assert (not Proxy(0, ("__bool__",))) is True


def test_bool_in_or_operator():
    proxy = Proxy(0, ("__bool__",))
    assert (proxy or "other") == "other"


def test_bool_weak_proxy():
    target = Truth(False, 1)
    assert bool(WeakProxy(target, ("__bool__",))) is False


def test_bool_defunct_weak_lost():
    target = Truth(False, 1)
    proxy = WeakProxy(target, UNRELATED)
    del target
    with pytest.raises(LostReferenceError):
        bool(proxy)


# --- dir -------------------------------------------------------------------------------


def test_dir_granted_names_sorted():
    proxy = Proxy(Record(), ("b", "a", "__dir__"))
    assert dir(proxy) == sorted(PROXY_METHOD_NAMES + ["__dir__", "a", "b"])


def test_dir_follows_dict_interface():
    interface = {"__dir__": True}
    proxy = Proxy(Record(), interface)
    interface["a"] = True
    assert "a" in dir(proxy)


def test_dir_revoked_name_hidden():
    interface = {"__dir__": True, "a": True}
    proxy = Proxy(Record(), interface)
    del interface["a"]
    assert "a" not in dir(proxy)


def test_dir_unrestricted_lists_object():
    assert set(dir(Record())) <= set(dir(Proxy(Record())))


def test_dir_unrestricted_adds_proxy_names():
    assert set(PROXY_METHOD_NAMES) <= set(dir(Proxy(Record())))


def test_dir_uses_object_dir_method():
    proxy = Proxy(Listing(), ("__dir__", "shown", "absent"))
    assert dir(proxy) == sorted(PROXY_METHOD_NAMES + ["shown"])


def test_dir_without_grant_proxy_names():
    assert dir(Proxy(Record(), ("a", "b"))) == PROXY_METHOD_NAMES


def test_dir_weak_proxy():
    target = Record()
    assert "a" in dir(WeakProxy(target, ("__dir__", "a")))


# --- format ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,spec",
    [(3.14159, ".2f"), (42, ">6"), (255, "x"), (1234567, ","), ("text", "^8"), (0.25, "%")],
    ids=["float", "align", "hex", "thousands", "str", "percent"],
)
def test_fstring_spec_forwarded(value, spec):
    proxy = Proxy(value, ("__format__",))
    assert f"{proxy:{spec}}" == f"{value:{spec}}"


def test_fstring_without_spec():
    assert f"{Proxy(12, ('__format__',))}" == "12"


def test_fstring_conversion_str():
    assert f"{Proxy(12, ('__str__',))!s}" == "12"


def test_fstring_conversion_repr_own():
    proxy = Proxy(12, ("__format__",))
    assert f"{proxy!r}".startswith("<Proxy object at 0x")


def test_fstring_denied():
    proxy = Proxy(12, ("__str__",))
    with pytest.raises(AccessError, match=denied("__format__")):
        f"{proxy}"


def test_str_format_method():
    assert "{:08.3f}".format(Proxy(3.14159, ("__format__",))) == "0003.142"


def test_format_date_spec():
    proxy = Proxy(datetime.date(2024, 2, 29), ("__format__",))
    assert format(proxy, "%Y/%m/%d") == "2024/02/29"


def test_format_invalid_spec_value_error():
    with pytest.raises(ValueError):
        format(Proxy(5, ("__format__",)), "q")


# --- bytes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target,expected",
    [
        (bytearray(b"ab"), b"ab"),
        ([97, 98], b"ab"),
        ((97, 98), b"ab"),
        (b"ab", b"ab"),
        (memoryview(b"ab"), b"ab"),
        (iter([97, 98]), b"ab"),
        (Payload(), b"raw"),
    ],
    ids=["bytearray", "list", "tuple", "bytes", "memoryview", "iterator", "dunder-bytes"],
)
def test_bytes_of_any_source(target, expected):
    assert bytes(Proxy(target, ("__bytes__",))) == expected


def test_bytes_result_type_bytes():
    assert type(bytes(Proxy(bytearray(b"ab"), ("__bytes__",)))) is bytes


def test_bytes_of_int_size():
    assert bytes(Proxy(3)) == b"\x00\x00\x00"


def test_bytes_invalid_item_value_error():
    with pytest.raises(ValueError):
        bytes(Proxy([256], ("__bytes__",)))


def test_bytes_denied():
    with pytest.raises(AccessError, match=denied("__bytes__")):
        bytes(Proxy(bytearray(b"ab"), UNRELATED))


# --- os.fspath ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target,expected",
    [("a/b", "a/b"), (b"a/b", b"a/b"), (pathlib.PurePosixPath("/srv/data"), "/srv/data")],
    ids=["str", "bytes", "purepath"],
)
def test_fspath_forwarded(target, expected):
    assert os.fspath(Proxy(target, ("__fspath__",))) == expected


def test_fspath_used_by_path_join():
    proxy = Proxy(pathlib.PurePosixPath("/srv"), ("__fspath__",))
    assert os.path.join(proxy, "data") == os.path.join("/srv", "data")


def test_fspath_used_by_open(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("content")
    with open(Proxy(path, ("__fspath__",))) as stream:
        assert stream.read() == "content"


def test_fspath_used_by_pathlib():
    proxy = Proxy("/srv/data", ("__fspath__",))
    assert pathlib.PurePosixPath(proxy) == pathlib.PurePosixPath("/srv/data")


def test_fspath_invalid_type_error():
    with pytest.raises(TypeError) as caught:
        os.fspath(Proxy(5, ("__fspath__",)))
    assert not isinstance(caught.value, AccessError)


# --- math and round ------------------------------------------------------------------------

MATH_FUNCTIONS = {"trunc": math.trunc, "floor": math.floor, "ceil": math.ceil}
MATH_VALUES = [2.5, -2.5, 7, Fraction(7, 2), Fraction(-7, 2), Decimal("-2.5")]


@pytest.mark.parametrize("value", MATH_VALUES, ids=str)
@pytest.mark.parametrize("name", sorted(MATH_FUNCTIONS))
def test_math_rounding_forwarded(name, value):
    function = MATH_FUNCTIONS[name]
    assert function(Proxy(value, ("__" + name + "__",))) == function(value)


@pytest.mark.parametrize("name", sorted(MATH_FUNCTIONS))
def test_math_rounding_python_class(name):
    assert MATH_FUNCTIONS[name](Proxy(Rounded(), ("__" + name + "__",))) == name


def test_math_sqrt_uses_float():
    assert math.sqrt(Proxy(16, ("__float__",))) == 4.0


def test_math_sqrt_denied():
    with pytest.raises(AccessError, match=denied("__float__")):
        math.sqrt(Proxy(16, UNRELATED))


@pytest.mark.parametrize(
    "value,ndigits",
    [(2.675, 2), (1234, -2), (2.5, None), (3.5, None), (Fraction(7, 3), 1), (Decimal("2.675"), 2), (15, -1)],
    ids=["float", "int-negative", "float-none", "float-half", "fraction", "decimal", "int-tens"],
)
def test_round_with_ndigits(value, ndigits):
    assert round(Proxy(value, ("__round__",)), ndigits) == round(value, ndigits)


@pytest.mark.parametrize("value", [2.5, 3.5, -0.5, Fraction(5, 2), Decimal("2.5")], ids=str)
def test_round_without_ndigits(value):
    assert round(Proxy(value, ("__round__",))) == round(value)


def test_round_result_type_int():
    assert type(round(Proxy(2.5, ("__round__",)))) is int


def test_round_passes_ndigits():
    assert round(Proxy(Rounded(), ("__round__",)), 3) == ("round", 3)


def test_round_denied_with_ndigits():
    with pytest.raises(AccessError, match=denied("__round__")):
        round(Proxy(2.5, UNRELATED), 1)


# --- complex, int and float --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,expected",
    [(2.5, 2.5 + 0j), (3, 3 + 0j), ("1+2j", 1 + 2j), (Payload(), 1 + 2j), (1j, 1j)],
    ids=["float", "int", "str", "dunder-complex", "complex"],
)
def test_complex_forwarded(value, expected):
    assert complex(Proxy(value, ("__complex__",))) == expected


def test_int_falls_back_to_index():
    assert int(Proxy(IndexOnly(5), ("__index__",))) == 5


def test_float_falls_back_to_index():
    assert float(Proxy(IndexOnly(5), ("__index__",))) == 5.0


def test_complex_falls_back_to_float():
    assert complex(Proxy(2.5, ("__float__",))) == 2.5 + 0j


def test_percent_d_uses_index():
    assert "%d" % Proxy(IndexOnly(5), ("__index__",)) == "5"


def test_index_used_as_list_index():
    assert [1, 2, 3][Proxy(2, ("__index__",))] == 3


def test_index_used_in_slice():
    start, stop = Proxy(1, ("__index__",)), Proxy(3, ("__index__",))
    assert [0, 1, 2, 3][start:stop] == [1, 2]


def test_index_used_by_hex():
    assert hex(Proxy(255, ("__index__",))) == "0xff"


def test_index_of_bool_no_warning():
    # operator.index() warns when __index__ returns an int subclass. A bare
    # bool does not warn, and neither should its proxy.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        operator.index(Proxy(True, ("__index__",)))


# --- unsupported operations ---------------------------------------------------------------------


def _with_statement(subject):
    with subject:
        pass


def _async_with_statement(subject):
    async def main():
        async with subject:
            pass

    run(main())


def _async_for_statement(subject):
    async def main():
        async for _ in subject:
            pass

    run(main())


def _await_expression(subject):
    async def main():
        await subject

    run(main())


# (id, operation, wrapped object that does not support it)
UNSUPPORTED = [
    ("len", len, 5),
    ("iter", iter, 5),
    ("next", next, [1]),
    ("getitem", lambda s: s[0], 5),
    ("setitem", lambda s: operator.setitem(s, 0, 1), 5),
    ("setitem-tuple", lambda s: operator.setitem(s, 0, 1), (1,)),
    ("delitem", lambda s: operator.delitem(s, 0), 5),
    ("getitem-missing-key", lambda s: s["missing"], {}),
    ("getitem-out-of-range", lambda s: s[5], [1]),
    ("contains", lambda s: 1 in s, 5),
    ("call", lambda s: s(), 5),
    ("call-arguments", lambda s: s(1, 2, 3), len),
    ("hash", hash, []),
    ("neg", operator.neg, "a"),
    ("invert", operator.invert, 2.5),
    ("int-str", int, "x"),
    ("int-list", int, []),
    ("float-str", float, "x"),
    ("float-list", float, []),
    ("index", operator.index, 2.5),
    ("complex-str", complex, "x"),
    ("complex-list", complex, []),
    ("round", round, "x"),
    ("trunc", math.trunc, "x"),
    ("floor", math.floor, "x"),
    ("ceil", math.ceil, "x"),
    ("reversed", reversed, 5),
    ("format", lambda s: format(s, "q"), 5),
    ("bytes", bytes, object()),
    ("fspath", os.fspath, 5),
    ("await", _await_expression, 5),
    ("async-for", _async_for_statement, 5),
    ("add", lambda s: s + 1, "a"),
    ("radd", lambda s: 1 + s, "a"),
    ("lt", lambda s: s < 5, [1]),
    ("divmod", lambda s: divmod(s, 2), "a"),
    ("len-negative", len, Truth(True, -1)),
]

# Python 3.9 and 3.10 raise AttributeError for a with statement on an
# object without __enter__, later versions TypeError.
UNSUPPORTED_CONTEXT = [
    ("with", _with_statement, 5),
    ("async-with", _async_with_statement, 5),
]


def raised_type(operation, subject):
    """Return the type of the exception operation(subject) raises."""
    try:
        operation(subject)
    except Exception as error:
        return type(error)
    raise AssertionError("the operation did not raise")


@pytest.mark.parametrize("operation,target", [case[1:] for case in UNSUPPORTED], ids=[case[0] for case in UNSUPPORTED])
def test_unsupported_same_exception(operation, target):
    assert raised_type(operation, Proxy(target)) is raised_type(operation, target)


@pytest.mark.parametrize("operation,target", [case[1:] for case in UNSUPPORTED], ids=[case[0] for case in UNSUPPORTED])
def test_unsupported_weak_same_exception(operation, target):
    assert raised_type(operation, WeakProxy(target)) is raised_type(operation, target)


@pytest.mark.parametrize(
    "operation,target", [case[1:] for case in UNSUPPORTED_CONTEXT], ids=[case[0] for case in UNSUPPORTED_CONTEXT]
)
def test_unsupported_context_same_exception(operation, target):
    assert raised_type(operation, Proxy(target)) is raised_type(operation, target)
