//! mx.Proxy.mxProxy.mxProxy: access-controlled proxies, universal weak
//! references and the cleanup protocol, on CPython's C API.
//!
//! Where to look:
//! - `layout`: the object layout bound to include/mxProxy.h;
//! - `proxy_type`: the type object and its slot tables;
//! - `proxy`: creation, the attribute rules and the `proxy_*` methods;
//! - `interface`: building and checking interfaces;
//! - `hooks`: looking up the `__public_*__` and `__cleanup__` hooks;
//! - `slots`, `operators`, `protocols`: the forwarded operations;
//! - `encapsulation`: what a proxy never hands out;
//! - `weak`: weak proxies and the universal registry;
//! - `lifetime`: cleanup hook, deallocation, garbage collection;
//! - `capi`: the C API capsule;
//! - `module` (this file): module functions and initialisation.

mod capi;
mod encapsulation;
mod errors;
mod ffi;
mod hooks;
mod interface;
mod layout;
mod lifetime;
mod module;
mod names;
mod operators;
mod owned;
mod protocols;
mod proxy;
mod proxy_type;
mod slots;
mod state;
mod weak;

/// The module's entry point, called by the import system.
///
/// # Safety
///
/// Called only by CPython's import machinery, with the GIL held.
#[no_mangle]
pub unsafe extern "C" fn PyInit_mxProxy() -> *mut ffi::PyObject {
    // SAFETY: the import system calls this with the GIL held.
    unsafe { module::init() }
}
