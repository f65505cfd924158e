"""Escapes through objects the proxy makes on a restricted proxy's behalf."""
import asyncio
import sys

import pytest

from mx.Proxy import AccessError, Proxy


class Cursor:
    """An iterator class written in Python that keeps its table."""

    def __init__(self, table):
        self.table = table
        self.done = False

    def __iter__(self):
        return self

    def __next__(self):
        if self.done:
            raise StopIteration
        self.done = True
        return 1


class Table:
    def __iter__(self):
        return Cursor(self)

    def __aiter__(self):
        return AsyncCursor(self)


class AsyncCursor:
    def __init__(self, table):
        self.table = table

    def __aiter__(self):
        return self

    async def __anext__(self):
        raise StopAsyncIteration


class Tree:
    async def walk(self):
        yield self

    async def finish(self):
        return self

    def field(self, name):
        return getattr(self.record, name)

    def __init__(self):
        self.record = Record()


class Record:
    pass


def test_python_iterator_class_denied():
    iterator = iter(Proxy(Table(), ("__iter__",)))
    with pytest.raises(AccessError):
        iterator.__class__


def test_builtin_iterator_class_readable():
    iterator = iter(Proxy([1, 2], ("__iter__",)))
    assert iterator.__class__ is type(iter([]))


def test_python_async_iterator_class_denied():
    proxy = Proxy(Table(), ("__aiter__",))
    iterator = type(proxy).__aiter__(proxy)
    with pytest.raises(AccessError):
        iterator.__class__


def test_asend_result_gives_proxy():
    proxy = Proxy(Tree(), ("walk",))
    awaitable = proxy.walk().asend(None)
    with pytest.raises(StopIteration) as caught:
        awaitable.send(None)
    assert caught.value.value is proxy


def test_coroutine_return_value_gives_proxy():
    proxy = Proxy(Tree(), ("finish",))
    coroutine = proxy.finish()
    with pytest.raises(StopIteration) as caught:
        coroutine.send(None)
    assert caught.value.value is proxy


def test_asyncio_runs_proxied_coroutine():
    proxy = Proxy(Tree(), ("finish",))
    assert asyncio.run(proxy.finish()) is proxy


@pytest.mark.skipif(sys.version_info < (3, 10), reason="AttributeError.obj is new in Python 3.10")
def test_inner_attribute_error_obj_cleared():
    proxy = Proxy(Tree(), ("field",))
    with pytest.raises(AttributeError) as caught:
        proxy.field("missing")
    assert caught.value.obj is None
