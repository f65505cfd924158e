//! The C API exported to other extensions as the capsule
//! `mx.Proxy.mxProxy.mxProxyAPI`; its layout is `mxProxyModule_APIObject`
//! in include/mxProxy.h.

use std::ffi::c_int;

use crate::ffi::{self, PyObject, PyTypeObject};
use crate::owned::into_result;
use crate::proxy::{self, Arguments};
use crate::proxy_type::{self, proxy_type};
use crate::state::GilCell;
use crate::weak;

#[repr(C)]
pub struct ApiObject {
    pub proxy_type: *mut PyTypeObject,
    pub proxy_check: unsafe extern "C" fn(*mut PyObject) -> c_int,
    pub proxy_new: unsafe extern "C" fn(*mut PyObject, *mut PyObject, *mut PyObject) -> *mut PyObject,
    pub proxy_weak_new: unsafe extern "C" fn(*mut PyObject, *mut PyObject, *mut PyObject) -> *mut PyObject,
    pub proxy_get_object: unsafe extern "C" fn(*mut PyObject, *mut PyObject) -> *mut PyObject,
}

pub const CAPSULE_NAME: &std::ffi::CStr = c"mx.Proxy.mxProxy.mxProxyAPI";

pub static API: GilCell<ApiObject> = GilCell::new(ApiObject {
    proxy_type: std::ptr::null_mut(),
    proxy_check,
    proxy_new,
    proxy_weak_new,
    proxy_get_object,
});

unsafe extern "C" fn proxy_check(object: *mut PyObject) -> c_int {
    // SAFETY: C callers pass a live object, as the header documents.
    c_int::from(unsafe { !object.is_null() && proxy::as_proxy(object).is_some() })
}

unsafe fn null_argument() -> *mut PyObject {
    // SAFETY: raising a built-in exception.
    unsafe { ffi::PyErr_SetString(ffi::PyExc_TypeError, c"object must not be NULL".as_ptr()) };
    std::ptr::null_mut()
}

unsafe extern "C" fn proxy_new(object: *mut PyObject, interface: *mut PyObject, passobj: *mut PyObject) -> *mut PyObject {
    if object.is_null() {
        // SAFETY: see null_argument.
        return unsafe { null_argument() };
    }
    let arguments = Arguments { object, interface, passobj };
    // SAFETY: C callers pass live objects or NULL for the optional ones.
    into_result(unsafe { proxy::create_strong(&arguments) })
}

unsafe extern "C" fn proxy_weak_new(object: *mut PyObject, interface: *mut PyObject, passobj: *mut PyObject) -> *mut PyObject {
    if object.is_null() {
        // SAFETY: see null_argument.
        return unsafe { null_argument() };
    }
    let arguments = Arguments { object, interface, passobj };
    // SAFETY: C callers pass live objects or NULL for the optional ones.
    into_result(unsafe { weak::create_weak(&arguments) })
}

unsafe extern "C" fn proxy_get_object(object: *mut PyObject, passobj: *mut PyObject) -> *mut PyObject {
    // SAFETY: C callers pass live objects.
    unsafe {
        let Some(proxy) = (!object.is_null()).then(|| proxy::as_proxy(object)).flatten() else {
            ffi::PyErr_SetString(ffi::PyExc_TypeError, c"expected a Proxy object".as_ptr());
            return std::ptr::null_mut();
        };
        into_result(proxy_type::wrapped_object(proxy, passobj))
    }
}

/// The capsule holding the API table, created at module init.
pub unsafe fn new_capsule() -> *mut PyObject {
    // SAFETY: the table is a static that lives as long as the process.
    unsafe {
        (*API.as_ptr()).proxy_type = proxy_type();
        ffi::PyCapsule_New(API.as_ptr().cast(), CAPSULE_NAME.as_ptr(), None)
    }
}
