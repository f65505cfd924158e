"""Weak proxies used from several threads at once.

Each test runs a script in a new interpreter, so a crash fails the test
instead of ending pytest. In the script, worker threads create,
use and delete weak proxies to shared and private objects of both kinds
(native weak references and the registry) for a fixed time. Other threads
call checkweakrefs(), gc.collect() or the registry reset functions at the
same time. A switch interval of 10 microseconds makes the interpreter
change threads often. The script then prints a JSON summary, and the test
checks that every object was deleted exactly once, that no registry entry
is left and that no thread saw a wrong result.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

# Seconds each script lets its worker threads run.
RUN_SECONDS = 2.0

COMMON = """
import gc
import importlib
import itertools
import json
import random
import sys
import threading
import time

from mx.Proxy import InternalError, LostReferenceError, WeakProxy, checkweakrefs, finalizeweakrefs, initweakrefs

core = importlib.import_module("mx.Proxy.mxProxy.mxProxy")
sys.setswitchinterval(1e-5)
RUN_SECONDS = {run_seconds}
labels = itertools.count()
created = []
deleted = []
problems = []


class Slotted:
    __slots__ = ("label",)

    def __init__(self):
        self.label = next(labels)
        created.append(self.label)

    def __del__(self):
        deleted.append(self.label)


class Native:
    def __init__(self):
        self.label = next(labels)
        created.append(self.label)

    def __del__(self):
        deleted.append(self.label)


class YieldingSlotted(Slotted):
    # Sleeping releases the GIL, so other threads run while the registry
    # is releasing this object.
    __slots__ = ()

    def __del__(self):
        time.sleep(0)
        deleted.append(self.label)


KINDS = [Slotted, Native, YieldingSlotted]


def new_object(rng):
    return rng.choice(KINDS)()


def run_threads(targets):
    deadline = time.monotonic() + RUN_SECONDS
    threads = [threading.Thread(target=target, args=(index, deadline)) for index, target in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def summary(**extra):
    duplicates = len(deleted) - len(set(deleted))
    result = {{
        "created": len(created),
        "deleted": len(set(deleted)),
        "duplicates": duplicates,
        "missing": sorted(set(created) - set(deleted))[:10],
        "entries": core.registry_entries(),
        "problems": problems[:10],
    }}
    result.update(extra)
    print(json.dumps(result))
"""

SHARED_AND_PRIVATE = """
pool = [new_object(random.Random(index)) for index in range(16)]
pool_proxies = [WeakProxy(item) for item in pool]


def worker(index, deadline):
    rng = random.Random(index)
    while time.monotonic() < deadline:
        slot = rng.randrange(len(pool))
        target = pool[slot]
        proxies = [WeakProxy(target) for _ in range(rng.randint(1, 4))]
        for proxy in proxies:
            if proxy.label != target.label:
                problems.append("weak proxy read another object")
        del target
        # Another thread may replace the pooled object at any time, so a
        # proxy to it may be defunct by now.
        try:
            pool_proxies[rng.randrange(len(pool_proxies))].label
        except LostReferenceError:
            pass
        if rng.random() < 0.2:
            replacement = new_object(rng)
            pool[slot] = replacement
            pool_proxies[slot] = WeakProxy(replacement)
            del replacement

        private = new_object(rng)
        private_proxy = WeakProxy(private)
        if private_proxy.label != private.label:
            problems.append("private weak proxy read another object")
        del private
        if not private_proxy.proxy_defunct():
            problems.append("private weak proxy live after deletion")

        rng.shuffle(proxies)
        while proxies:
            del proxies[-1]


def checker(index, deadline):
    rng = random.Random(index)
    while time.monotonic() < deadline:
        if rng.random() < 0.5:
            checkweakrefs()
        else:
            gc.collect(rng.randrange(3))
        time.sleep(0.001)


run_threads([worker] * {workers} + [checker])
if any(proxy.proxy_defunct() for proxy in pool_proxies):
    problems.append("weak proxy to a pooled object defunct")
pool.clear()
pool_proxies.clear()
checkweakrefs()
gc.collect()
summary()
"""

RESETTING = """
pool = [new_object(random.Random(index)) for index in range(16)]


def worker(index, deadline):
    rng = random.Random(index)
    while time.monotonic() < deadline:
        slot = rng.randrange(len(pool))
        try:
            proxies = [WeakProxy(pool[slot]) for _ in range(rng.randint(1, 3))]
        except InternalError:
            continue
        for proxy in proxies:
            try:
                proxy.label
            except LostReferenceError:
                pass
        if rng.random() < 0.3:
            pool[slot] = new_object(rng)
        del proxies


def resetter(index, deadline):
    rng = random.Random(index)
    while time.monotonic() < deadline:
        action = rng.randrange(3)
        if action == 0:
            finalizeweakrefs()
            time.sleep(0.0005)
            initweakrefs()
        elif action == 1:
            initweakrefs()
        else:
            checkweakrefs()
        time.sleep(0.001)


run_threads([worker] * {workers} + [resetter])
initweakrefs()
pool.clear()
checkweakrefs()
gc.collect()
summary()
"""

CHAINED_RELEASES = """
class Link:
    __slots__ = ("label", "next", "proxy")

    def __init__(self, next_link):
        self.label = next(labels)
        created.append(self.label)
        self.next = next_link
        self.proxy = None if next_link is None else WeakProxy(next_link)

    def __del__(self):
        time.sleep(0)
        deleted.append(self.label)


def worker(index, deadline):
    rng = random.Random(index)
    while time.monotonic() < deadline:
        link = None
        proxies = []
        for _ in range(rng.randint(1, 20)):
            link = Link(link)
            proxies.append(WeakProxy(link))
        del link
        if rng.random() < 0.5:
            checkweakrefs()
        for proxy in proxies:
            try:
                proxy.label
            except LostReferenceError:
                pass
        if not all(proxy.proxy_defunct() for proxy in proxies):
            checkweakrefs()
        del proxies


def collector(index, deadline):
    while time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.002)


run_threads([worker] * {workers} + [collector])
checkweakrefs()
gc.collect()
summary()
"""


def run_script(body, workers):
    """Run COMMON plus body with the given number of worker threads."""
    source = textwrap.dedent(COMMON).format(run_seconds=RUN_SECONDS) + body.replace("{workers}", str(workers))
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(path for path in sys.path if path)
    result = subprocess.run(
        [sys.executable, "-c", source],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60 + 10 * RUN_SECONDS,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("workers", [4, 8])
def test_threads_shared_and_private_objects(workers):
    summary = run_script(SHARED_AND_PRIVATE, workers)
    assert summary["problems"] == []
    assert summary["duplicates"] == 0
    assert summary["missing"] == []
    assert summary["deleted"] == summary["created"]
    assert summary["entries"] == 0


@pytest.mark.parametrize("workers", [4, 7])
def test_threads_with_registry_resets(workers):
    summary = run_script(RESETTING, workers)
    assert summary["problems"] == []
    assert summary["duplicates"] == 0
    assert summary["missing"] == []
    assert summary["entries"] == 0


def test_threads_releasing_chains():
    summary = run_script(CHAINED_RELEASES, 6)
    assert summary["problems"] == []
    assert summary["duplicates"] == 0
    assert summary["missing"] == []
    assert summary["entries"] == 0
