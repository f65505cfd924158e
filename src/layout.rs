//! The proxy object's memory layout, bound to `include/mxProxy.h`.
//!
//! `MxProxyObject` mirrors the header's `mxProxyObject` field for field.
//! Two checks keep them together: `check_header_layout` compares the
//! offsets the C compiler computed for the header (src/c/header_layout.c)
//! with Rust's at import time, and the `bindgen` feature compares the
//! bindings generated from the header with this file at compile time.

use std::ffi::{c_int, c_uint};
use std::mem::{offset_of, size_of};

use crate::capi::ApiObject;
use crate::ffi::{self, PyObject};
use crate::owned::{Fallible, PyErrSet};

/// The `next_weak_proxy` union of the header: weak proxies link their
/// registry chain through it, strong proxies keep a private reference.
#[repr(C)]
pub union Link {
    pub next_weak_proxy: *mut MxProxyObject,
    pub strong_extra: *mut PyObject,
}

#[repr(C)]
pub struct MxProxyObject {
    pub ob_base: PyObject,
    pub object: *mut PyObject,
    pub interface: *mut PyObject,
    pub passobj: *mut PyObject,
    pub public_getattr: *mut PyObject,
    pub public_setattr: *mut PyObject,
    pub cleanup: *mut PyObject,
    pub link: Link,
    pub is_weak: c_int,
    pub flags: c_uint,
    pub weakreflist: *mut PyObject,
}

pub const FLAG_WEAK_NATIVE: c_uint = 1 << 0;
pub const FLAG_WEAK_UNIVERSAL: c_uint = 1 << 1;
pub const FLAG_CALL_ONLY: c_uint = 1 << 2;
pub const FLAG_RESTRICTED: c_uint = 1 << 3;
pub const FLAG_DICT_INTERFACE: c_uint = 1 << 4;
pub const FLAG_HAS_DELATTR: c_uint = 1 << 5;
pub const FLAG_CLEANUP_DONE: c_uint = 1 << 6;
pub const FLAG_DEFUNCT: c_uint = 1 << 7;
pub const FLAG_UNBOUND_METHOD: c_uint = 1 << 8;
pub const FLAG_HAS_ORIGIN: c_uint = 1 << 9;
pub const GENERATION_SHIFT: c_uint = 16;

pub const FLAG_WEAK: c_uint = FLAG_WEAK_NATIVE | FLAG_WEAK_UNIVERSAL;

extern "C" {
    static mxProxy_HeaderLayout: [usize; 29];
    static mxProxy_HeaderLayoutLength: usize;
}

/// The same table as src/c/header_layout.c, computed from the Rust types.
fn rust_layout() -> [usize; 29] {
    [
        size_of::<MxProxyObject>(),
        offset_of!(MxProxyObject, object),
        offset_of!(MxProxyObject, interface),
        offset_of!(MxProxyObject, passobj),
        offset_of!(MxProxyObject, public_getattr),
        offset_of!(MxProxyObject, public_setattr),
        offset_of!(MxProxyObject, cleanup),
        offset_of!(MxProxyObject, link),
        offset_of!(MxProxyObject, link),
        offset_of!(MxProxyObject, is_weak),
        offset_of!(MxProxyObject, flags),
        offset_of!(MxProxyObject, weakreflist),
        size_of::<ApiObject>(),
        offset_of!(ApiObject, proxy_type),
        offset_of!(ApiObject, proxy_check),
        offset_of!(ApiObject, proxy_new),
        offset_of!(ApiObject, proxy_weak_new),
        offset_of!(ApiObject, proxy_get_object),
        FLAG_WEAK_NATIVE as usize,
        FLAG_WEAK_UNIVERSAL as usize,
        FLAG_CALL_ONLY as usize,
        FLAG_RESTRICTED as usize,
        FLAG_DICT_INTERFACE as usize,
        FLAG_HAS_DELATTR as usize,
        FLAG_CLEANUP_DONE as usize,
        FLAG_DEFUNCT as usize,
        FLAG_UNBOUND_METHOD as usize,
        FLAG_HAS_ORIGIN as usize,
        GENERATION_SHIFT as usize,
    ]
}

const FIELD_NAMES: [&str; 29] = [
    "sizeof(mxProxyObject)",
    "object",
    "interface",
    "passobj",
    "public_getattr",
    "public_setattr",
    "cleanup",
    "next_weak_proxy",
    "strong_extra",
    "isWeak",
    "flags",
    "weakreflist",
    "sizeof(mxProxyModule_APIObject)",
    "Proxy_Type",
    "Proxy_Check",
    "Proxy_New",
    "Proxy_WeakNew",
    "Proxy_GetObject",
    "MXPROXY_FLAG_WEAK_NATIVE",
    "MXPROXY_FLAG_WEAK_UNIVERSAL",
    "MXPROXY_FLAG_CALL_ONLY",
    "MXPROXY_FLAG_RESTRICTED",
    "MXPROXY_FLAG_DICT_INTERFACE",
    "MXPROXY_FLAG_HAS_DELATTR",
    "MXPROXY_FLAG_CLEANUP_DONE",
    "MXPROXY_FLAG_DEFUNCT",
    "MXPROXY_FLAG_UNBOUND_METHOD",
    "MXPROXY_FLAG_HAS_ORIGIN",
    "MXPROXY_GENERATION_SHIFT",
];

/// The header's table as the C compiler laid it out.
fn header_layout() -> &'static [usize] {
    // SAFETY: both statics are defined in src/c/header_layout.c, linked into
    // this library, and never written.
    unsafe {
        let length = mxProxy_HeaderLayoutLength.min(mxProxy_HeaderLayout.len());
        &mxProxy_HeaderLayout[..length]
    }
}

/// Raise ImportError unless the header and the Rust types agree.
pub unsafe fn check_header_layout() -> Fallible<()> {
    let header = header_layout();
    let rust = rust_layout();
    if header.len() != rust.len() {
        let message = format!(
            "include/mxProxy.h lists {} layout entries but the extension expects {}; rebuild the extension\0",
            header.len(),
            rust.len()
        );
        // SAFETY: the message is NUL-terminated.
        unsafe { ffi::PyErr_SetString(ffi::PyExc_ImportError, message.as_ptr().cast()) };
        return Err(PyErrSet);
    }
    for ((field, from_header), from_rust) in FIELD_NAMES.iter().zip(header).zip(rust) {
        if *from_header != from_rust {
            let message = format!(
                "include/mxProxy.h and the extension disagree on {field}: {from_header} in the header, {from_rust} in Rust\0"
            );
            // SAFETY: the message is NUL-terminated.
            unsafe { ffi::PyErr_SetString(ffi::PyExc_ImportError, message.as_ptr().cast()) };
            return Err(PyErrSet);
        }
    }
    Ok(())
}

/// Both tables, for the test suite: `(header, rust)` as two tuples.
pub unsafe fn layout_tables() -> *mut PyObject {
    unsafe fn to_tuple(values: &[usize]) -> *mut PyObject {
        // SAFETY: building a tuple of new ints; failures return NULL.
        unsafe {
            let tuple = ffi::PyTuple_New(values.len() as ffi::Py_ssize_t);
            if tuple.is_null() {
                return tuple;
            }
            for (index, value) in values.iter().enumerate() {
                let item = ffi::PyLong_FromSize_t(*value);
                if item.is_null() {
                    ffi::Py_DECREF(tuple);
                    return std::ptr::null_mut();
                }
                ffi::PyTuple_SET_ITEM(tuple, index as ffi::Py_ssize_t, item);
            }
            tuple
        }
    }
    // SAFETY: see to_tuple.
    unsafe {
        let header = to_tuple(header_layout());
        let rust = to_tuple(&rust_layout());
        if header.is_null() || rust.is_null() {
            ffi::Py_XDECREF(header);
            ffi::Py_XDECREF(rust);
            return std::ptr::null_mut();
        }
        let pair = ffi::PyTuple_Pack(2, header, rust);
        ffi::Py_DECREF(header);
        ffi::Py_DECREF(rust);
        pair
    }
}

#[cfg(feature = "bindgen")]
mod generated {
    #![allow(non_camel_case_types, non_snake_case, non_upper_case_globals, dead_code)]
    include!(concat!(env!("OUT_DIR"), "/header_bindings.rs"));
}

#[cfg(feature = "bindgen")]
const _: () = {
    use generated::{mxProxyModule_APIObject as CApi, mxProxyObject as CProxy};
    assert!(size_of::<CProxy>() == size_of::<MxProxyObject>());
    assert!(offset_of!(CProxy, object) == offset_of!(MxProxyObject, object));
    assert!(offset_of!(CProxy, interface) == offset_of!(MxProxyObject, interface));
    assert!(offset_of!(CProxy, passobj) == offset_of!(MxProxyObject, passobj));
    assert!(offset_of!(CProxy, public_getattr) == offset_of!(MxProxyObject, public_getattr));
    assert!(offset_of!(CProxy, public_setattr) == offset_of!(MxProxyObject, public_setattr));
    assert!(offset_of!(CProxy, cleanup) == offset_of!(MxProxyObject, cleanup));
    assert!(offset_of!(CProxy, __bindgen_anon_1) == offset_of!(MxProxyObject, link));
    assert!(offset_of!(CProxy, isWeak) == offset_of!(MxProxyObject, is_weak));
    assert!(offset_of!(CProxy, flags) == offset_of!(MxProxyObject, flags));
    assert!(offset_of!(CProxy, weakreflist) == offset_of!(MxProxyObject, weakreflist));
    assert!(size_of::<CApi>() == size_of::<ApiObject>());
    assert!(offset_of!(CApi, Proxy_Type) == offset_of!(ApiObject, proxy_type));
    assert!(offset_of!(CApi, Proxy_Check) == offset_of!(ApiObject, proxy_check));
    assert!(offset_of!(CApi, Proxy_New) == offset_of!(ApiObject, proxy_new));
    assert!(offset_of!(CApi, Proxy_WeakNew) == offset_of!(ApiObject, proxy_weak_new));
    assert!(offset_of!(CApi, Proxy_GetObject) == offset_of!(ApiObject, proxy_get_object));
    assert!(generated::MXPROXY_FLAG_WEAK_NATIVE == FLAG_WEAK_NATIVE);
    assert!(generated::MXPROXY_FLAG_WEAK_UNIVERSAL == FLAG_WEAK_UNIVERSAL);
    assert!(generated::MXPROXY_FLAG_CALL_ONLY == FLAG_CALL_ONLY);
    assert!(generated::MXPROXY_FLAG_RESTRICTED == FLAG_RESTRICTED);
    assert!(generated::MXPROXY_FLAG_DICT_INTERFACE == FLAG_DICT_INTERFACE);
    assert!(generated::MXPROXY_FLAG_HAS_DELATTR == FLAG_HAS_DELATTR);
    assert!(generated::MXPROXY_FLAG_CLEANUP_DONE == FLAG_CLEANUP_DONE);
    assert!(generated::MXPROXY_FLAG_DEFUNCT == FLAG_DEFUNCT);
    assert!(generated::MXPROXY_FLAG_UNBOUND_METHOD == FLAG_UNBOUND_METHOD);
    assert!(generated::MXPROXY_FLAG_HAS_ORIGIN == FLAG_HAS_ORIGIN);
    assert!(generated::MXPROXY_GENERATION_SHIFT == GENERATION_SHIFT);
};
