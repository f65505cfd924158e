//! An owned (strong) reference that releases itself when dropped.

use std::ptr::NonNull;

use crate::ffi::{self, PyObject};

/// Marks a failed C-API call: a Python exception is set.
#[derive(Debug)]
pub struct PyErrSet;

pub type Fallible<T> = Result<T, PyErrSet>;

/// A strong reference to a Python object. Dropping it decrements the
/// reference count, so every exit path releases it exactly once.
pub struct Owned(NonNull<PyObject>);

impl Owned {
    /// Take over a new reference returned by the C API; NULL means that the
    /// call failed and an exception is set.
    #[inline(always)]
    pub unsafe fn from_new(pointer: *mut PyObject) -> Fallible<Owned> {
        NonNull::new(pointer).map(Owned).ok_or(PyErrSet)
    }

    /// Take a new reference to a borrowed, non-NULL object.
    #[inline(always)]
    pub unsafe fn from_borrowed(pointer: *mut PyObject) -> Owned {
        // SAFETY: the caller guarantees `pointer` is a live object.
        unsafe { ffi::Py_INCREF(pointer) };
        // SAFETY: the caller guarantees `pointer` is not NULL.
        Owned(unsafe { NonNull::new_unchecked(pointer) })
    }

    #[inline(always)]
    pub fn as_ptr(&self) -> *mut PyObject {
        self.0.as_ptr()
    }

    /// Hand the reference over to the caller, typically as a slot's result.
    #[inline(always)]
    pub fn into_raw(self) -> *mut PyObject {
        let pointer = self.0.as_ptr();
        std::mem::forget(self);
        pointer
    }
}

impl Clone for Owned {
    fn clone(&self) -> Owned {
        // SAFETY: self holds a live reference.
        unsafe { Owned::from_borrowed(self.as_ptr()) }
    }
}

impl Drop for Owned {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: self owns one reference, released here once.
        unsafe { ffi::Py_DECREF(self.0.as_ptr()) }
    }
}

/// Convert a slot result to the C convention: the object, or NULL with the
/// exception already set.
#[inline(always)]
pub fn into_result(result: Fallible<Owned>) -> *mut PyObject {
    match result {
        Ok(object) => object.into_raw(),
        Err(PyErrSet) => std::ptr::null_mut(),
    }
}

/// Convert an integer-status result to the C convention: 0 or -1.
#[inline(always)]
pub fn into_status(result: Fallible<()>) -> std::ffi::c_int {
    match result {
        Ok(()) => 0,
        Err(PyErrSet) => -1,
    }
}
