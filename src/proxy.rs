//! Proxy objects: creation, the attribute rules, the `proxy_*` methods and
//! `repr`. The type object itself is in `proxy_type.rs`, the forwarded
//! operations in `slots.rs`, `operators.rs` and `protocols.rs`.

use std::ffi::c_uint;

use crate::encapsulation;
use crate::hooks;
use crate::errors;
use crate::ffi::{self, PyObject, PyTypeObject};
use crate::interface::{self, Interface};
use crate::layout::*;
use crate::names::{name, Name};
use crate::owned::{Fallible, Owned, PyErrSet};
use crate::proxy_type::proxy_type;
use crate::weak;

/// The proxy behind `object` if it is one (of either kind), else None.
#[inline(always)]
pub unsafe fn as_proxy(object: *mut PyObject) -> Option<*mut MxProxyObject> {
    // SAFETY: object is live; ProxyType cannot be subclassed, so an exact
    // type check identifies every proxy.
    unsafe {
        if ffi::type_of(object) == proxy_type() {
            Some(object.cast())
        } else {
            None
        }
    }
}

#[inline(always)]
pub unsafe fn flags(proxy: *mut MxProxyObject) -> c_uint {
    // SAFETY: proxy is live.
    unsafe { (*proxy).flags }
}

#[inline(always)]
pub unsafe fn is_restricted(proxy: *mut MxProxyObject) -> bool {
    // SAFETY: proxy is live.
    unsafe { flags(proxy) & FLAG_RESTRICTED != 0 }
}

/// The wrapped object of a proxy, held for the length of one forwarded
/// operation. When the wrapped object is itself a proxy, forwarding
/// recurses in C, so the operation counts against Python's recursion limit
/// and a very deep chain of proxies raises RecursionError instead of
/// overflowing the C stack.
pub struct Wrapped {
    object: Owned,
    guarded: bool,
}

impl Wrapped {
    /// The wrapped object as a plain reference, ending the recursion count.
    pub fn into_owned(self) -> Owned {
        let object = self.object.clone();
        drop(self);
        object
    }

    /// An operand that is not a proxy's object: nothing to count.
    pub fn unguarded(object: Owned) -> Wrapped {
        Wrapped { object, guarded: false }
    }
}

impl std::ops::Deref for Wrapped {
    type Target = Owned;

    #[inline(always)]
    fn deref(&self) -> &Owned {
        &self.object
    }
}

impl Drop for Wrapped {
    #[inline(always)]
    fn drop(&mut self) {
        if self.guarded {
            // SAFETY: matches the Py_EnterRecursiveCall in `guard`.
            unsafe { ffi::Py_LeaveRecursiveCall() };
        }
    }
}

#[inline(always)]
unsafe fn guard(object: Owned) -> Fallible<Wrapped> {
    // SAFETY: object is live.
    unsafe {
        if ffi::type_of(object.as_ptr()) != proxy_type() {
            return Ok(Wrapped { object, guarded: false });
        }
        if ffi::Py_EnterRecursiveCall(c" while forwarding through nested proxies".as_ptr()) != 0 {
            return Err(PyErrSet);
        }
        Ok(Wrapped { object, guarded: true })
    }
}

/// The wrapped object, or LostReferenceError for a weak proxy whose object
/// is gone.
#[inline(always)]
pub unsafe fn resolve(proxy: *mut MxProxyObject) -> Fallible<Wrapped> {
    // SAFETY: proxy is live; a strong proxy's object is set from creation
    // until tp_clear, which only runs on unreachable proxies.
    unsafe {
        if (*proxy).flags & FLAG_WEAK == 0 {
            let object = (*proxy).object;
            if object.is_null() {
                return Err(errors::lost_reference());
            }
            return guard(Owned::from_borrowed(object));
        }
        guard(weak::resolve(proxy)?)
    }
}

/// Allocate a proxy with every field zeroed and track it in the garbage
/// collector, which is safe at once because traversal skips NULL fields.
/// Freed proxies are kept on a free list for reuse (see `lifetime`).
#[inline(always)]
pub unsafe fn allocate() -> Fallible<*mut MxProxyObject> {
    // SAFETY: a block from the free list is an untracked proxy whose
    // references were all dropped; see `lifetime::recycle`.
    unsafe {
        if let Some(block) = crate::lifetime::reuse() {
            return Ok(block);
        }
        let object = ffi::PyType_GenericAlloc(proxy_type(), 0);
        if object.is_null() {
            Err(PyErrSet)
        } else {
            Ok(object.cast())
        }
    }
}

/// True for bound methods and built-in functions, which a strong proxy
/// wraps without looking up hooks (as the original module did). None of
/// these types can be subclassed, so exact type checks suffice.
#[inline(always)]
pub unsafe fn is_method_like(object: *mut PyObject) -> bool {
    // SAFETY: object is live; comparing type addresses.
    unsafe {
        let type_ = ffi::type_of(object);
        type_ == &raw mut ffi::PyMethod_Type
            || type_ == &raw mut ffi::PyCFunction_Type
            || type_ == &raw mut ffi::PyCMethod_Type
            || type_ == crate::state::shared().method_wrapper_type
    }
}

/// Bind a descriptor found on `type_` to `object`, as attribute lookup does.
pub unsafe fn bind(descriptor: Owned, object: *mut PyObject, type_: *mut PyTypeObject) -> Fallible<Owned> {
    // SAFETY: descriptor is live; tp_descr_get follows the C API contract.
    unsafe {
        match (*ffi::type_of(descriptor.as_ptr())).tp_descr_get {
            Some(get) => Owned::from_new(get(descriptor.as_ptr(), object, type_.cast())),
            None => Ok(descriptor),
        }
    }
}

/// Store the interface and the pass object (NULL or None: not given) of a
/// new proxy of either kind.
pub unsafe fn set_access(proxy: *mut MxProxyObject, interface: Option<Interface>, passobj: *mut PyObject) {
    // SAFETY: proxy is a new proxy whose interface and passobj are NULL.
    unsafe {
        if let Some(interface) = interface {
            (*proxy).flags |= interface.flags | FLAG_RESTRICTED;
            (*proxy).interface = interface.table.into_raw();
        }
        if !passobj.is_null() && passobj != ffi::Py_None() {
            (*proxy).passobj = ffi::Py_NewRef(passobj);
        }
    }
}

/// Build a strong proxy, binding the object's hooks unless the object is a
/// bound method or built-in function.
pub unsafe fn new_strong(
    object: *mut PyObject,
    interface: Option<Interface>,
    passobj: *mut PyObject,
) -> Fallible<Owned> {
    // SAFETY: object and passobj are live or NULL (passobj); the fields are
    // filled before anything can observe the proxy except the garbage
    // collector, whose traversal handles NULL fields.
    unsafe {
        let proxy = allocate()?;
        let result = Owned::from_new(proxy.cast())?;
        (*proxy).object = ffi::Py_NewRef(object);
        set_access(proxy, interface, passobj);
        if !is_method_like(object) {
            let type_ = ffi::type_of(object);
            let [getattr, setattr, delattr, cleanup] = hooks::descriptors(type_);
            if let Some(descriptor) = getattr {
                (*proxy).public_getattr = bind(descriptor, object, type_)?.into_raw();
            }
            if let Some(descriptor) = setattr {
                (*proxy).public_setattr = bind(descriptor, object, type_)?.into_raw();
            }
            if let Some(descriptor) = delattr {
                (*proxy).link.strong_extra = bind(descriptor, object, type_)?.into_raw();
                (*proxy).flags |= FLAG_HAS_DELATTR;
            }
            if let Some(descriptor) = cleanup {
                (*proxy).cleanup = bind(descriptor, object, type_)?.into_raw();
            }
        }
        Ok(result)
    }
}

/// A proxy granting `table` (a shared frozenset) around an object the
/// module hands out on behalf of `origin`: an iterator, a generator, a
/// coroutine. It is restricted, looks up no hooks, refuses writes, and
/// hands back `origin` wherever a result is the origin's wrapped object
/// (an iterator over a container that yields the container itself).
/// With a NULL origin it only hides the object.
pub unsafe fn new_restricted_wrapper(object: Owned, table: *mut PyObject, origin: *mut MxProxyObject) -> Fallible<Owned> {
    // SAFETY: as in new_strong; table is one of the module's frozensets and
    // origin a live proxy.
    unsafe {
        let proxy = allocate()?;
        let result = Owned::from_new(proxy.cast())?;
        (*proxy).object = object.into_raw();
        (*proxy).interface = ffi::Py_NewRef(table);
        (*proxy).flags = FLAG_RESTRICTED | FLAG_HAS_ORIGIN;
        if !origin.is_null() {
            (*proxy).link.strong_extra = ffi::Py_NewRef(origin.cast());
        }
        Ok(result)
    }
}

/// The parsed arguments of `Proxy()`, `WeakProxy()` and `ProxyType()`,
/// all borrowed; NULL for arguments not given.
pub struct Arguments {
    pub object: *mut PyObject,
    pub interface: *mut PyObject,
    pub passobj: *mut PyObject,
}

const PARAMETERS: [&str; 3] = ["object", "interface", "passobj"];

/// Parse `(object, interface=None, passobj=None)` from a vectorcall.
pub unsafe fn parse_arguments(
    function: &str,
    args: *const *mut PyObject,
    positional: usize,
    keyword_names: *mut PyObject,
) -> Fallible<Arguments> {
    let mut values: [*mut PyObject; 3] = [std::ptr::null_mut(); 3];
    // SAFETY: args holds `positional` objects followed by one per keyword
    // name; keyword_names is NULL or a tuple of str.
    unsafe {
        if positional > 3 {
            return Err(errors::type_error(&format!(
                "{function}() takes at most 3 arguments ({positional} given)"
            )));
        }
        for (index, value) in values.iter_mut().enumerate().take(positional) {
            *value = *args.add(index);
        }
        if !keyword_names.is_null() {
            let count = ffi::PyTuple_GET_SIZE(keyword_names) as usize;
            for keyword in 0..count {
                let keyword_name = ffi::PyTuple_GET_ITEM(keyword_names, keyword as ffi::Py_ssize_t);
                let value = *args.add(positional + keyword);
                assign_keyword(function, &mut values, keyword_name, value)?;
            }
        }
    }
    finish_arguments(function, values)
}

/// Parse the same arguments from a tuple and a dict, for `tp_new`.
pub unsafe fn parse_tuple_arguments(
    function: &str,
    args: *mut PyObject,
    kwargs: *mut PyObject,
) -> Fallible<Arguments> {
    let mut values: [*mut PyObject; 3] = [std::ptr::null_mut(); 3];
    // SAFETY: args is a tuple and kwargs NULL or a dict, as tp_new receives.
    unsafe {
        let positional = ffi::PyTuple_GET_SIZE(args) as usize;
        if positional > 3 {
            return Err(errors::type_error(&format!(
                "{function}() takes at most 3 arguments ({positional} given)"
            )));
        }
        for (index, value) in values.iter_mut().enumerate().take(positional) {
            *value = ffi::PyTuple_GET_ITEM(args, index as ffi::Py_ssize_t);
        }
        if !kwargs.is_null() {
            let mut position: ffi::Py_ssize_t = 0;
            let mut key = std::ptr::null_mut();
            let mut value = std::ptr::null_mut();
            while ffi::PyDict_Next(kwargs, &mut position, &mut key, &mut value) != 0 {
                assign_keyword(function, &mut values, key, value)?;
            }
        }
    }
    finish_arguments(function, values)
}

unsafe fn assign_keyword(
    function: &str,
    values: &mut [*mut PyObject; 3],
    keyword: *mut PyObject,
    value: *mut PyObject,
) -> Fallible<()> {
    // SAFETY: keyword is a str (CPython checks keyword names are str).
    let text = unsafe { errors::str_text(keyword) };
    let Some(index) = PARAMETERS.iter().position(|parameter| *parameter == text) else {
        return Err(errors::type_error(&format!(
            "{function}() got an unexpected keyword argument '{text}'"
        )));
    };
    if !values[index].is_null() {
        return Err(errors::type_error(&format!(
            "{function}() got multiple values for argument '{text}'"
        )));
    }
    values[index] = value;
    Ok(())
}

fn finish_arguments(function: &str, values: [*mut PyObject; 3]) -> Fallible<Arguments> {
    if values[0].is_null() {
        return Err(errors::type_error(&format!(
            "{function}() missing required argument 'object' (pos 1)"
        )));
    }
    Ok(Arguments { object: values[0], interface: values[1], passobj: values[2] })
}

/// Build a strong proxy from parsed arguments.
pub unsafe fn create_strong(arguments: &Arguments) -> Fallible<Owned> {
    // SAFETY: the arguments are live borrowed objects or NULL.
    unsafe {
        let interface = interface::build(arguments.interface)?;
        new_strong(arguments.object, interface, arguments.passobj)
    }
}

/// The kind of an attribute name under the attribute rules.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// Goes to the wrapped object under the interface.
    Forwarded,
    /// Starts with `proxy_`: the proxy's own, never forwarded.
    ProxyOwn,
    /// A name pickling and copying look up. The proxy handles it itself,
    /// so no wrapped object's state is ever serialised.
    Serialisation(Name),
}

const SERIALISATION_NAMES: [Name; 8] = [
    Name::ReduceEx,
    Name::Reduce,
    Name::Copy,
    Name::Deepcopy,
    Name::Getstate,
    Name::Setstate,
    Name::Getnewargs,
    Name::GetnewargsEx,
];

/// Classify a `str` attribute name. Almost every name is decided by its
/// first character.
#[inline(always)]
pub unsafe fn classify(attribute: *mut PyObject) -> NameKind {
    // SAFETY: attribute is a str; a compact ASCII string's data is its own
    // inline buffer of `length` bytes.
    unsafe {
        if ffi::PyUnicode_IS_COMPACT_ASCII(attribute) == 0 {
            // Not ASCII, so not one of the serialisation names; it may still
            // start with "proxy_" (and be any text after it).
            let prefixed = ffi::PyUnicode_Tailmatch(attribute, name(Name::ProxyPrefix), 0, ffi::PY_SSIZE_T_MAX, -1);
            return if prefixed == 1 { NameKind::ProxyOwn } else { NameKind::Forwarded };
        }
        let data = ffi::PyUnicode_DATA(attribute).cast::<u8>().cast_const();
        let length = ffi::PyUnicode_GET_LENGTH(attribute) as usize;
        if length < 6 {
            return NameKind::Forwarded;
        }
        let text = std::slice::from_raw_parts(data, length);
        match text[0] {
            b'p' if text.starts_with(b"proxy_") => NameKind::ProxyOwn,
            b'_' if text[1] == b'_' => SERIALISATION_NAMES
                .iter()
                .copied()
                .find(|candidate| crate::names::text(*candidate).as_bytes() == text)
                .map_or(NameKind::Forwarded, NameKind::Serialisation),
            _ => NameKind::Forwarded,
        }
    }
}

/// True if `attribute` (a str) starts with `proxy_`.
#[inline(always)]
pub unsafe fn is_proxy_name(attribute: *mut PyObject) -> bool {
    // SAFETY: attribute is a str.
    unsafe { classify(attribute) == NameKind::ProxyOwn }
}

/// An attribute name as a plain `str`. A `str` subclass could answer the
/// interface check with one name (through its own `__eq__` and
/// `__hash__`) and then be used as another, so it is copied first.
unsafe fn exact_name(attribute: *mut PyObject) -> Fallible<Owned> {
    // SAFETY: attribute is live.
    unsafe {
        if ffi::PyUnicode_Check(attribute) == 0 {
            return Err(errors::type_error(&format!(
                "attribute name must be str, not {}",
                errors::type_name(attribute)
            )));
        }
        Owned::from_new(ffi::PyUnicode_FromObject(attribute))
    }
}

/// `getattr(proxy, attribute)` under the attribute rules.
#[inline(always)]
pub unsafe fn get_attribute(proxy: *mut MxProxyObject, attribute: *mut PyObject) -> Fallible<Owned> {
    // SAFETY: proxy is live and attribute a live object.
    unsafe {
        if ffi::PyUnicode_CheckExact(attribute) == 0 {
            let exact = exact_name(attribute)?;
            return get_attribute(proxy, exact.as_ptr());
        }
        match classify(attribute) {
            NameKind::Forwarded => {}
            NameKind::ProxyOwn | NameKind::Serialisation(Name::ReduceEx | Name::Reduce) => {
                return Owned::from_new(ffi::PyObject_GenericGetAttr(proxy.cast(), attribute));
            }
            NameKind::Serialisation(_) => {
                return Err(errors::access_error(&format!(
                    "attribute read access ({}) denied: proxies cannot be copied or pickled",
                    errors::str_text(attribute)
                )));
            }
        }
        let flags = (*proxy).flags;
        if flags & FLAG_HAS_ORIGIN != 0 && attribute == name(Name::Class) {
            return class_of_hidden_object(proxy, attribute);
        }
        if flags & (FLAG_WEAK | FLAG_UNBOUND_METHOD) == 0 && (*proxy).public_getattr.is_null() {
            return get_strong_attribute(proxy, attribute);
        }
        let object = if flags & FLAG_UNBOUND_METHOD != 0 {
            Wrapped::unguarded(encapsulation::bound_target(proxy)?)
        } else {
            resolve(proxy)?
        };
        if !interface::grants_attribute(proxy, attribute)? {
            return Err(errors::read_denied(attribute));
        }
        let value = if flags & FLAG_WEAK != 0 {
            match hooks::bound_hook(object.as_ptr(), hooks::GETATTR)? {
                Some(hook) => ffi::PyObject_CallOneArg(hook.as_ptr(), attribute),
                None => ffi::PyObject_GetAttr(object.as_ptr(), attribute),
            }
        } else if !(*proxy).public_getattr.is_null() {
            ffi::PyObject_CallOneArg((*proxy).public_getattr, attribute)
        } else {
            ffi::PyObject_GetAttr(object.as_ptr(), attribute)
        };
        match Owned::from_new(value) {
            Ok(value) => encapsulation::wrap_result(proxy, object.as_ptr(), value),
            Err(PyErrSet) => Err(encapsulation::failed(proxy, object.as_ptr())),
        }
    }
}

/// `__class__` of a proxy the module made around an iterator, generator or
/// coroutine: the type when it is a built-in one, so isinstance() checks
/// against the abstract base classes (asyncio's coroutine test among them)
/// work; denied for a class written in Python, whose methods and globals
/// would lead back to trusted code.
unsafe fn class_of_hidden_object(proxy: *mut MxProxyObject, attribute: *mut PyObject) -> Fallible<Owned> {
    // SAFETY: proxy is a live module-made proxy.
    unsafe {
        let object = resolve(proxy)?;
        let type_ = ffi::type_of(object.as_ptr());
        if ffi::is_heap_type(type_) {
            return Err(errors::read_denied(attribute));
        }
        Ok(Owned::from_borrowed(type_.cast()))
    }
}

/// The common case: a strong proxy without a read hook. A method is looked
/// up the way the interpreter looks up a method to call, so reading
/// `p.method` creates no bound method: the call-only proxy holds the
/// function and binds the object when it is called.
#[inline(always)]
unsafe fn get_strong_attribute(proxy: *mut MxProxyObject, attribute: *mut PyObject) -> Fallible<Owned> {
    // SAFETY: proxy is a live strong proxy, attribute a str.
    unsafe {
        let object = (*proxy).object;
        if object.is_null() {
            return Err(errors::lost_reference());
        }
        if !interface::grants_attribute(proxy, attribute)? {
            return Err(errors::read_denied(attribute));
        }
        let object = guard(Owned::from_borrowed(object))?;
        let mut found: *mut PyObject = std::ptr::null_mut();
        let unbound = ffi::_PyObject_GetMethod(object.as_ptr(), attribute, &mut found);
        let Ok(found) = Owned::from_new(found) else {
            return Err(encapsulation::failed(proxy, object.as_ptr()));
        };
        if unbound == 1 {
            return encapsulation::new_unbound_method(found, proxy);
        }
        encapsulation::wrap_result(proxy, object.as_ptr(), found)
    }
}

/// `setattr(proxy, attribute, value)`, or `delattr` when value is NULL.
pub unsafe fn set_attribute(
    proxy: *mut MxProxyObject,
    attribute: *mut PyObject,
    value: *mut PyObject,
) -> Fallible<()> {
    // SAFETY: proxy is live, attribute and value live or value NULL.
    unsafe {
        if ffi::PyUnicode_CheckExact(attribute) == 0 {
            let exact = exact_name(attribute)?;
            return set_attribute(proxy, exact.as_ptr(), value);
        }
        // Proxies the module makes itself (call-only methods, iterators,
        // generators) only hand things out; nothing is written through them.
        if is_proxy_name(attribute) || (*proxy).flags & (FLAG_CALL_ONLY | FLAG_HAS_ORIGIN) != 0 {
            return Err(errors::write_denied(attribute));
        }
        let object = if (*proxy).flags & FLAG_UNBOUND_METHOD != 0 {
            Wrapped::unguarded(encapsulation::bound_target(proxy)?)
        } else {
            resolve(proxy)?
        };
        if !interface::grants_attribute(proxy, attribute)? {
            return Err(errors::write_denied(attribute));
        }
        let weak = (*proxy).flags & FLAG_WEAK != 0;
        let setattr_hook = if weak {
            hooks::bound_hook(object.as_ptr(), hooks::SETATTR)?
        } else {
            let hook = (*proxy).public_setattr;
            (!hook.is_null()).then(|| Owned::from_borrowed(hook))
        };
        let status = if !value.is_null() {
            match setattr_hook {
                Some(hook) => call_status(ffi::PyObject_CallFunctionObjArgs(
                    hook.as_ptr(),
                    attribute,
                    value,
                    std::ptr::null_mut::<PyObject>(),
                )),
                None => ffi::PyObject_SetAttr(object.as_ptr(), attribute, value),
            }
        } else {
            let delattr_hook = if weak {
                hooks::bound_hook(object.as_ptr(), hooks::DELATTR)?
            } else if (*proxy).flags & FLAG_HAS_DELATTR != 0 {
                Some(Owned::from_borrowed((*proxy).link.strong_extra))
            } else {
                None
            };
            match (delattr_hook, setattr_hook) {
                (Some(hook), _) => call_status(ffi::PyObject_CallOneArg(hook.as_ptr(), attribute)),
                (None, Some(_)) => {
                    return Err(errors::access_error(&format!(
                        "attribute deletion ({}) denied: the object controls writes with __public_setattr__ and defines no __public_delattr__",
                        errors::str_text(attribute)
                    )));
                }
                (None, None) => ffi::PyObject_DelAttr(object.as_ptr(), attribute),
            }
        };
        if status < 0 {
            return Err(encapsulation::failed(proxy, object.as_ptr()));
        }
        Ok(())
    }
}

unsafe fn call_status(result: *mut PyObject) -> std::ffi::c_int {
    if result.is_null() {
        -1
    } else {
        // SAFETY: result is a new reference we do not need.
        unsafe { ffi::Py_DECREF(result) };
        0
    }
}

/// True if a weak proxy's object is gone (strong proxies: never).
pub unsafe fn is_defunct(proxy: *mut MxProxyObject) -> bool {
    // SAFETY: proxy is live.
    unsafe { (*proxy).flags & FLAG_WEAK != 0 && weak::is_defunct(proxy, true) }
}

/// `repr(proxy)`: the proxy's own, never the wrapped object's.
pub unsafe fn repr(proxy: *mut MxProxyObject) -> *mut PyObject {
    // SAFETY: proxy is live; the defunct test here releases nothing, so
    // repr runs no Python code and cannot fail except on memory.
    unsafe {
        let weak = (*proxy).flags & FLAG_WEAK != 0;
        let text = if !weak {
            format!("<Proxy object at {:p}>\0", proxy)
        } else if weak::is_defunct(proxy, false) {
            format!("<defunct WeakProxy object at {:p}>\0", proxy)
        } else {
            format!("<WeakProxy object at {:p}>\0", proxy)
        };
        ffi::PyUnicode_FromString(text.as_ptr().cast())
    }
}
