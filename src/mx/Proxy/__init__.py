"""mx.Proxy: access-controlled proxies, universal weak references and a
cleanup protocol for Python objects.

``Proxy(object, interface=None, passobj=None)`` hides ``object`` and lets
callers use only the attribute names and operations listed in
``interface``; ``WeakProxy`` does the same without keeping the object
alive, also for objects without native weak-reference support.
"""
from mx.Proxy.Proxy import *  # noqa: F401,F403
from mx.Proxy.Proxy import __version__  # noqa: F401
