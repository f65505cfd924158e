/*
  Sizes and field offsets of the types declared in include/mxProxy.h, as
  the C compiler lays them out. The Rust side compares them with its own
  definitions when the module is imported, so a header and a binary that
  disagree cannot be loaded.
*/
#include <stddef.h>

#define MXPROXY_NO_API_IMPORT
#include "mxProxy.h"

const size_t mxProxy_HeaderLayout[] = {
    sizeof(mxProxyObject),
    offsetof(mxProxyObject, object),
    offsetof(mxProxyObject, interface),
    offsetof(mxProxyObject, passobj),
    offsetof(mxProxyObject, public_getattr),
    offsetof(mxProxyObject, public_setattr),
    offsetof(mxProxyObject, cleanup),
    offsetof(mxProxyObject, next_weak_proxy),
    offsetof(mxProxyObject, strong_extra),
    offsetof(mxProxyObject, isWeak),
    offsetof(mxProxyObject, flags),
    offsetof(mxProxyObject, weakreflist),
    sizeof(mxProxyModule_APIObject),
    offsetof(mxProxyModule_APIObject, Proxy_Type),
    offsetof(mxProxyModule_APIObject, Proxy_Check),
    offsetof(mxProxyModule_APIObject, Proxy_New),
    offsetof(mxProxyModule_APIObject, Proxy_WeakNew),
    offsetof(mxProxyModule_APIObject, Proxy_GetObject),
    MXPROXY_FLAG_WEAK_NATIVE,
    MXPROXY_FLAG_WEAK_UNIVERSAL,
    MXPROXY_FLAG_CALL_ONLY,
    MXPROXY_FLAG_RESTRICTED,
    MXPROXY_FLAG_DICT_INTERFACE,
    MXPROXY_FLAG_HAS_DELATTR,
    MXPROXY_FLAG_CLEANUP_DONE,
    MXPROXY_FLAG_DEFUNCT,
    MXPROXY_FLAG_UNBOUND_METHOD,
    MXPROXY_FLAG_HAS_ORIGIN,
    MXPROXY_GENERATION_SHIFT,
};

const size_t mxProxy_HeaderLayoutLength =
    sizeof(mxProxy_HeaderLayout) / sizeof(mxProxy_HeaderLayout[0]);
