//! The raw C API: everything from `pyo3_ffi`, plus the few exported CPython
//! symbols it does not declare, and small inline helpers used everywhere.

pub use pyo3_ffi::*;

use std::ffi::c_int;

extern "C" {
    /// Look `name` up along the MRO of `type_`, without binding; returns a
    /// borrowed reference or NULL, and never sets an exception.
    pub fn _PyType_Lookup(type_: *mut PyTypeObject, name: *mut PyObject) -> *mut PyObject;

    pub static mut PyMethod_Type: PyTypeObject;
    pub static mut PyCFunction_Type: PyTypeObject;

    /// Look `name` up on `object` the way the interpreter does for a
    /// method call: returns 1 and an unbound function or method descriptor
    /// in `method` when calling `method(object, ...)` is equivalent to
    /// calling the attribute, else 0 and the attribute's value; `method` is
    /// NULL with an exception set on failure. Exported by CPython 3.9 to
    /// 3.13, though not part of the documented API.
    pub fn _PyObject_GetMethod(object: *mut PyObject, name: *mut PyObject, method: *mut *mut PyObject) -> c_int;

    pub fn PyOS_FSPath(path: *mut PyObject) -> *mut PyObject;
    pub fn PyFrozenSet_New(iterable: *mut PyObject) -> *mut PyObject;
    pub fn PySet_Add(set: *mut PyObject, key: *mut PyObject) -> c_int;
    pub fn PySet_Contains(set: *mut PyObject, key: *mut PyObject) -> c_int;
}

/// The type of `object`, borrowed.
#[inline(always)]
pub unsafe fn type_of(object: *mut PyObject) -> *mut PyTypeObject {
    // SAFETY: the caller passes a live object, whose header is readable.
    unsafe { (*object).ob_type }
}

/// True for classes defined in Python (heap types), whose special methods
/// are Python code; false for static C types such as `int` and `list`.
#[inline(always)]
pub unsafe fn is_heap_type(type_: *mut PyTypeObject) -> bool {
    // SAFETY: the caller passes a live type object.
    unsafe { (*type_).tp_flags & Py_TPFLAGS_HEAPTYPE != 0 }
}

/// The reference count of `object`, read without changing it.
#[inline(always)]
pub unsafe fn reference_count(object: *mut PyObject) -> Py_ssize_t {
    // SAFETY: the caller passes a live object.
    unsafe { Py_REFCNT(object) }
}

/// `Py_NotImplemented` as a new reference.
#[inline(always)]
pub unsafe fn not_implemented() -> *mut PyObject {
    // SAFETY: Py_NotImplemented is a live singleton.
    unsafe { Py_NewRef(Py_NotImplemented()) }
}

#[inline(always)]
pub unsafe fn is_not_implemented(object: *mut PyObject) -> bool {
    // SAFETY: comparing addresses only.
    unsafe { object == Py_NotImplemented() }
}

/// The head of CPython's weak reference object (3.9 to 3.13): a weak
/// reference's referent is `Py_None` once the object is gone.
#[repr(C)]
pub struct WeakReferenceHead {
    pub ob_base: PyObject,
    pub wr_object: *mut PyObject,
}

/// `Py_NewRef`, which pyo3-ffi declares only from Python 3.10 on.
#[inline(always)]
#[allow(non_snake_case)]
pub unsafe fn Py_NewRef(object: *mut PyObject) -> *mut PyObject {
    // SAFETY: the caller passes a live object.
    unsafe { Py_INCREF(object) };
    object
}
