//! Allocation's other half: the cleanup hook, deallocation and the garbage
//! collector's view of a proxy.

use std::ffi::{c_int, c_void};

use crate::errors;
use crate::ffi::{self, PyObject};
use crate::layout::*;
use crate::state::GilCell;
use crate::weak;

/// `tp_finalize`: call the cleanup hook of a strong proxy, once, before the
/// proxy drops its references. It runs from deallocation and, for proxies
/// in a garbage cycle, before the collector clears anything (PEP 442).
/// A proxy the hook makes reachable again stays alive and intact.
pub unsafe extern "C" fn finalize(object: *mut PyObject) {
    let proxy = object.cast::<MxProxyObject>();
    // SAFETY: the interpreter passes a live proxy; the pending exception is
    // saved and restored around the hook, as tp_finalize must.
    unsafe {
        let hook = (*proxy).cleanup;
        if hook.is_null() || (*proxy).flags & (FLAG_CLEANUP_DONE | FLAG_WEAK) != 0 {
            return;
        }
        (*proxy).flags |= FLAG_CLEANUP_DONE;
        let mut kind = std::ptr::null_mut();
        let mut value = std::ptr::null_mut();
        let mut traceback = std::ptr::null_mut();
        ffi::PyErr_Fetch(&mut kind, &mut value, &mut traceback);
        ffi::Py_INCREF(hook);
        let result = ffi::PyObject_CallNoArgs(hook);
        if result.is_null() {
            errors::report_cleanup_error(hook);
        } else {
            ffi::Py_DECREF(result);
        }
        ffi::Py_DECREF(hook);
        ffi::PyErr_Restore(kind, value, traceback);
    }
}

/// `tp_dealloc`.
pub unsafe extern "C" fn dealloc(object: *mut PyObject) {
    let proxy = object.cast::<MxProxyObject>();
    // SAFETY: the interpreter passes a proxy whose reference count reached
    // zero; after the finalizer it is untracked, unlinked and freed once.
    unsafe {
        if !(*proxy).cleanup.is_null() && ffi::PyObject_CallFinalizerFromDealloc(object) < 0 {
            // The cleanup hook resurrected the proxy.
            return;
        }
        ffi::PyObject_GC_UnTrack(object.cast());
        if !(*proxy).weakreflist.is_null() {
            ffi::PyObject_ClearWeakRefs(object);
        }
        if (*proxy).flags & FLAG_WEAK_UNIVERSAL != 0 {
            weak::unregister(proxy);
        }
        release(proxy);
    }
}

/// Proxies whose fields are still to be released, and how deeply releases
/// are nested. Releasing a proxy's fields can free the next proxy of a
/// chain, and so on: past a fixed depth the proxy waits on this list, and
/// the outermost release works through it, so a chain of any length is
/// freed without deep C recursion (CPython's "trashcan" does the same for
/// its containers).
struct PendingReleases {
    proxies: Vec<*mut MxProxyObject>,
    depth: u32,
}

const MAX_RELEASE_DEPTH: u32 = 50;

static PENDING: GilCell<PendingReleases> = GilCell::new(PendingReleases { proxies: Vec::new(), depth: 0 });

/// Drop the references of an untracked, unreachable proxy and recycle it.
unsafe fn release(proxy: *mut MxProxyObject) {
    // SAFETY: GIL held; the borrows of PENDING end before any reference is
    // dropped, since dropping one runs deallocators and maybe Python code.
    unsafe {
        {
            let pending = PENDING.get_mut();
            if pending.depth >= MAX_RELEASE_DEPTH {
                pending.proxies.push(proxy);
                return;
            }
            pending.depth += 1;
        }
        clear_fields(proxy);
        recycle(proxy);
        if PENDING.get().depth == 1 {
            while let Some(waiting) = PENDING.get_mut().proxies.pop() {
                clear_fields(waiting);
                recycle(waiting);
            }
        }
        PENDING.get_mut().depth -= 1;
    }
}

/// Freed proxies kept for reuse: allocating from the object allocator and
/// linking into the collector costs more than the rest of creating a proxy.
struct FreeList {
    blocks: [*mut MxProxyObject; FREE_LIST_SIZE],
    count: usize,
}

const FREE_LIST_SIZE: usize = 64;

static FREE_LIST: GilCell<FreeList> =
    GilCell::new(FreeList { blocks: [std::ptr::null_mut(); FREE_LIST_SIZE], count: 0 });

/// Keep an untracked proxy whose fields are cleared, or free it when the
/// list is full.
unsafe fn recycle(proxy: *mut MxProxyObject) {
    // SAFETY: GIL held; the proxy is untracked and owns no references.
    unsafe {
        let list = FREE_LIST.get_mut();
        if list.count < FREE_LIST_SIZE {
            list.blocks[list.count] = proxy;
            list.count += 1;
        } else {
            ffi::PyObject_GC_Del(proxy.cast());
        }
    }
}

/// A proxy from the free list, initialised and tracked again, if any.
#[inline(always)]
pub unsafe fn reuse() -> Option<*mut MxProxyObject> {
    // SAFETY: GIL held; blocks on the list were allocated for the proxy
    // type with a garbage-collector header in front, which CPython 3.9 to
    // 3.13 lay out as two words, `_gc_next` and `_gc_prev`.
    unsafe {
        let list = FREE_LIST.get_mut();
        if list.count == 0 {
            return None;
        }
        list.count -= 1;
        let proxy = list.blocks[list.count];
        // Untracking keeps the "finalized" bit in `_gc_prev`; a new proxy
        // must start unfinalized so its cleanup hook runs.
        *proxy.cast::<usize>().sub(1) = 0;
        let fields = proxy.cast::<u8>().add(std::mem::size_of::<PyObject>());
        std::ptr::write_bytes(fields, 0, std::mem::size_of::<MxProxyObject>() - std::mem::size_of::<PyObject>());
        ffi::PyObject_Init(proxy.cast(), crate::proxy_type::proxy_type());
        ffi::PyObject_GC_Track(proxy.cast());
        Some(proxy)
    }
}

/// Drop every reference the proxy owns. A universal weak proxy's object is
/// borrowed from the registry and left alone.
unsafe fn clear_fields(proxy: *mut MxProxyObject) {
    // SAFETY: proxy is live; each field is cleared before its reference is
    // dropped, because dropping can run code that looks at the proxy.
    unsafe {
        if (*proxy).flags & FLAG_WEAK_UNIVERSAL == 0 {
            clear_field(&mut (*proxy).object);
        }
        clear_field(&mut (*proxy).interface);
        clear_field(&mut (*proxy).passobj);
        clear_field(&mut (*proxy).public_getattr);
        clear_field(&mut (*proxy).public_setattr);
        clear_field(&mut (*proxy).cleanup);
        if (*proxy).is_weak == 0 {
            clear_field(&mut (*proxy).link.strong_extra);
        }
    }
}

#[inline(always)]
unsafe fn clear_field(field: &mut *mut PyObject) {
    let old = std::mem::replace(field, std::ptr::null_mut());
    // SAFETY: the field owned one reference or was NULL.
    unsafe { ffi::Py_XDECREF(old) };
}

/// `tp_traverse`: report every reference the proxy owns.
pub unsafe extern "C" fn traverse(object: *mut PyObject, visit: ffi::visitproc, arg: *mut c_void) -> c_int {
    let proxy = object.cast::<MxProxyObject>();
    // SAFETY: the collector passes a live proxy; NULL fields are skipped.
    unsafe {
        let mut fields = [
            (*proxy).interface,
            (*proxy).passobj,
            (*proxy).public_getattr,
            (*proxy).public_setattr,
            (*proxy).cleanup,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        ];
        if (*proxy).flags & FLAG_WEAK_UNIVERSAL == 0 {
            fields[5] = (*proxy).object;
        }
        if (*proxy).is_weak == 0 {
            fields[6] = (*proxy).link.strong_extra;
        }
        for field in fields {
            if !field.is_null() {
                let status = visit(field, arg);
                if status != 0 {
                    return status;
                }
            }
        }
    }
    0
}

/// `tp_clear`: break reference cycles through the proxy. The cleanup hook
/// has run by then (the collector finalizes before it clears).
pub unsafe extern "C" fn clear(object: *mut PyObject) -> c_int {
    // SAFETY: the collector passes a live proxy.
    unsafe { clear_fields(object.cast()) };
    0
}
