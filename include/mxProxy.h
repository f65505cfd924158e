#ifndef MXPROXY_H
#define MXPROXY_H
/*
  mxProxy -- access-controlled and weak proxies for Python objects.

  Public C interface of the compiled module mx.Proxy.mxProxy.mxProxy:
  the object layout of its proxy type and a C API that other extensions
  import at run time with mxProxy_ImportModuleAndAPI().
*/

#include "Python.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- object layout --------------------------------------------------- */

/* The fields up to and including isWeak keep the names and order of the
   original mxProxy 3.2.9 header. What each field holds depends on the
   proxy's kind, which the private flags record:

   - strong proxy: object is the wrapped object (a new reference);
     public_getattr, public_setattr and cleanup hold the object's hooks
     bound to it, or NULL.
   - weak proxy to an object with native weak-reference support: object
     is a weakref.ref to it; the hook fields are NULL because weak proxies
     look hooks up on each access.
   - weak proxy to any other object: object is a borrowed pointer to it,
     owned by the weak-reference registry, and NULL once the proxy is
     defunct; next_weak_proxy links the proxies to the same object.

   Read the wrapped object through the C API below, not through these
   fields. */
typedef struct mxProxyObject {
    PyObject_HEAD
    PyObject *object;
    PyObject *interface;      /* NULL, a dict used by reference, or a
                                 frozenset of names built at creation */
    PyObject *passobj;        /* NULL or the pass object */
    PyObject *public_getattr;
    PyObject *public_setattr;
    PyObject *cleanup;
    union {
        /* Weak proxies in the registry: the next proxy to the same
           object, or NULL. */
        struct mxProxyObject *next_weak_proxy;
        /* Strong proxies, private: the bound __public_delattr__ hook
           (MXPROXY_FLAG_HAS_DELATTR), or the proxy this one was made for
           (MXPROXY_FLAG_CALL_ONLY, MXPROXY_FLAG_HAS_ORIGIN): the proxy a
           method was read from, or the container an iterator or a
           generator came from. */
        PyObject *strong_extra;
    };
    int isWeak;               /* 1 for weak proxies, 0 for strong ones */

    /* Private fields, appended after the original layout. */
    unsigned int flags;       /* MXPROXY_FLAG_* bits */
    PyObject *weakreflist;    /* weak references to the proxy itself */
} mxProxyObject;

/* Bits of mxProxyObject.flags. Private: they may change in any release. */
#define MXPROXY_FLAG_WEAK_NATIVE     (1u << 0)
#define MXPROXY_FLAG_WEAK_UNIVERSAL  (1u << 1)
#define MXPROXY_FLAG_CALL_ONLY       (1u << 2)
#define MXPROXY_FLAG_RESTRICTED      (1u << 3)
#define MXPROXY_FLAG_DICT_INTERFACE  (1u << 4)
#define MXPROXY_FLAG_HAS_DELATTR     (1u << 5)
#define MXPROXY_FLAG_CLEANUP_DONE    (1u << 6)
#define MXPROXY_FLAG_DEFUNCT         (1u << 7)
#define MXPROXY_FLAG_UNBOUND_METHOD  (1u << 8)
#define MXPROXY_FLAG_HAS_ORIGIN      (1u << 9)
/* Weak proxies keep the registry generation they were made in above this
   shift; finalizeweakrefs() and initweakrefs() start a new generation,
   which makes every older weak proxy defunct. */
#define MXPROXY_GENERATION_SHIFT     16

/* --- C API ----------------------------------------------------------- */

#define MXPROXY_MODULE "mx.Proxy.mxProxy.mxProxy"
#define MXPROXY_API_CAPSULE_NAME "mx.Proxy.mxProxy.mxProxyAPI"

/* Every function returns a new reference, or NULL (-1 for the integer
   results) with a Python exception set. object, interface and passobj
   have the meaning of the Python constructors' arguments; NULL for
   interface or passobj means "not given". */
typedef struct {
    PyTypeObject *Proxy_Type;

    /* 1 if obj is a proxy of either kind, else 0. Never fails. */
    int (*Proxy_Check)(PyObject *obj);

    PyObject *(*Proxy_New)(PyObject *object, PyObject *interface,
                           PyObject *passobj);
    PyObject *(*Proxy_WeakNew)(PyObject *object, PyObject *interface,
                               PyObject *passobj);

    /* The wrapped object, if passobj is the proxy's pass object. */
    PyObject *(*Proxy_GetObject)(PyObject *proxy, PyObject *passobj);
} mxProxyModule_APIObject;

#ifndef MXPROXY_NO_API_IMPORT

#if defined(__GNUC__) || defined(__clang__)
#define MXPROXY_MAYBE_UNUSED __attribute__((unused))
#else
#define MXPROXY_MAYBE_UNUSED
#endif

/* Filled in by mxProxy_ImportModuleAndAPI(). Each translation unit that
   includes this header gets its own copy. */
static mxProxyModule_APIObject *mxProxy MXPROXY_MAYBE_UNUSED = NULL;

#define mxProxy_Check(obj) (mxProxy->Proxy_Check(obj))

/* Import mx.Proxy.mxProxy.mxProxy and its C API. Return 0 on success and
   -1 with an exception set (ImportError when the module is missing). */
static inline int
mxProxy_ImportModuleAndAPI(void)
{
    PyObject *module;

    if (mxProxy != NULL)
        return 0;
    /* PyCapsule_Import imports only the top-level package and then walks
       attributes, so import the module first. */
    module = PyImport_ImportModule(MXPROXY_MODULE);
    if (module == NULL)
        return -1;
    Py_DECREF(module);
    mxProxy = (mxProxyModule_APIObject *)PyCapsule_Import(
        MXPROXY_API_CAPSULE_NAME, 0);
    return mxProxy != NULL ? 0 : -1;
}

#endif /* MXPROXY_NO_API_IMPORT */

#ifdef __cplusplus
}
#endif
#endif /* MXPROXY_H */
