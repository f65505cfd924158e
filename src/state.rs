//! Module-wide state: the exception classes, shared objects created at
//! import, and the traceback switch. Everything here is touched only with
//! the GIL held, which is what makes the `Sync` wrapper below sound.

use std::cell::UnsafeCell;

use crate::ffi::{PyObject, PyTypeObject};

/// A static that is read and written only by threads holding the GIL.
pub struct GilCell<T>(UnsafeCell<T>);

// SAFETY: every access goes through `get`/`get_mut`, whose callers hold the
// GIL, so no two threads touch the value at once.
unsafe impl<T> Sync for GilCell<T> {}

impl<T> GilCell<T> {
    pub const fn new(value: T) -> GilCell<T> {
        GilCell(UnsafeCell::new(value))
    }

    /// A raw pointer to the value, for statics whose address the C API
    /// keeps (type objects).
    pub const fn as_ptr(&self) -> *mut T {
        self.0.get()
    }

    /// The caller holds the GIL and no `get_mut` borrow is alive.
    #[inline(always)]
    pub unsafe fn get(&self) -> &T {
        // SAFETY: per the contract above.
        unsafe { &*self.0.get() }
    }

    /// The caller holds the GIL, keeps the borrow short and calls no
    /// Python code while it is alive.
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn get_mut(&self) -> &mut T {
        // SAFETY: per the contract above.
        unsafe { &mut *self.0.get() }
    }
}

/// Objects created once at import and kept for the life of the process.
pub struct Shared {
    pub access_error: *mut PyObject,
    pub operation_access_error: *mut PyObject,
    pub lost_reference_error: *mut PyObject,
    pub internal_error: *mut PyObject,
    /// frozenset({"__call__"}): the interface of call-only method proxies.
    pub call_only_interface: *mut PyObject,
    /// Interfaces of the proxies that stand in for iterators, generators,
    /// coroutines and async generators handed out by restricted proxies.
    pub iterator_interface: *mut PyObject,
    pub generator_interface: *mut PyObject,
    pub coroutine_interface: *mut PyObject,
    pub async_generator_interface: *mut PyObject,
    /// Built-in callables that some protocols forward to.
    pub builtin_round: *mut PyObject,
    pub builtin_reversed: *mut PyObject,
    pub builtin_range: *mut PyObject,
    pub builtin_map: *mut PyObject,
    pub math_trunc: *mut PyObject,
    pub math_floor: *mut PyObject,
    pub math_ceil: *mut PyObject,
    pub complex_type: *mut PyObject,
    pub coroutine_wrapper_type: *mut PyTypeObject,
    /// The type of bound slot wrappers such as `[].__len__`.
    pub method_wrapper_type: *mut PyTypeObject,
    /// `async def (awaitable, wrapped, proxy)`: awaits and returns the
    /// result, with `wrapped` replaced by `proxy`.
    pub awaited_through_proxy: *mut PyObject,
    /// A class that defines every operator in Python: its slots are
    /// CPython's trampolines to Python methods, for recognising such types.
    pub python_methods_type: *mut PyTypeObject,
    /// `BaseExceptionGroup` on Python 3.11 and later, else NULL.
    pub exception_group_type: *mut PyObject,
    /// The awaitables of async generators' `asend()` and `athrow()`.
    pub async_generator_asend_type: *mut PyTypeObject,
    pub async_generator_athrow_type: *mut PyTypeObject,
    pub keep_tracebacks: bool,
}

pub static SHARED: GilCell<Shared> = GilCell::new(Shared {
    access_error: std::ptr::null_mut(),
    operation_access_error: std::ptr::null_mut(),
    lost_reference_error: std::ptr::null_mut(),
    internal_error: std::ptr::null_mut(),
    call_only_interface: std::ptr::null_mut(),
    iterator_interface: std::ptr::null_mut(),
    generator_interface: std::ptr::null_mut(),
    coroutine_interface: std::ptr::null_mut(),
    async_generator_interface: std::ptr::null_mut(),
    builtin_round: std::ptr::null_mut(),
    builtin_reversed: std::ptr::null_mut(),
    builtin_range: std::ptr::null_mut(),
    builtin_map: std::ptr::null_mut(),
    math_trunc: std::ptr::null_mut(),
    math_floor: std::ptr::null_mut(),
    math_ceil: std::ptr::null_mut(),
    complex_type: std::ptr::null_mut(),
    coroutine_wrapper_type: std::ptr::null_mut(),
    method_wrapper_type: std::ptr::null_mut(),
    awaited_through_proxy: std::ptr::null_mut(),
    python_methods_type: std::ptr::null_mut(),
    exception_group_type: std::ptr::null_mut(),
    async_generator_asend_type: std::ptr::null_mut(),
    async_generator_athrow_type: std::ptr::null_mut(),
    keep_tracebacks: false,
});

/// The shared objects; valid after module import.
#[inline(always)]
pub fn shared() -> &'static Shared {
    // SAFETY: filled at import under the GIL; later writes touch only
    // `keep_tracebacks`, also under the GIL.
    unsafe { SHARED.get() }
}
