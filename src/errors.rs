//! Raising the module's exceptions, and cleaning exceptions that leave a
//! restricted proxy so they carry nothing that leads back to the wrapped
//! object.

use crate::ffi::{self, PyObject};
use crate::names::{self, name, Name};
use crate::owned::{Owned, PyErrSet};
use crate::state::shared;

fn set_error(class: *mut PyObject, message: &str) -> PyErrSet {
    // SAFETY: class is one of the module's exception classes or a built-in
    // one; the message is passed with its length, so it may contain NUL.
    unsafe {
        let text = ffi::PyUnicode_FromStringAndSize(message.as_ptr().cast(), message.len() as ffi::Py_ssize_t);
        if !text.is_null() {
            ffi::PyErr_SetObject(class, text);
            ffi::Py_DECREF(text);
        }
    }
    PyErrSet
}

/// `AccessError("attribute read access (NAME) denied")`.
pub unsafe fn read_denied(attribute: *mut PyObject) -> PyErrSet {
    // SAFETY: attribute is a str, checked by the caller.
    let text = unsafe { str_text(attribute) };
    set_error(shared().access_error, &format!("attribute read access ({text}) denied"))
}

/// `AccessError("attribute write access (NAME) denied")`, also for deletion.
pub unsafe fn write_denied(attribute: *mut PyObject) -> PyErrSet {
    // SAFETY: attribute is a str, checked by the caller.
    let text = unsafe { str_text(attribute) };
    set_error(shared().access_error, &format!("attribute write access ({text}) denied"))
}

/// `AccessError("NAME access denied")` for a denied operation. The class
/// derives from both AccessError and TypeError, so Python's own probes
/// (length hints, truth tests) treat the operation as unsupported.
pub fn operation_denied(operation: Name) -> PyErrSet {
    set_error(
        shared().operation_access_error,
        &format!("{} access denied", names::text(operation)),
    )
}

pub fn access_error(message: &str) -> PyErrSet {
    set_error(shared().access_error, message)
}

pub fn lost_reference() -> PyErrSet {
    set_error(shared().lost_reference_error, "object already garbage collected")
}

pub fn internal_error(message: &str) -> PyErrSet {
    set_error(shared().internal_error, message)
}

pub fn type_error(message: &str) -> PyErrSet {
    // SAFETY: PyExc_TypeError is a live built-in class.
    set_error(unsafe { ffi::PyExc_TypeError }, message)
}

/// The text of a `str`, for messages; "?" if it cannot be encoded.
pub unsafe fn str_text(object: *mut PyObject) -> String {
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: the caller passes a str; PyUnicode_AsUTF8AndSize returns a
    // buffer owned by it that stays valid while it lives.
    unsafe {
        let data = ffi::PyUnicode_AsUTF8AndSize(object, &mut size);
        if data.is_null() {
            ffi::PyErr_Clear();
            return "?".to_owned();
        }
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), size as usize);
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// The name of an object's type, for messages.
pub unsafe fn type_name(object: *mut PyObject) -> String {
    // SAFETY: tp_name of a live type is a NUL-terminated string.
    unsafe {
        let raw = (*ffi::type_of(object)).tp_name;
        std::ffi::CStr::from_ptr(raw).to_string_lossy().into_owned()
    }
}

/// Clean the pending exception after an operation of a proxy failed:
/// replace the wrapped object in `AttributeError.obj` by the proxy, and for
/// a restricted proxy drop the tracebacks (their frames' locals would
/// reveal `self`) of the exception and of every exception chained to it,
/// unless the traceback switch keeps them.
pub unsafe fn clean_pending_exception(proxy: *mut PyObject, wrapped: *mut PyObject, restricted: bool) {
    // SAFETY: called with an exception set and the GIL held; every object
    // touched is owned by the exception, which we hold a reference to.
    unsafe {
        let mut kind = std::ptr::null_mut();
        let mut value = std::ptr::null_mut();
        let mut traceback = std::ptr::null_mut();
        ffi::PyErr_Fetch(&mut kind, &mut value, &mut traceback);
        if kind.is_null() {
            return;
        }
        ffi::PyErr_NormalizeException(&mut kind, &mut value, &mut traceback);
        if !value.is_null() {
            let strip = restricted && !shared().keep_tracebacks;
            if strip {
                ffi::Py_XDECREF(traceback);
                traceback = std::ptr::null_mut();
            } else if !traceback.is_null() {
                ffi::PyException_SetTraceback(value, traceback);
            }
            clean_chain(value, strip, proxy, wrapped);
        }
        ffi::PyErr_Restore(kind, value, traceback);
    }
}

/// Walk `exception` and its `__cause__` and `__context__` chain: drop the
/// tracebacks when `strip` is set, and put the proxy in place of the
/// wrapped object in `AttributeError.obj`. The chain can loop, so each
/// exception is visited once.
unsafe fn clean_chain(exception: *mut PyObject, strip: bool, proxy: *mut PyObject, wrapped: *mut PyObject) {
    let mut pending: Vec<Owned> = Vec::new();
    let mut visited: std::collections::HashSet<*mut PyObject> = std::collections::HashSet::new();
    // SAFETY: exception is a live exception instance.
    pending.push(unsafe { Owned::from_borrowed(exception) });
    while let Some(current) = pending.pop() {
        if !visited.insert(current.as_ptr()) {
            continue;
        }
        // SAFETY: current is a live exception; the getters return new
        // references or NULL without setting an error.
        unsafe {
            if strip {
                ffi::PyException_SetTraceback(current.as_ptr(), ffi::Py_None());
            }
            replace_attribute_error_object(current.as_ptr(), proxy, wrapped, strip);
            replace_stop_iteration_value(current.as_ptr(), proxy, wrapped);
            for linked in [
                ffi::PyException_GetCause(current.as_ptr()),
                ffi::PyException_GetContext(current.as_ptr()),
            ] {
                if let Ok(linked) = Owned::from_new(linked) {
                    if ffi::PyExceptionInstance_Check(linked.as_ptr()) != 0 {
                        pending.push(linked);
                    }
                }
            }
            push_group_members(current.as_ptr(), &mut pending);
        }
    }
}

/// The members of an exception group (Python 3.11 and later) are cleaned
/// like chained exceptions.
unsafe fn push_group_members(exception: *mut PyObject, pending: &mut Vec<Owned>) {
    // SAFETY: exception is live; failures are cleared, since cleaning is
    // best effort on an error path that must keep the original exception.
    unsafe {
        let group_type = shared().exception_group_type;
        if group_type.is_null() || ffi::PyObject_TypeCheck(exception, group_type.cast()) == 0 {
            return;
        }
        let Ok(members) = Owned::from_new(ffi::PyObject_GetAttr(exception, name(Name::Exceptions))) else {
            ffi::PyErr_Clear();
            return;
        };
        if ffi::PyTuple_Check(members.as_ptr()) == 0 {
            return;
        }
        for index in 0..ffi::PyTuple_GET_SIZE(members.as_ptr()) {
            pending.push(Owned::from_borrowed(ffi::PyTuple_GET_ITEM(members.as_ptr(), index)));
        }
    }
}

/// Since Python 3.10 an AttributeError records the object that lacked the
/// attribute in `.obj`: the wrapped object becomes the proxy, and for a
/// restricted proxy any other object (one the wrapped object's code held)
/// becomes None.
unsafe fn replace_attribute_error_object(exception: *mut PyObject, proxy: *mut PyObject, wrapped: *mut PyObject, restricted: bool) {
    if wrapped.is_null() {
        return;
    }
    // SAFETY: exception is a live exception instance; attribute access on it
    // may fail, and failures are cleared because this is best effort on an
    // error path that must keep the original exception.
    unsafe {
        if ffi::PyObject_TypeCheck(exception, ffi::PyExc_AttributeError.cast()) == 0 {
            return;
        }
        let recorded = ffi::PyObject_GetAttr(exception, name(Name::Obj));
        if recorded.is_null() {
            ffi::PyErr_Clear();
            return;
        }
        let replacement = if recorded == wrapped {
            proxy
        } else if restricted && recorded != proxy && recorded != ffi::Py_None() {
            ffi::Py_None()
        } else {
            std::ptr::null_mut()
        };
        if !replacement.is_null() && ffi::PyObject_SetAttr(exception, name(Name::Obj), replacement) < 0 {
            ffi::PyErr_Clear();
        }
        ffi::Py_DECREF(recorded);
    }
}

/// A generator or coroutine that returns `self` ends with StopIteration
/// carrying the object as its value: hand the proxy out instead.
unsafe fn replace_stop_iteration_value(exception: *mut PyObject, proxy: *mut PyObject, wrapped: *mut PyObject) {
    // SAFETY: as for replace_attribute_error_object.
    unsafe {
        if wrapped.is_null() || ffi::PyObject_TypeCheck(exception, ffi::PyExc_StopIteration.cast()) == 0 {
            return;
        }
        let value = ffi::PyObject_GetAttr(exception, name(Name::Value));
        if value.is_null() {
            ffi::PyErr_Clear();
            return;
        }
        let owner = if value == wrapped {
            proxy
        } else {
            crate::encapsulation::origin_holding(proxy.cast(), value).map_or(std::ptr::null_mut(), |owner| owner.cast())
        };
        if !owner.is_null() {
            let arguments = ffi::PyTuple_Pack(1, owner);
            if arguments.is_null()
                || ffi::PyObject_SetAttr(exception, name(Name::Value), owner) < 0
                || ffi::PyObject_SetAttr(exception, name(Name::Args), arguments) < 0
            {
                ffi::PyErr_Clear();
            }
            ffi::Py_XDECREF(arguments);
        }
        ffi::Py_DECREF(value);
    }
}

/// Report the pending exception from a cleanup hook through
/// `sys.unraisablehook` when Python runs verbose, with debugging or in
/// development mode, and clear it silently otherwise.
pub unsafe fn report_cleanup_error(hook: *mut PyObject) {
    // SAFETY: called with an exception set and the GIL held.
    unsafe {
        if unraisable_reports_requested() {
            ffi::PyErr_WriteUnraisable(hook);
        } else {
            ffi::PyErr_Clear();
        }
    }
}

unsafe fn unraisable_reports_requested() -> bool {
    // SAFETY: the pending exception is saved around the look-up of
    // sys.flags, which may itself fail.
    unsafe {
        let mut kind = std::ptr::null_mut();
        let mut value = std::ptr::null_mut();
        let mut traceback = std::ptr::null_mut();
        ffi::PyErr_Fetch(&mut kind, &mut value, &mut traceback);
        let mut requested = false;
        let flags = ffi::PySys_GetObject(c"flags".as_ptr());
        if !flags.is_null() {
            for field in [Name::Verbose, Name::Debug, Name::DevMode] {
                let value = ffi::PyObject_GetAttr(flags, name(field));
                if value.is_null() {
                    ffi::PyErr_Clear();
                    continue;
                }
                let truth = ffi::PyObject_IsTrue(value);
                ffi::Py_DECREF(value);
                if truth > 0 {
                    requested = true;
                } else if truth < 0 {
                    ffi::PyErr_Clear();
                }
            }
        }
        ffi::PyErr_Restore(kind, value, traceback);
        requested
    }
}

