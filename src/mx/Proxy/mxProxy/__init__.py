"""The compiled part of mx.Proxy, re-exported from mx.Proxy.mxProxy.mxProxy."""
from mx.Proxy.mxProxy.mxProxy import *  # noqa: F401,F403
from mx.Proxy.mxProxy.mxProxy import __version__, mxProxyAPI  # noqa: F401
