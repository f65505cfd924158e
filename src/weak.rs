//! Weak proxies and the universal weak-reference registry.
//!
//! An object with native weak-reference support is tracked through a
//! `weakref.ref` that the proxy holds; the proxy is defunct the moment the
//! object dies, and using it costs no registry look-up.
//!
//! Any other object is kept alive by the registry, which holds one strong
//! reference per object and chains that object's weak proxies through
//! `next_weak_proxy`. When the registry's reference is the only one left
//! (the object is a phantom), the registry releases it and makes the
//! chained proxies defunct. Costs, for n registered objects and k weak
//! proxies to one object:
//!
//! - creating a weak proxy: one hash look-up, O(1);
//! - using one: a reference-count test, O(1), plus O(k) when it finds a
//!   phantom and releases it;
//! - deleting one: O(k) to unlink it from its chain;
//! - `checkweakrefs()` and the check after each garbage collection: O(n);
//! - `finalizeweakrefs()`: O(n + total proxies).
//!
//! Registry code never calls into Python while it changes the registry:
//! objects to release are collected first and their references dropped
//! afterwards, because dropping one can run `__del__` methods and weakref
//! callbacks that create, delete or check weak proxies again.

use std::collections::HashMap;
use std::ffi::c_uint;
use std::hash::{BuildHasherDefault, Hasher};

use crate::errors;
use crate::ffi::{self, PyObject};
use crate::interface;
use crate::layout::*;
use crate::owned::{Fallible, Owned, PyErrSet};
use crate::proxy::{self, Arguments};
use crate::state::GilCell;

/// Hashes object addresses: they are unique and 16-byte aligned, so one
/// multiplication spreads them well enough.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 << 8 | u64::from(*byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, value: usize) {
        self.0 = ((value as u64) >> 4).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

struct Entry {
    /// A strong reference owned by the registry.
    object: *mut PyObject,
    /// The first weak proxy to the object; the rest follow through
    /// `next_weak_proxy`.
    head: *mut MxProxyObject,
}

struct Registry {
    entries: Vec<Entry>,
    /// Object address to index in `entries`.
    index: HashMap<usize, usize, BuildHasherDefault<AddressHasher>>,
    /// Stored in every weak proxy's flags; a proxy from an older
    /// generation is defunct.
    // NOTE: only the low 16 bits are stored, so a native weak proxy that
    // lives through 65,536 calls of finalizeweakrefs() and initweakrefs()
    // and was never used in between would look current again.
    generation: c_uint,
    finalized: bool,
}

static REGISTRY: GilCell<Registry> = GilCell::new(Registry {
    entries: Vec::new(),
    index: HashMap::with_hasher(BuildHasherDefault::new()),
    generation: 0,
    finalized: false,
});

const GENERATION_MASK: c_uint = 0xFFFF;

impl Registry {
    fn remove(&mut self, address: usize) -> Option<Entry> {
        let position = self.index.remove(&address)?;
        let entry = self.entries.swap_remove(position);
        if let Some(moved) = self.entries.get(position) {
            self.index.insert(moved.object as usize, position);
        }
        Some(entry)
    }
}

/// Make every proxy of a chain defunct and unlink them.
unsafe fn defunct_chain(mut proxy: *mut MxProxyObject) {
    while !proxy.is_null() {
        // SAFETY: chained proxies are live: a proxy unlinks itself before it
        // is freed.
        unsafe {
            let next = (*proxy).link.next_weak_proxy;
            (*proxy).object = std::ptr::null_mut();
            (*proxy).link.next_weak_proxy = std::ptr::null_mut();
            (*proxy).flags |= FLAG_DEFUNCT;
            proxy = next;
        }
    }
}

/// Drop references collected while the registry was being changed.
unsafe fn release_all(objects: Vec<*mut PyObject>) {
    for object in objects {
        // SAFETY: each pointer carries one reference the registry owned.
        unsafe { ffi::Py_DECREF(object) };
    }
}

#[inline(always)]
fn generation_of(flags: c_uint) -> c_uint {
    flags >> GENERATION_SHIFT
}

/// `WeakProxy(object, interface=None, passobj=None)`.
pub unsafe fn create_weak(arguments: &Arguments) -> Fallible<Owned> {
    // SAFETY: arguments are live borrowed objects or NULL; the proxy's
    // fields are set before it can be observed.
    unsafe {
        require_registry()?;
        let interface = interface::build(arguments.interface)?;
        let object = arguments.object;
        let proxy = proxy::allocate()?;
        let result = Owned::from_new(proxy.cast())?;
        // Building the interface and allocating can run Python code that
        // finalizes or restarts the registry, so its state is read now.
        let generation = require_registry()?;
        (*proxy).is_weak = 1;
        (*proxy).flags = generation << GENERATION_SHIFT;
        proxy::set_access(proxy, interface, arguments.passobj);
        if (*ffi::type_of(object)).tp_weaklistoffset != 0 {
            let reference = ffi::PyWeakref_NewRef(object, std::ptr::null_mut());
            if !reference.is_null() {
                keep_recent_reference(reference);
                (*proxy).object = reference;
                (*proxy).flags |= FLAG_WEAK_NATIVE;
                return Ok(result);
            }
            if ffi::PyErr_ExceptionMatches(ffi::PyExc_TypeError) == 0 {
                return Err(PyErrSet);
            }
            ffi::PyErr_Clear();
        }
        (*proxy).flags |= FLAG_WEAK_UNIVERSAL;
        register(proxy, object);
        Ok(result)
    }
}

/// The weak references most recently made for native weak proxies, kept
/// alive so that proxies made again and again for the same objects share
/// one `weakref.ref` (CPython reuses an object's live callback-free
/// reference) instead of allocating one each time. A weak reference keeps
/// nothing alive, so holding a few costs only their memory.
struct RecentReferences {
    references: [*mut PyObject; RECENT_REFERENCES],
    next: usize,
}

const RECENT_REFERENCES: usize = 16;

static RECENT: GilCell<RecentReferences> =
    GilCell::new(RecentReferences { references: [std::ptr::null_mut(); RECENT_REFERENCES], next: 0 });

unsafe fn keep_recent_reference(reference: *mut PyObject) {
    // SAFETY: GIL held; the borrow ends before the old reference is
    // dropped. Dropping a callback-free weak reference runs no Python code.
    unsafe {
        let old = {
            let recent = RECENT.get_mut();
            if recent.references.contains(&reference) {
                return;
            }
            let slot = recent.next;
            recent.next = (slot + 1) % RECENT_REFERENCES;
            std::mem::replace(&mut recent.references[slot], ffi::Py_NewRef(reference))
        };
        ffi::Py_XDECREF(old);
    }
}

/// The registry's generation, or InternalError once it is finalized.
unsafe fn require_registry() -> Fallible<c_uint> {
    // SAFETY: GIL held.
    let registry = unsafe { REGISTRY.get() };
    if registry.finalized {
        return Err(errors::internal_error(
            "the weak-reference registry is finalized; call initweakrefs() to start a new one",
        ));
    }
    Ok(registry.generation)
}

/// Put a new universal weak proxy into the registry.
unsafe fn register(proxy: *mut MxProxyObject, object: *mut PyObject) {
    // SAFETY: GIL held; no Python code runs while the registry is borrowed.
    unsafe {
        let registry = REGISTRY.get_mut();
        (*proxy).object = object;
        match registry.index.get(&(object as usize)) {
            Some(&position) => {
                let entry = &mut registry.entries[position];
                (*proxy).link.next_weak_proxy = entry.head;
                entry.head = proxy;
            }
            None => {
                ffi::Py_INCREF(object);
                registry.index.insert(object as usize, registry.entries.len());
                registry.entries.push(Entry { object, head: proxy });
            }
        }
    }
}

/// Release a phantom object: make its proxies defunct, drop its entry and
/// then the registry's reference.
unsafe fn release(object: *mut PyObject) {
    // SAFETY: GIL held; the borrow ends before the reference is dropped.
    unsafe {
        let entry = REGISTRY.get_mut().remove(object as usize);
        if let Some(entry) = entry {
            defunct_chain(entry.head);
            release_all(vec![entry.object]);
        }
    }
}

/// True if the weak proxy can no longer reach its object. With `release`,
/// a phantom object found on the way is released.
pub unsafe fn is_defunct(proxy: *mut MxProxyObject, release_phantom: bool) -> bool {
    // SAFETY: proxy is a live weak proxy.
    unsafe {
        let flags = (*proxy).flags;
        if flags & FLAG_DEFUNCT != 0 {
            return true;
        }
        if generation_of(flags) != REGISTRY.get().generation & GENERATION_MASK {
            return true;
        }
        let object = (*proxy).object;
        if object.is_null() {
            return true;
        }
        if flags & FLAG_WEAK_NATIVE != 0 {
            return referent(object).is_none();
        }
        if ffi::reference_count(object) == 1 {
            if release_phantom {
                release(object);
            }
            return true;
        }
        false
    }
}

/// The object a `weakref.ref` refers to, or None once it is gone. An object
/// whose deallocation CPython has put off (its "trashcan" does that for
/// long chains) still sits in the reference with a count of zero, and
/// counts as gone.
#[inline(always)]
unsafe fn referent(reference: *mut PyObject) -> Option<*mut PyObject> {
    // SAFETY: reference is a live weakref.ref; its referent is Py_None or
    // an object whose memory is valid until the reference is cleared.
    unsafe {
        let object = (*reference.cast::<ffi::WeakReferenceHead>()).wr_object;
        (object != ffi::Py_None() && ffi::reference_count(object) > 0).then_some(object)
    }
}

/// A new reference to a weak proxy's object, or LostReferenceError.
#[inline(always)]
pub unsafe fn resolve(proxy: *mut MxProxyObject) -> Fallible<Owned> {
    // SAFETY: proxy is a live weak proxy.
    unsafe {
        let flags = (*proxy).flags;
        let object = (*proxy).object;
        if flags & FLAG_DEFUNCT != 0
            || object.is_null()
            || generation_of(flags) != REGISTRY.get().generation & GENERATION_MASK
        {
            return Err(errors::lost_reference());
        }
        if flags & FLAG_WEAK_NATIVE != 0 {
            return match referent(object) {
                Some(live) => Ok(Owned::from_borrowed(live)),
                None => Err(errors::lost_reference()),
            };
        }
        if ffi::reference_count(object) == 1 {
            release(object);
            return Err(errors::lost_reference());
        }
        Ok(Owned::from_borrowed(object))
    }
}

/// Take a universal weak proxy out of the registry as it is deallocated.
/// The object is released when this was its last proxy or when it has
/// become a phantom.
pub unsafe fn unregister(proxy: *mut MxProxyObject) {
    // SAFETY: GIL held; the borrow ends before any reference is dropped.
    unsafe {
        let object = (*proxy).object;
        if object.is_null() || (*proxy).flags & FLAG_WEAK_UNIVERSAL == 0 {
            return;
        }
        (*proxy).object = std::ptr::null_mut();
        let released = {
            let registry = REGISTRY.get_mut();
            let Some(&position) = registry.index.get(&(object as usize)) else {
                return;
            };
            let entry = &mut registry.entries[position];
            if entry.head == proxy {
                entry.head = (*proxy).link.next_weak_proxy;
            } else {
                let mut previous = entry.head;
                while !previous.is_null() && (*previous).link.next_weak_proxy != proxy {
                    previous = (*previous).link.next_weak_proxy;
                }
                if !previous.is_null() {
                    (*previous).link.next_weak_proxy = (*proxy).link.next_weak_proxy;
                }
            }
            (*proxy).link.next_weak_proxy = std::ptr::null_mut();
            if entry.head.is_null() || ffi::reference_count(object) == 1 {
                registry.remove(object as usize)
            } else {
                None
            }
        };
        if let Some(entry) = released {
            defunct_chain(entry.head);
            release_all(vec![entry.object]);
        }
    }
}

/// Release every phantom object; repeat while releasing one turned others
/// into phantoms.
pub unsafe fn check() {
    loop {
        // SAFETY: GIL held; the registry borrow ends before any reference is
        // dropped.
        let released = unsafe {
            let registry = REGISTRY.get_mut();
            let mut released = Vec::new();
            let mut position = registry.entries.len();
            while position > 0 {
                position -= 1;
                let object = registry.entries[position].object;
                if ffi::reference_count(object) == 1 {
                    let entry = registry.remove(object as usize).expect("entry is indexed");
                    defunct_chain(entry.head);
                    released.push(entry.object);
                }
            }
            released
        };
        if released.is_empty() {
            return;
        }
        // SAFETY: each pointer carries the registry's reference.
        unsafe { release_all(released) };
    }
}

/// Release every registry entry and make every weak proxy defunct, of both
/// kinds, and refuse new weak proxies until `initialize`.
pub unsafe fn finalize() {
    // SAFETY: GIL held; the borrow ends before references are dropped.
    unsafe {
        let entries = {
            let registry = REGISTRY.get_mut();
            registry.generation = (registry.generation + 1) & GENERATION_MASK;
            registry.finalized = true;
            registry.index.clear();
            std::mem::take(&mut registry.entries)
        };
        let mut objects = Vec::with_capacity(entries.len());
        for entry in entries {
            defunct_chain(entry.head);
            objects.push(entry.object);
        }
        release_all(objects);
    }
}

/// Start a fresh registry; existing weak proxies become defunct.
pub unsafe fn initialize() {
    // SAFETY: GIL held.
    unsafe {
        if !REGISTRY.get().finalized {
            finalize();
        }
        REGISTRY.get_mut().finalized = false;
    }
}

/// The number of objects the registry holds.
pub unsafe fn entry_count() -> usize {
    // SAFETY: GIL held.
    unsafe { REGISTRY.get().entries.len() }
}

/// `gc.callbacks` entry: check the registry when a collection stops.
pub unsafe extern "C" fn after_collection(_module: *mut PyObject, args: *mut *mut PyObject, count: ffi::Py_ssize_t) -> *mut PyObject {
    // SAFETY: called by the gc module with (phase, info).
    unsafe {
        if count >= 1 {
            let phase = *args;
            if ffi::PyUnicode_Check(phase) != 0 && ffi::PyUnicode_CompareWithASCIIString(phase, c"stop".as_ptr()) == 0 {
                check();
            }
        }
        ffi::Py_NewRef(ffi::Py_None())
    }
}
