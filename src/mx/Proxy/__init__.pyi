"""Type stubs for mx.Proxy, which re-exports the names of mx.Proxy.Proxy."""
from mx.Proxy.Proxy import *
from mx.Proxy.Proxy import __version__ as __version__
