//! Looking up the hooks (`__public_getattr__`, `__public_setattr__`,
//! `__public_delattr__`, `__cleanup__`) on an object's type, the way Python
//! looks up special methods, with a small cache per type so that objects
//! without hooks, the common case, cost one cache probe.

use std::ffi::c_uint;

use crate::ffi::{self, PyObject, PyTypeObject};
use crate::names::{name, Name};
use crate::owned::{Fallible, Owned};
use crate::proxy::bind;
use crate::state::GilCell;

/// The hooks in the order of the cache's arrays.
pub const HOOKS: [Name; 4] = [Name::PublicGetattr, Name::PublicSetattr, Name::PublicDelattr, Name::Cleanup];
pub const GETATTR: usize = 0;
pub const SETATTR: usize = 1;
pub const DELATTR: usize = 2;

#[derive(Clone, Copy)]
struct Entry {
    type_: *mut PyTypeObject,
    version_tag: c_uint,
    /// Borrowed from the type's MRO: valid while the version tag is.
    descriptors: [*mut PyObject; 4],
}

const CACHE_SIZE: usize = 128;

static CACHE: GilCell<[Entry; CACHE_SIZE]> = GilCell::new(
    [Entry { type_: std::ptr::null_mut(), version_tag: 0, descriptors: [std::ptr::null_mut(); 4] }; CACHE_SIZE],
);

/// The type's version tag, or 0 when it is not valid. CPython changes or
/// invalidates the tag whenever the type or a base class is modified, and
/// never gives two types the same tag.
#[inline(always)]
unsafe fn version_tag(type_: *mut PyTypeObject) -> c_uint {
    // SAFETY: type_ is a live type object.
    unsafe {
        if cfg!(Py_3_12) || (*type_).tp_flags & ffi::Py_TPFLAGS_VALID_VERSION_TAG != 0 {
            (*type_).tp_version_tag
        } else {
            0
        }
    }
}

#[inline(always)]
fn slot_of(type_: *mut PyTypeObject, version_tag: c_uint) -> usize {
    ((type_ as usize >> 4) ^ version_tag as usize) % CACHE_SIZE
}

/// The four hook descriptors found on `type_`, borrowed, NULL for each
/// hook the type lacks. Take references before running any Python code.
#[inline(always)]
unsafe fn borrowed_descriptors(type_: *mut PyTypeObject) -> [*mut PyObject; 4] {
    // SAFETY: GIL held; cached descriptors are borrowed from the type's
    // dicts and stay alive while the version tag matches, because any change
    // to those dicts invalidates the tag.
    unsafe {
        let tag = version_tag(type_);
        if tag != 0 {
            let entry = &CACHE.get()[slot_of(type_, tag)];
            if entry.type_ == type_ && entry.version_tag == tag {
                return entry.descriptors;
            }
        }
        let found = HOOKS.map(|hook| ffi::_PyType_Lookup(type_, name(hook)));
        let tag = version_tag(type_);
        if tag != 0 {
            CACHE.get_mut()[slot_of(type_, tag)] = Entry { type_, version_tag: tag, descriptors: found };
        }
        found
    }
}

/// New references to the four hook descriptors found on `type_`, None for
/// each hook the type lacks.
#[inline(always)]
pub unsafe fn descriptors(type_: *mut PyTypeObject) -> [Option<Owned>; 4] {
    // SAFETY: references are taken at once, before any Python code runs.
    unsafe {
        borrowed_descriptors(type_).map(|descriptor| (!descriptor.is_null()).then(|| Owned::from_borrowed(descriptor)))
    }
}

/// One hook of `object` (GETATTR, SETATTR or DELATTR), bound to
/// it, or None if its type has none.
#[inline(always)]
pub unsafe fn bound_hook(object: *mut PyObject, hook: usize) -> Fallible<Option<Owned>> {
    // SAFETY: object is live; a reference to the descriptor is taken before
    // binding, which may run Python code.
    unsafe {
        let type_ = ffi::type_of(object);
        let descriptor = borrowed_descriptors(type_)[hook];
        if descriptor.is_null() {
            return Ok(None);
        }
        bind(Owned::from_borrowed(descriptor), object, type_).map(Some)
    }
}
