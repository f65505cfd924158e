//! Special methods of the proxy type for the protocols Python looks up on
//! the type instead of through a slot: context managers, `round`,
//! `math.trunc/floor/ceil`, `reversed`, `format`, `bytes`, `complex`,
//! `os.fspath`, `dir`, and the pickling hooks, which always refuse.
//! Each checks the interface under its own name, like a slot.

use crate::encapsulation;
use crate::errors;
use crate::ffi::{self, PyObject, Py_ssize_t};
use crate::interface;
use crate::layout::MxProxyObject;
use crate::names::{name, Name};
use crate::operators::call_special;
use crate::owned::{into_result, Fallible, Owned, PyErrSet};
use crate::proxy::resolve;
use crate::slots::{forwarded, open};
use crate::state::shared;

type Arguments<'a> = &'a [*mut PyObject];

unsafe fn arguments<'a>(args: *mut *mut PyObject, count: Py_ssize_t) -> Arguments<'a> {
    if count <= 0 || args.is_null() {
        return &[];
    }
    // SAFETY: a METH_FASTCALL function receives `count` argument pointers.
    unsafe { std::slice::from_raw_parts(args, count as usize) }
}

fn expect_count(method: &str, given: usize, minimum: usize, maximum: usize) -> Fallible<()> {
    if given < minimum || given > maximum {
        let expected = if minimum == maximum {
            format!("exactly {minimum}")
        } else {
            format!("from {minimum} to {maximum}")
        };
        return Err(errors::type_error(&format!("{method}() takes {expected} arguments ({given} given)")));
    }
    Ok(())
}

/// Call the special method `method` of the wrapped object with `arguments`
/// and pass the result through the encapsulation rules.
unsafe fn forward_special(object: *mut PyObject, method: Name, arguments: Arguments) -> Fallible<Owned> {
    // SAFETY: object is a live proxy and arguments live objects.
    unsafe {
        let (proxy, wrapped) = open(object, &[method])?;
        let result = call_special(wrapped.as_ptr(), method, arguments);
        let result = missing_protocol(result, method, &wrapped);
        let result = forwarded(proxy, &wrapped, result)?;
        encapsulation::wrap_result(proxy, wrapped.as_ptr(), result)
    }
}

/// Raise what the interpreter raises for a `with` or `async with` on an
/// object without the method: AttributeError before Python 3.11,
/// TypeError since. `call_special` returns NotImplemented for a missing
/// method.
unsafe fn missing_protocol(result: *mut PyObject, method: Name, wrapped: &Owned) -> *mut PyObject {
    // SAFETY: result is a new reference or NULL.
    unsafe {
        if result.is_null() || !ffi::is_not_implemented(result) {
            return result;
        }
        ffi::Py_DECREF(result);
        if !cfg!(Py_3_11) {
            ffi::PyErr_SetObject(ffi::PyExc_AttributeError, name(method));
            return std::ptr::null_mut();
        }
        let protocol = match method {
            Name::Aenter | Name::Aexit => "asynchronous context manager",
            _ => "context manager",
        };
        errors::type_error(&format!(
            "'{}' object does not support the {protocol} protocol",
            errors::type_name(wrapped.as_ptr())
        ));
        std::ptr::null_mut()
    }
}

/// Call `callable(wrapped, *arguments)`, a built-in that implements the
/// protocol with all of Python's own fallbacks.
unsafe fn forward_builtin(object: *mut PyObject, method: Name, callable: *mut PyObject, arguments: Arguments) -> Fallible<Owned> {
    // SAFETY: object is a live proxy; callable a live built-in.
    unsafe {
        let (proxy, wrapped) = open(object, &[method])?;
        let mut stack = Vec::with_capacity(arguments.len() + 1);
        stack.push(wrapped.as_ptr());
        stack.extend_from_slice(arguments);
        let result = ffi::PyObject_Vectorcall(callable, stack.as_ptr(), stack.len(), std::ptr::null_mut());
        forwarded(proxy, &wrapped, result)
    }
}

macro_rules! fastcall_method {
    ($function:ident, |$object:ident, $arguments:ident| $body:expr) => {
        pub unsafe extern "C" fn $function(
            $object: *mut PyObject,
            args: *mut *mut PyObject,
            count: Py_ssize_t,
        ) -> *mut PyObject {
            // SAFETY: the interpreter calls this as a METH_FASTCALL method of a
            // live proxy.
            unsafe {
                let $arguments = arguments(args, count);
                into_result($body)
            }
        }
    };
}

fastcall_method!(enter, |object, args| expect_count("__enter__", args.len(), 0, 0)
    .and_then(|_| forward_special(object, Name::Enter, args)));
fastcall_method!(exit, |object, args| expect_count("__exit__", args.len(), 3, 3)
    .and_then(|_| forward_special(object, Name::Exit, args)));
fastcall_method!(aenter, |object, args| expect_count("__aenter__", args.len(), 0, 0).and_then(|_| {
    let (proxy, wrapped) = open(object, &[Name::Aenter])?;
    let result = call_special(wrapped.as_ptr(), Name::Aenter, &[]);
    let result = forwarded(proxy, &wrapped, missing_protocol(result, Name::Aenter, &wrapped))?;
    encapsulation::await_through_proxy(proxy, wrapped.as_ptr(), result)
}));
fastcall_method!(aexit, |object, args| expect_count("__aexit__", args.len(), 3, 3)
    .and_then(|_| forward_special(object, Name::Aexit, args)));
fastcall_method!(round, |object, args| expect_count("__round__", args.len(), 0, 1)
    .and_then(|_| forward_builtin(object, Name::Round, shared().builtin_round, args)));
fastcall_method!(trunc, |object, args| expect_count("__trunc__", args.len(), 0, 0)
    .and_then(|_| forward_builtin(object, Name::Trunc, shared().math_trunc, args)));
fastcall_method!(floor, |object, args| expect_count("__floor__", args.len(), 0, 0)
    .and_then(|_| forward_builtin(object, Name::Floor, shared().math_floor, args)));
fastcall_method!(ceil, |object, args| expect_count("__ceil__", args.len(), 0, 0)
    .and_then(|_| forward_builtin(object, Name::Ceil, shared().math_ceil, args)));
fastcall_method!(complex, |object, args| expect_count("__complex__", args.len(), 0, 0).and_then(|_| complex_number(object)));
fastcall_method!(format, |object, args| expect_count("__format__", args.len(), 1, 1).and_then(|_| {
    let (proxy, wrapped) = open(object, &[Name::Format])?;
    forwarded(proxy, &wrapped, ffi::PyObject_Format(wrapped.as_ptr(), args[0]))
}));
fastcall_method!(bytes, |object, args| expect_count("__bytes__", args.len(), 0, 0)
    .and_then(|_| forward_builtin(object, Name::Bytes, (&raw mut ffi::PyBytes_Type).cast(), args)));
fastcall_method!(fspath, |object, args| expect_count("__fspath__", args.len(), 0, 0).and_then(|_| {
    let (proxy, wrapped) = open(object, &[Name::Fspath])?;
    forwarded(proxy, &wrapped, ffi::PyOS_FSPath(wrapped.as_ptr()))
}));
fastcall_method!(reversed, |object, args| expect_count("__reversed__", args.len(), 0, 0)
    .and_then(|_| reversed_iterator(object)));
fastcall_method!(dir, |object, args| expect_count("__dir__", args.len(), 0, 0).and_then(|_| directory(object)));
fastcall_method!(reduce, |_object, _args| Err::<Owned, _>(errors::type_error(
    "cannot pickle or copy 'Proxy' object: a proxy never serialises the object it wraps"
)));

/// `complex(p)`: under `__complex__`, else, as Python does for an object
/// without `__complex__`, from its float under `__float__` or its index
/// under `__index__`.
unsafe fn complex_number(object: *mut PyObject) -> Fallible<Owned> {
    // SAFETY: object is a live proxy.
    unsafe {
        let proxy = object.cast::<MxProxyObject>();
        let wrapped = resolve(proxy)?;
        let complex_type = shared().complex_type;
        if interface::grants_operation(proxy, &[Name::Complex])? {
            return forwarded(proxy, &wrapped, ffi::PyObject_CallOneArg(complex_type, wrapped.as_ptr()));
        }
        let methods = (*ffi::type_of(wrapped.as_ptr())).tp_as_number;
        let has_float = !methods.is_null() && (*methods).nb_float.is_some();
        if interface::grants_operation(proxy, &[Name::Float])? && has_float {
            let real = forwarded(proxy, &wrapped, ffi::PyNumber_Float(wrapped.as_ptr()))?;
            return Owned::from_new(ffi::PyObject_CallOneArg(complex_type, real.as_ptr()));
        }
        if interface::grants_operation(proxy, &[Name::Index])? && crate::slots::has_index(wrapped.as_ptr()) {
            let index = crate::slots::exact_index(proxy, &wrapped)?;
            return Owned::from_new(ffi::PyObject_CallOneArg(complex_type, index.as_ptr()));
        }
        Err(errors::operation_denied(Name::Complex))
    }
}

/// `reversed(p)`: the object's reverse iterator under `__reversed__`;
/// without it, the items read backwards under `__len__` and `__getitem__`.
unsafe fn reversed_iterator(object: *mut PyObject) -> Fallible<Owned> {
    // SAFETY: object is a live proxy.
    unsafe {
        let proxy = object.cast::<MxProxyObject>();
        let wrapped = resolve(proxy)?;
        if interface::grants_operation(proxy, &[Name::Reversed])? {
            let iterator = forwarded(
                proxy,
                &wrapped,
                ffi::PyObject_CallOneArg(shared().builtin_reversed, wrapped.as_ptr()),
            )?;
            return encapsulation::hide_iterator(proxy, wrapped.as_ptr(), iterator);
        }
        if !interface::grants_operation(proxy, &[Name::Len])? || !interface::grants_operation(proxy, &[Name::Getitem])? {
            return Err(errors::operation_denied(Name::Reversed));
        }
        let length = ffi::PyObject_Size(wrapped.as_ptr());
        if length < 0 {
            return Err(encapsulation::failed(proxy, wrapped.as_ptr()));
        }
        // Read the items lazily, last first, through the proxy's own
        // `__getitem__`, which is a call-only proxy of the object's method.
        let getitem = crate::proxy::get_attribute(proxy, name(Name::Getitem))?;
        let indices = Owned::from_new(ffi::PyObject_CallFunction(
            shared().builtin_range,
            c"nnn".as_ptr(),
            length - 1,
            -1 as Py_ssize_t,
            -1 as Py_ssize_t,
        ))?;
        let arguments = [getitem.as_ptr(), indices.as_ptr()];
        Owned::from_new(ffi::PyObject_Vectorcall(shared().builtin_map, arguments.as_ptr(), 2, std::ptr::null_mut()))
    }
}

/// The names of the proxy's own methods, which `dir()` always lists.
pub const PROXY_METHOD_NAMES: [&std::ffi::CStr; 4] =
    [c"proxy_defunct", c"proxy_getattr", c"proxy_object", c"proxy_setattr"];

/// `dir(p)`: with `__dir__` granted, the wrapped object's names that the
/// interface grants; always the proxy's own methods.
unsafe fn directory(object: *mut PyObject) -> Fallible<Owned> {
    // SAFETY: object is a live proxy.
    unsafe {
        let proxy = object.cast::<MxProxyObject>();
        let result = Owned::from_new(ffi::PyList_New(0))?;
        for own in PROXY_METHOD_NAMES {
            let text = Owned::from_new(ffi::PyUnicode_FromString(own.as_ptr()))?;
            if ffi::PyList_Append(result.as_ptr(), text.as_ptr()) < 0 {
                return Err(PyErrSet);
            }
        }
        let wrapped = resolve(proxy)?;
        if !interface::grants_operation(proxy, &[Name::Dir])? {
            return Ok(result);
        }
        let names = forwarded(proxy, &wrapped, ffi::PyObject_Dir(wrapped.as_ptr()))?;
        let iterator = Owned::from_new(ffi::PyObject_GetIter(names.as_ptr()))?;
        loop {
            let item = ffi::PyIter_Next(iterator.as_ptr());
            if item.is_null() {
                break;
            }
            let item = Owned::from_new(item)?;
            if ffi::PyUnicode_Check(item.as_ptr()) == 0 {
                continue;
            }
            let item = Owned::from_new(ffi::PyUnicode_FromObject(item.as_ptr()))?;
            if crate::proxy::is_proxy_name(item.as_ptr()) {
                continue;
            }
            if interface::grants_attribute(proxy, item.as_ptr())? && ffi::PyList_Append(result.as_ptr(), item.as_ptr()) < 0 {
                return Err(PyErrSet);
            }
        }
        if !ffi::PyErr_Occurred().is_null() {
            return Err(PyErrSet);
        }
        Ok(result)
    }
}

