//! Interfaces: the names a proxy grants. A dict is used by reference, so
//! trusted code can grant and revoke names later; any other iterable of
//! names becomes a private frozenset at construction.

use crate::errors;
use crate::ffi::{self, PyObject};
use crate::layout::{MxProxyObject, FLAG_CALL_ONLY, FLAG_DICT_INTERFACE};
use crate::names::{name, Name};
use crate::owned::{Fallible, Owned, PyErrSet};
use crate::state::GilCell;

/// A validated interface and the flag that selects how names are looked
/// up in it.
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
        let immutable = ffi::PyTuple_CheckExact(argument) != 0 || ffi::PyFrozenSet_CheckExact(argument) != 0;
        if immutable {
            if let Some(table) = cached_table(argument) {
                return Ok(Some(Interface { table, flags: 0 }));
            }
        }
        let type_ = ffi::type_of(argument);
        let iterable = (*type_).tp_iter.is_some() || ffi::PySequence_Check(argument) != 0;
        if !iterable {
            return Err(errors::type_error(&format!(
                "interface must be a dict or an iterable of names, not {}",
                errors::type_name(argument)
            )));
        }
        let iterator = Owned::from_new(ffi::PyObject_GetIter(argument))?;
        let table = Owned::from_new(ffi::PyFrozenSet_New(std::ptr::null_mut()))?;
        let mut only_exact_str = true;
        loop {
            let item = ffi::PyIter_Next(iterator.as_ptr());
            if item.is_null() {
                if !ffi::PyErr_Occurred().is_null() {
                    return Err(PyErrSet);
                }
                break;
            }
            let item = Owned::from_new(item)?;
            only_exact_str &= ffi::PyUnicode_CheckExact(item.as_ptr()) != 0;
            let name = item_name(item.as_ptr())?;
            // A new frozenset may be filled with PySet_Add until it is shared.
            if ffi::PySet_Add(table.as_ptr(), name.as_ptr()) < 0 {
                return Err(PyErrSet);
            }
        }
        if immutable && only_exact_str {
            remember_table(argument, &table);
        }
        Ok(Some(Interface { table, flags: 0 }))
    }
}

/// Tables built from tuples and frozensets of `str`, keyed by the
/// argument's identity, so `Proxy(obj, ("a", "b"))` with a constant tuple
/// builds its table once. Both are immutable, so a cached table stays
/// right, and each entry owns its argument, so the address cannot be
/// reused by another object while it is cached.
struct TableCache {
    entries: [(*mut PyObject, *mut PyObject); TABLE_CACHE_SIZE],
}

const TABLE_CACHE_SIZE: usize = 32;

static TABLES: GilCell<TableCache> =
    GilCell::new(TableCache { entries: [(std::ptr::null_mut(), std::ptr::null_mut()); TABLE_CACHE_SIZE] });

#[inline(always)]
fn table_slot(argument: *mut PyObject) -> usize {
    (argument as usize >> 4) % TABLE_CACHE_SIZE
}

#[inline(always)]
unsafe fn cached_table(argument: *mut PyObject) -> Option<Owned> {
    // SAFETY: GIL held; a cached table is owned by the cache.
    unsafe {
        let (source, table) = TABLES.get().entries[table_slot(argument)];
        (source == argument).then(|| Owned::from_borrowed(table))
    }
}

unsafe fn remember_table(argument: *mut PyObject, table: &Owned) {
    // SAFETY: GIL held; the old entry's references are dropped after the
    // cache is updated, since dropping them may run Python code.
    unsafe {
        let entry = (ffi::Py_NewRef(argument), ffi::Py_NewRef(table.as_ptr()));
        let (old_source, old_table) = std::mem::replace(&mut TABLES.get_mut().entries[table_slot(argument)], entry);
        ffi::Py_XDECREF(old_source);
        ffi::Py_XDECREF(old_table);
    }
}

/// The name an interface item stands for: the item itself if it is a
/// `str`, else its `__name__` (a function, a class).
unsafe fn item_name(item: *mut PyObject) -> Fallible<Owned> {
    // SAFETY: item is a live object; PyObject_GetOptionalAttr stores a new
    // reference or NULL in `found`.
    unsafe {
        if ffi::PyUnicode_CheckExact(item) != 0 {
            return Ok(Owned::from_borrowed(item));
        }
        // A str subclass is copied to a plain str, so its own __eq__ and
        // __hash__ play no part in later checks.
        if ffi::PyUnicode_Check(item) != 0 {
            return Owned::from_new(ffi::PyUnicode_FromObject(item));
        }
        let mut found: *mut PyObject = std::ptr::null_mut();
        if ffi::compat::PyObject_GetOptionalAttr(item, name(Name::DunderNameAttribute), &mut found) < 0 {
            return Err(PyErrSet);
        }
        if !found.is_null() {
            let found = Owned::from_new(found)?;
            if ffi::PyUnicode_Check(found.as_ptr()) != 0 {
                return Owned::from_new(ffi::PyUnicode_FromObject(found.as_ptr()));
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
    unsafe {
        if (*proxy).flags & FLAG_DICT_INTERFACE != 0 {
            return status(ffi::PyDict_Contains(table, key));
        }
        if ffi::PyUnicode_CheckExact(key) == 0 {
            return status(ffi::PySet_Contains(table, key));
        }
        let slot = grant_slot(table, key);
        let entry = &GRANTS.get().entries[slot];
        if entry.table == table && entry.name == key {
            return Ok(entry.granted);
        }
        let granted = status(ffi::PySet_Contains(table, key))?;
        let old = std::mem::replace(
            &mut GRANTS.get_mut().entries[slot],
            GrantEntry { table: ffi::Py_NewRef(table), name: ffi::Py_NewRef(key), granted },
        );
        ffi::Py_XDECREF(old.table);
        ffi::Py_XDECREF(old.name);
        Ok(granted)
    }
}

#[inline(always)]
fn status(found: std::ffi::c_int) -> Fallible<bool> {
    match found {
        1 => Ok(true),
        0 => Ok(false),
        _ => Err(PyErrSet),
    }
}

/// Answers of frozenset interfaces for `str` names. A frozenset never
/// changes, so an answer stays right; each entry owns its table and name,
/// so neither address can be reused by another object while it is cached.
/// Dict interfaces are asked every time, because they can change.
struct GrantCache {
    entries: [GrantEntry; GRANT_CACHE_SIZE],
}

#[derive(Clone, Copy)]
struct GrantEntry {
    table: *mut PyObject,
    name: *mut PyObject,
    granted: bool,
}

const GRANT_CACHE_SIZE: usize = 512;

static GRANTS: GilCell<GrantCache> = GilCell::new(GrantCache {
    entries: [GrantEntry { table: std::ptr::null_mut(), name: std::ptr::null_mut(), granted: false }; GRANT_CACHE_SIZE],
});

#[inline(always)]
fn grant_slot(table: *mut PyObject, name: *mut PyObject) -> usize {
    let mixed = ((table as usize) >> 4).wrapping_mul(0x9E37_79B9) ^ ((name as usize) >> 4);
    mixed % GRANT_CACHE_SIZE
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
