//! What a proxy hands out. Results that would give the wrapped object away
//! are replaced: the object itself by the proxy, bound methods by call-only
//! proxies, and, for restricted proxies, generators, coroutines and
//! iterators by restricted proxies that hide their frames and their
//! underlying objects. Failed operations of restricted proxies lose the
//! tracebacks that reveal the object's frames.

use crate::errors;
use crate::ffi::{self, PyObject};
use crate::layout::*;
use crate::owned::{Fallible, Owned, PyErrSet};
use crate::proxy::{self, allocate, is_method_like, is_restricted};
use crate::state::shared;

/// The proxy a derived proxy was made for: the proxy a method was read
/// from, or the container an iterator or generator came from; otherwise
/// the proxy itself.
#[inline(always)]
pub unsafe fn origin_of(proxy: *mut MxProxyObject) -> *mut MxProxyObject {
    // SAFETY: proxy is live; with these flags strong_extra is its origin.
    unsafe {
        if (*proxy).flags & (FLAG_CALL_ONLY | FLAG_HAS_ORIGIN) != 0 && !(*proxy).link.strong_extra.is_null() {
            (*proxy).link.strong_extra.cast()
        } else {
            proxy
        }
    }
}

/// Replace what must not leave `proxy`. `wrapped` is the object the
/// operation went to, and `result` what it returned: the wrapped object
/// comes back as the proxy (and the origin's object as the origin), bound
/// methods as call-only proxies, and for restricted proxies generators and
/// coroutines as restricted proxies.
#[inline(always)]
pub unsafe fn wrap_result(proxy: *mut MxProxyObject, wrapped: *mut PyObject, result: Owned) -> Fallible<Owned> {
    // SAFETY: proxy, wrapped and result are live.
    unsafe {
        if result.as_ptr() == wrapped {
            return Ok(Owned::from_borrowed(proxy.cast()));
        }
        if let Some(owner) = origin_holding(proxy, result.as_ptr()) {
            return Ok(Owned::from_borrowed(owner.cast()));
        }
        let owner = origin_of(proxy);
        if is_method_like(result.as_ptr()) {
            return new_call_only(result, owner);
        }
        if is_restricted(proxy) {
            return hide_frames(result, owner);
        }
        Ok(result)
    }
}

/// The proxy, up the chain of origins of `proxy` (a method read from an
/// iterator read from a container...), whose wrapped object is `candidate`.
pub unsafe fn origin_holding(proxy: *mut MxProxyObject, candidate: *mut PyObject) -> Option<*mut MxProxyObject> {
    // SAFETY: every origin is a live proxy, kept alive by the one below it;
    // chains are short, and the walk is bounded anyway.
    unsafe {
        let mut current = proxy;
        for _ in 0..64 {
            let origin = origin_of(current);
            if origin == current {
                return None;
            }
            if is_object_of(origin, candidate) {
                return Some(origin);
            }
            current = origin;
        }
        None
    }
}

/// True if `candidate` is the object `proxy` wraps; false for a defunct
/// weak proxy.
unsafe fn is_object_of(proxy: *mut MxProxyObject, candidate: *mut PyObject) -> bool {
    // SAFETY: proxy is live; resolving it takes and drops a reference.
    unsafe {
        if (*proxy).flags & FLAG_WEAK == 0 {
            return (*proxy).object == candidate;
        }
        match proxy::resolve(proxy) {
            Ok(object) => object.as_ptr() == candidate,
            Err(PyErrSet) => {
                ffi::PyErr_Clear();
                false
            }
        }
    }
}

/// Wrap a bound method in a proxy that only allows calling it, so its
/// `__self__`, `__func__` and `__globals__` stay hidden.
pub unsafe fn new_call_only(method: Owned, origin: *mut MxProxyObject) -> Fallible<Owned> {
    // SAFETY: origin is live; the new proxy's fields are set before it is
    // returned.
    unsafe {
        let proxy = allocate()?;
        let result = Owned::from_new(proxy.cast())?;
        (*proxy).object = method.into_raw();
        (*proxy).interface = ffi::Py_NewRef(shared().call_only_interface);
        (*proxy).flags = FLAG_CALL_ONLY | ((*origin).flags & FLAG_RESTRICTED);
        (*proxy).link.strong_extra = ffi::Py_NewRef(origin.cast());
        Ok(result)
    }
}

/// A call-only proxy for a method found unbound on the object's type: it
/// holds the function (or method descriptor) and the proxy it was read
/// from, and passes that proxy's object as the first argument when called.
/// This is what `p.method` returns for strong proxies, and it saves
/// creating a bound method on every `p.method()`.
pub unsafe fn new_unbound_method(function: Owned, origin: *mut MxProxyObject) -> Fallible<Owned> {
    // SAFETY: origin is live; the fields are set before the proxy is
    // returned.
    unsafe {
        let proxy = allocate()?;
        let result = Owned::from_new(proxy.cast())?;
        (*proxy).object = function.into_raw();
        (*proxy).interface = ffi::Py_NewRef(shared().call_only_interface);
        (*proxy).flags = FLAG_CALL_ONLY | FLAG_UNBOUND_METHOD | ((*origin).flags & FLAG_RESTRICTED);
        (*proxy).link.strong_extra = ffi::Py_NewRef(origin.cast());
        Ok(result)
    }
}

/// The bound method an unbound-method proxy stands for, for attribute
/// reads such as `m.__call__`.
pub unsafe fn bound_target(proxy: *mut MxProxyObject) -> Fallible<Owned> {
    // SAFETY: proxy is a live unbound-method proxy; its object is the
    // function and its origin a live proxy.
    unsafe {
        let function = (*proxy).object;
        let object = proxy::resolve((*proxy).link.strong_extra.cast())?;
        let type_ = ffi::type_of(function);
        match (*type_).tp_descr_get {
            Some(get) => Owned::from_new(get(function, object.as_ptr(), ffi::type_of(object.as_ptr()).cast())),
            None => Ok(Owned::from_borrowed(function)),
        }
    }
}

/// Call an unbound-method proxy: the function with the origin's object
/// prepended to the arguments.
pub unsafe fn call_unbound_method(proxy: *mut MxProxyObject, args: *mut PyObject, kwargs: *mut PyObject) -> Fallible<Owned> {
    // SAFETY: proxy is a live unbound-method proxy, args a tuple and kwargs
    // NULL or a dict, as tp_call receives them.
    unsafe {
        let origin = (*proxy).link.strong_extra.cast::<MxProxyObject>();
        let object = proxy::resolve(origin)?;
        let function = Owned::from_borrowed((*proxy).object);
        let count = ffi::PyTuple_GET_SIZE(args) as usize;
        let mut inline: [*mut PyObject; 8] = [std::ptr::null_mut(); 8];
        let mut heap: Vec<*mut PyObject> = Vec::new();
        let stack: &mut [*mut PyObject] = if count < inline.len() {
            &mut inline[..count + 1]
        } else {
            heap.resize(count + 1, std::ptr::null_mut());
            &mut heap[..]
        };
        stack[0] = object.as_ptr();
        for index in 0..count {
            stack[index + 1] = ffi::PyTuple_GET_ITEM(args, index as ffi::Py_ssize_t);
        }
        let result = if kwargs.is_null() {
            ffi::PyObject_Vectorcall(function.as_ptr(), stack.as_ptr(), count + 1, std::ptr::null_mut())
        } else {
            ffi::PyObject_VectorcallDict(function.as_ptr(), stack.as_ptr(), count + 1, kwargs)
        };
        match Owned::from_new(result) {
            Ok(result) => wrap_result(origin, object.as_ptr(), result),
            Err(PyErrSet) => Err(failed(proxy, object.as_ptr())),
        }
    }
}

/// Replace generators, coroutines and async generators by restricted
/// proxies without `gi_frame`/`cr_frame`/`ag_frame`.
#[inline(always)]
pub unsafe fn hide_frames(result: Owned, origin: *mut MxProxyObject) -> Fallible<Owned> {
    // SAFETY: result is live; the checks compare types.
    unsafe {
        let object = result.as_ptr();
        let shared = shared();
        let type_ = ffi::type_of(object);
        let table = if type_ == &raw mut ffi::PyGen_Type {
            shared.generator_interface
        } else if type_ == &raw mut ffi::PyCoro_Type
            || type_ == shared.coroutine_wrapper_type
            || type_ == shared.async_generator_asend_type
            || type_ == shared.async_generator_athrow_type
        {
            shared.coroutine_interface
        } else if type_ == &raw mut ffi::PyAsyncGen_Type {
            shared.async_generator_interface
        } else {
            return Ok(result);
        };
        proxy::new_restricted_wrapper(result, table, origin)
    }
}

/// Wrap an awaitable so that awaiting it gives `proxy` where its result is
/// the wrapped object, as for `__aenter__` returning `self`. The wrapper is
/// a coroutine whose frame would reveal the object, so it is itself hidden
/// behind a restricted proxy.
pub unsafe fn await_through_proxy(proxy: *mut MxProxyObject, wrapped: *mut PyObject, awaitable: Owned) -> Fallible<Owned> {
    // SAFETY: all three are live.
    unsafe {
        let coroutine = awaiting_coroutine(proxy, wrapped, awaitable)?;
        proxy::new_restricted_wrapper(coroutine, shared().coroutine_interface, proxy)
    }
}

/// The iterator `await p` drives: the `__await__` iterator of a coroutine
/// that awaits the wrapped object and hands back the proxy where the
/// result is the object itself, hidden behind a restricted proxy.
///
/// NOTE: values the awaitable yields to the event loop pass unchanged (an
/// asyncio future yields itself, and the loop needs the real future), so
/// code that drives `await p` by hand with `send()` sees them.
pub unsafe fn await_iterator(proxy: *mut MxProxyObject, wrapped: *mut PyObject) -> Fallible<Owned> {
    // SAFETY: proxy and wrapped are live.
    unsafe {
        let coroutine = awaiting_coroutine(proxy, wrapped, Owned::from_borrowed(wrapped))?;
        let iterator = Owned::from_new(crate::operators::call_special(coroutine.as_ptr(), crate::names::Name::Await, &[]))?;
        proxy::new_restricted_wrapper(iterator, shared().coroutine_interface, std::ptr::null_mut())
    }
}

unsafe fn awaiting_coroutine(proxy: *mut MxProxyObject, wrapped: *mut PyObject, awaitable: Owned) -> Fallible<Owned> {
    // SAFETY: all three are live; the coroutine function is a module
    // constant. The origin's object is held while the coroutine runs.
    unsafe {
        let origin = origin_of(proxy);
        let origin_object = if origin == proxy {
            Owned::from_borrowed(wrapped)
        } else {
            proxy::resolve(origin)?.into_owned()
        };
        let arguments = [awaitable.as_ptr(), wrapped, proxy.cast(), origin_object.as_ptr(), origin.cast()];
        Owned::from_new(ffi::PyObject_Vectorcall(
            shared().awaited_through_proxy,
            arguments.as_ptr(),
            arguments.len(),
            std::ptr::null_mut(),
        ))
    }
}

/// The iterator `iter()` returns for a restricted proxy: a restricted
/// proxy that allows iterating only, so `__reduce__` and similar methods
/// of the underlying iterator cannot reveal the container.
pub unsafe fn hide_iterator(proxy: *mut MxProxyObject, wrapped: *mut PyObject, iterator: Owned) -> Fallible<Owned> {
    // SAFETY: all three are live.
    unsafe {
        if iterator.as_ptr() == wrapped {
            return Ok(Owned::from_borrowed(proxy.cast()));
        }
        if !is_restricted(proxy) {
            return Ok(iterator);
        }
        if ffi::PyGen_Check(iterator.as_ptr()) != 0 {
            return proxy::new_restricted_wrapper(iterator, shared().generator_interface, proxy);
        }
        proxy::new_restricted_wrapper(iterator, shared().iterator_interface, proxy)
    }
}

/// The async iterator `aiter(p)` returns: the proxy where it is the
/// object itself, else, for a restricted proxy, a restricted proxy that
/// allows async iteration only.
pub unsafe fn hide_async_iterator(proxy: *mut MxProxyObject, wrapped: *mut PyObject, iterator: Owned) -> Fallible<Owned> {
    // SAFETY: all three are live.
    unsafe {
        if iterator.as_ptr() == wrapped {
            return Ok(Owned::from_borrowed(proxy.cast()));
        }
        if !is_restricted(proxy) {
            return Ok(iterator);
        }
        proxy::new_restricted_wrapper(iterator, shared().async_generator_interface, proxy)
    }
}

/// A computed result (of an operator or a conversion) of a restricted
/// proxy: returned as it is, except that generators and coroutines lose
/// their frames.
#[inline(always)]
pub unsafe fn hide_computed(proxy: *mut MxProxyObject, result: Owned) -> Fallible<Owned> {
    // SAFETY: proxy and result are live.
    unsafe {
        if is_restricted(proxy) {
            hide_frames(result, origin_of(proxy))
        } else {
            Ok(result)
        }
    }
}

/// Clean the exception of a failed operation on `proxy` (see
/// `errors::clean_pending_exception`) when the proxy is restricted, and
/// return the marker for the error.
#[inline(always)]
pub unsafe fn failed(proxy: *mut MxProxyObject, wrapped: *mut PyObject) -> PyErrSet {
    // SAFETY: an exception is set; proxy and wrapped are live.
    unsafe {
        errors::clean_pending_exception(proxy.cast(), wrapped, is_restricted(proxy));
    }
    PyErrSet
}
