//! Interfaces: the names a proxy grants. A dict is used by reference, so
//! trusted code can grant and revoke names later; any other iterable of
//! names becomes a private frozenset at construction.

use crate::errors;
use crate::ffi::{self, PyObject};
use crate::layout::{MxProxyObject, FLAG_CALL_ONLY, FLAG_DICT_INTERFACE};
use crate::names::{name, Name};
use crate::owned::{Fallible, Owned, PyErrSet};

/// A validated interface and the flag that says how to query it.
pub struct Interface {
    pub table: Owned,
    pub flags: std::ffi::c_uint,
}

/// Turn the `interface` argument into a lookup table. `None` and NULL mean
/// "not given" and return `Ok(None)`.
pub unsafe fn build(argument: *mut PyObject) -> Fallible<Option<Interface>> {
    // SAFETY: argument is NULL or a live object; every call below follows
    // the C API's reference rules.
    unsafe {
        if argument.is_null() || argument == ffi::Py_None() {
            return Ok(None);
        }
        if ffi::PyDict_Check(argument) != 0 {
            return Ok(Some(Interface { table: Owned::from_borrowed(argument), flags: FLAG_DICT_INTERFACE }));
        }
        if ffi::PyUnicode_Check(argument) != 0
            || ffi::PyBytes_Check(argument) != 0
            || ffi::PyByteArray_Check(argument) != 0
        {
            return Err(errors::type_error(&format!(
                "interface must be a dict or an iterable of names, not {}; write (\"name\",) for a single name",
                errors::type_name(argument)
            )));
        }
        let iterator = match Owned::from_new(ffi::PyObject_GetIter(argument)) {
            Ok(iterator) => iterator,
            Err(PyErrSet) => {
                if ffi::PyErr_ExceptionMatches(ffi::PyExc_TypeError) != 0 {
                    ffi::PyErr_Clear();
                    return Err(errors::type_error(&format!(
                        "interface must be a dict or an iterable of names, not {}",
                        errors::type_name(argument)
                    )));
                }
                return Err(PyErrSet);
            }
        };
        let table = Owned::from_new(ffi::PyFrozenSet_New(std::ptr::null_mut()))?;
        loop {
            let item = ffi::PyIter_Next(iterator.as_ptr());
            if item.is_null() {
                if !ffi::PyErr_Occurred().is_null() {
                    return Err(PyErrSet);
                }
                break;
            }
            let item = Owned::from_new(item)?;
            let name = item_name(item.as_ptr())?;
            // A new frozenset may be filled with PySet_Add until it is shared.
            if ffi::PySet_Add(table.as_ptr(), name.as_ptr()) < 0 {
                return Err(PyErrSet);
            }
        }
        Ok(Some(Interface { table, flags: 0 }))
    }
}

/// The name an interface item stands for: the item itself if it is a
/// `str`, else its `__name__` (a function, a class).
unsafe fn item_name(item: *mut PyObject) -> Fallible<Owned> {
    // SAFETY: item is a live object; PyObject_GetOptionalAttr stores a new
    // reference or NULL in `found`.
    unsafe {
        if ffi::PyUnicode_Check(item) != 0 {
            return Ok(Owned::from_borrowed(item));
        }
        let mut found: *mut PyObject = std::ptr::null_mut();
        if ffi::compat::PyObject_GetOptionalAttr(item, name(Name::DunderName), &mut found) < 0 {
            return Err(PyErrSet);
        }
        if !found.is_null() {
            let found = Owned::from_new(found)?;
            if ffi::PyUnicode_Check(found.as_ptr()) != 0 {
                return Ok(found);
            }
        }
        Err(errors::type_error(&format!(
            "interface items must be str or objects with a str __name__, not {}",
            errors::type_name(item)
        )))
    }
}

/// True if the proxy grants `attribute` (a str). Proxies without an
/// interface grant everything. May fail if a dict key's `__eq__` fails.
#[inline(always)]
pub unsafe fn grants_attribute(proxy: *mut MxProxyObject, attribute: *mut PyObject) -> Fallible<bool> {
    // SAFETY: proxy is a live proxy; its interface is NULL, a dict or a
    // frozenset, as recorded in its flags.
    unsafe {
        let table = (*proxy).interface;
        if table.is_null() {
            return Ok(true);
        }
        contains(proxy, table, attribute)
    }
}

#[inline(always)]
unsafe fn contains(proxy: *mut MxProxyObject, table: *mut PyObject, key: *mut PyObject) -> Fallible<bool> {
    // SAFETY: table is the proxy's dict or frozenset interface.
    let found = unsafe {
        if (*proxy).flags & FLAG_DICT_INTERFACE != 0 {
            ffi::PyDict_Contains(table, key)
        } else {
            ffi::PySet_Contains(table, key)
        }
    };
    match found {
        1 => Ok(true),
        0 => Ok(false),
        _ => Err(PyErrSet),
    }
}

/// True if the proxy grants the operation named by any of `names`.
#[inline(always)]
pub unsafe fn grants_operation(proxy: *mut MxProxyObject, names: &[Name]) -> Fallible<bool> {
    // SAFETY: as for grants_attribute.
    unsafe {
        let table = (*proxy).interface;
        if table.is_null() {
            return Ok(true);
        }
        if (*proxy).flags & FLAG_CALL_ONLY != 0 {
            return Ok(names.contains(&Name::Call));
        }
        for operation in names {
            if contains(proxy, table, name(*operation))? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Raise the denial for `names[0]` unless the proxy grants one of `names`.
#[inline(always)]
pub unsafe fn require_operation(proxy: *mut MxProxyObject, names: &[Name]) -> Fallible<()> {
    // SAFETY: as for grants_operation.
    if unsafe { grants_operation(proxy, names)? } {
        Ok(())
    } else {
        Err(errors::operation_denied(names[0]))
    }
}
