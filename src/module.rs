//! The module object: its functions, its exceptions and shared objects,
//! and the hooks it installs (registry check after garbage collection,
//! registry finalization at exit).

use std::ffi::CStr;

use crate::errors;
use crate::ffi::{self, PyMethodDef, PyMethodDefPointer, PyObject, Py_ssize_t};
use crate::layout;
use crate::names::{self, Name};
use crate::owned::{into_result, Fallible, Owned, PyErrSet};
use crate::proxy;
use crate::proxy_type;
use crate::slots;
use crate::state::{GilCell, SHARED};
use crate::weak;

const VERSION: &CStr = match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
    Ok(version) => version,
    Err(_) => panic!("the crate version contains a NUL byte"),
};

unsafe extern "C" fn proxy_function(
    _module: *mut PyObject,
    args: *const *mut PyObject,
    nargsf: Py_ssize_t,
    keyword_names: *mut PyObject,
) -> *mut PyObject {
    // SAFETY: called as METH_FASTCALL | METH_KEYWORDS.
    into_result(unsafe {
        proxy::parse_arguments("Proxy", args, ffi::PyVectorcall_NARGS(nargsf as usize) as usize, keyword_names)
            .and_then(|arguments| proxy::create_strong(&arguments))
    })
}

unsafe extern "C" fn weak_proxy_function(
    _module: *mut PyObject,
    args: *const *mut PyObject,
    nargsf: Py_ssize_t,
    keyword_names: *mut PyObject,
) -> *mut PyObject {
    // SAFETY: called as METH_FASTCALL | METH_KEYWORDS.
    into_result(unsafe {
        proxy::parse_arguments("WeakProxy", args, ffi::PyVectorcall_NARGS(nargsf as usize) as usize, keyword_names)
            .and_then(|arguments| weak::create_weak(&arguments))
    })
}

unsafe fn none() -> *mut PyObject {
    // SAFETY: None is a live singleton.
    unsafe { ffi::Py_NewRef(ffi::Py_None()) }
}

unsafe extern "C" fn checkweakrefs(_module: *mut PyObject, _unused: *mut PyObject) -> *mut PyObject {
    // SAFETY: called with the GIL held.
    unsafe {
        weak::check();
        none()
    }
}

unsafe extern "C" fn initweakrefs(_module: *mut PyObject, _unused: *mut PyObject) -> *mut PyObject {
    // SAFETY: called with the GIL held.
    unsafe {
        weak::initialize();
        none()
    }
}

unsafe extern "C" fn finalizeweakrefs(_module: *mut PyObject, _unused: *mut PyObject) -> *mut PyObject {
    // SAFETY: called with the GIL held.
    unsafe {
        weak::finalize();
        none()
    }
}

unsafe extern "C" fn registry_entries(_module: *mut PyObject, _unused: *mut PyObject) -> *mut PyObject {
    // SAFETY: called with the GIL held.
    unsafe { ffi::PyLong_FromSize_t(weak::entry_count()) }
}

unsafe extern "C" fn set_keep_tracebacks(_module: *mut PyObject, flag: *mut PyObject) -> *mut PyObject {
    // SAFETY: called as METH_O with the GIL held.
    unsafe {
        let keep = ffi::PyObject_IsTrue(flag);
        if keep < 0 {
            return std::ptr::null_mut();
        }
        let shared = SHARED.get_mut();
        let previous = shared.keep_tracebacks;
        shared.keep_tracebacks = keep == 1;
        ffi::PyBool_FromLong(previous.into())
    }
}

unsafe extern "C" fn get_keep_tracebacks(_module: *mut PyObject, _unused: *mut PyObject) -> *mut PyObject {
    // SAFETY: called with the GIL held.
    unsafe { ffi::PyBool_FromLong(SHARED.get().keep_tracebacks.into()) }
}

/// The forwarding table as `((slot, role, (name, ...)), ...)`.
unsafe extern "C" fn forwarding_table(_module: *mut PyObject, _unused: *mut PyObject) -> *mut PyObject {
    // SAFETY: builds new objects; every failure returns NULL.
    into_result(unsafe {
        (|| -> Fallible<Owned> {
            let rows = Owned::from_new(ffi::PyList_New(0))?;
            for row in slots::ROWS.iter().flat_map(|group| group.iter()) {
                let names = Owned::from_new(ffi::PyTuple_New(row.names.len() as Py_ssize_t))?;
                for (index, granted) in row.names.iter().enumerate() {
                    let text = names::name(*granted);
                    ffi::PyTuple_SET_ITEM(names.as_ptr(), index as Py_ssize_t, ffi::Py_NewRef(text));
                }
                let slot = Owned::from_new(ffi::PyUnicode_FromStringAndSize(row.slot.as_ptr().cast(), row.slot.len() as Py_ssize_t))?;
                let role = Owned::from_new(ffi::PyUnicode_FromStringAndSize(row.role.as_ptr().cast(), row.role.len() as Py_ssize_t))?;
                let entry = Owned::from_new(ffi::PyTuple_Pack(3, slot.as_ptr(), role.as_ptr(), names.as_ptr()))?;
                if ffi::PyList_Append(rows.as_ptr(), entry.as_ptr()) < 0 {
                    return Err(PyErrSet);
                }
            }
            Owned::from_new(ffi::PyList_AsTuple(rows.as_ptr()))
        })()
    })
}

unsafe extern "C" fn header_layout(_module: *mut PyObject, _unused: *mut PyObject) -> *mut PyObject {
    // SAFETY: builds new objects.
    unsafe { layout::layout_tables() }
}

unsafe extern "C" fn finalize_at_exit(_module: *mut PyObject, _unused: *mut PyObject) -> *mut PyObject {
    // SAFETY: atexit calls this with the GIL held.
    unsafe {
        weak::finalize();
        none()
    }
}

macro_rules! function {
    ($name:literal, $pointer:expr, $flags:expr, $doc:literal) => {
        PyMethodDef { ml_name: $name.as_ptr(), ml_meth: $pointer, ml_flags: $flags, ml_doc: $doc.as_ptr() }
    };
}

static FUNCTIONS: GilCell<[PyMethodDef; 12]> = GilCell::new([
    function!(c"Proxy", PyMethodDefPointer { PyCFunctionFastWithKeywords: proxy_function },
        ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
        c"Proxy(object, interface=None, passobj=None)\n--\n\n\
Return a strong proxy for object. With an interface (a dict, used by\n\
reference, or any iterable of names), only the listed attribute names\n\
and operations are allowed; proxy_object(passobj) returns object."),
    function!(c"WeakProxy", PyMethodDefPointer { PyCFunctionFastWithKeywords: weak_proxy_function },
        ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
        c"WeakProxy(object, interface=None, passobj=None)\n--\n\n\
Return a weak proxy for object: like Proxy(), but it does not keep\n\
object alive. Objects without native weak-reference support are held\n\
by the registry until only the registry refers to them."),
    function!(c"checkweakrefs", PyMethodDefPointer { PyCFunction: checkweakrefs }, ffi::METH_NOARGS,
        c"checkweakrefs()\n--\n\nRelease every object only the weak-reference registry still holds and make its weak proxies defunct."),
    function!(c"initweakrefs", PyMethodDefPointer { PyCFunction: initweakrefs }, ffi::METH_NOARGS,
        c"initweakrefs()\n--\n\nStart a fresh weak-reference registry; existing weak proxies become defunct."),
    function!(c"finalizeweakrefs", PyMethodDefPointer { PyCFunction: finalizeweakrefs }, ffi::METH_NOARGS,
        c"finalizeweakrefs()\n--\n\nRelease every registry entry and make every weak proxy defunct; WeakProxy() then raises InternalError until initweakrefs()."),
    function!(c"registry_entries", PyMethodDefPointer { PyCFunction: registry_entries }, ffi::METH_NOARGS,
        c"registry_entries()\n--\n\nReturn the number of objects the weak-reference registry holds."),
    function!(c"set_keep_tracebacks", PyMethodDefPointer { PyCFunction: set_keep_tracebacks }, ffi::METH_O,
        c"set_keep_tracebacks(flag, /)\n--\n\nKeep (True) or strip (False, the default) the wrapped object's traceback\n\
entries in exceptions leaving restricted proxies; return the previous value."),
    function!(c"get_keep_tracebacks", PyMethodDefPointer { PyCFunction: get_keep_tracebacks }, ffi::METH_NOARGS,
        c"get_keep_tracebacks()\n--\n\nReturn True if restricted proxies keep full tracebacks."),
    function!(c"_forwarding_table", PyMethodDefPointer { PyCFunction: forwarding_table }, ffi::METH_NOARGS,
        c"_forwarding_table()\n--\n\nThe rows of the forwarded-operation table: (slot, role, granting names)."),
    function!(c"_header_layout", PyMethodDefPointer { PyCFunction: header_layout }, ffi::METH_NOARGS,
        c"_header_layout()\n--\n\nThe object layout as include/mxProxy.h and the Rust code see it: (header, rust)."),
    function!(c"_finalize_at_exit", PyMethodDefPointer { PyCFunction: finalize_at_exit }, ffi::METH_NOARGS,
        c"_finalize_at_exit()\n--\n\nFinalize the weak-reference registry; registered with atexit."),
    PyMethodDef::zeroed(),
]);

static AFTER_COLLECTION: GilCell<PyMethodDef> = GilCell::new(function!(
    c"_check_after_collection",
    PyMethodDefPointer { PyCFunctionFast: weak::after_collection },
    ffi::METH_FASTCALL,
    c"Check the weak-reference registry when a garbage collection stops."
));

static MODULE_DEF: GilCell<ffi::PyModuleDef> = GilCell::new(ffi::PyModuleDef {
    m_base: ffi::PyModuleDef_HEAD_INIT,
    m_name: c"mx.Proxy.mxProxy.mxProxy".as_ptr(),
    m_doc: c"Access-controlled proxies, universal weak references and a cleanup protocol.".as_ptr(),
    m_size: -1,
    m_methods: FUNCTIONS.as_ptr().cast(),
    m_slots: std::ptr::null_mut(),
    m_traverse: None,
    m_clear: None,
    m_free: None,
});

unsafe fn new_exception(name: &CStr, doc: &CStr, base: *mut PyObject) -> Fallible<*mut PyObject> {
    // SAFETY: name and doc are NUL-terminated; base is a class or a tuple.
    let class = unsafe { ffi::PyErr_NewExceptionWithDoc(name.as_ptr(), doc.as_ptr(), base, std::ptr::null_mut()) };
    if class.is_null() {
        Err(PyErrSet)
    } else {
        Ok(class)
    }
}

unsafe fn frozenset_of(members: &[Name]) -> Fallible<*mut PyObject> {
    // SAFETY: a new frozenset may be filled with PySet_Add before it is shared.
    unsafe {
        let set = Owned::from_new(ffi::PyFrozenSet_New(std::ptr::null_mut()))?;
        for member in members {
            if ffi::PySet_Add(set.as_ptr(), names::name(*member)) < 0 {
                return Err(PyErrSet);
            }
        }
        Ok(set.into_raw())
    }
}

unsafe fn attribute_of(module: &CStr, attribute: &CStr) -> Fallible<*mut PyObject> {
    // SAFETY: importing standard-library modules at init.
    unsafe {
        let imported = Owned::from_new(ffi::PyImport_ImportModule(module.as_ptr()))?;
        let value = ffi::PyObject_GetAttrString(imported.as_ptr(), attribute.as_ptr());
        if value.is_null() {
            Err(PyErrSet)
        } else {
            Ok(value)
        }
    }
}

/// Create the shared objects: exceptions, interfaces of the proxies the
/// module makes itself, and the built-ins some protocols forward to.
unsafe fn create_shared() -> Fallible<()> {
    // SAFETY: module init runs with the GIL held.
    unsafe {
        let shared = SHARED.get_mut();
        if !shared.access_error.is_null() {
            return Ok(());
        }
        let access_error = new_exception(
            c"mx.Proxy.AccessError",
            c"Access to an attribute or operation was denied by a proxy.",
            ffi::PyExc_AttributeError,
        )?;
        let bases = Owned::from_new(ffi::PyTuple_Pack(2, access_error, ffi::PyExc_TypeError))?;
        shared.operation_access_error = new_exception(
            c"mx.Proxy.OperationAccessError",
            c"An operation (a special method such as __len__) was denied by a proxy.\n\n\
It is also a TypeError, so Python's own probes treat the operation as unsupported.",
            bases.as_ptr(),
        )?;
        shared.lost_reference_error = new_exception(
            c"mx.Proxy.LostReferenceError",
            c"The object of a weak proxy has been garbage collected.",
            access_error,
        )?;
        shared.internal_error = new_exception(
            c"mx.Proxy.InternalError",
            c"An invariant of the proxy module was broken.",
            ffi::PyExc_Exception,
        )?;
        shared.access_error = access_error;
        shared.call_only_interface = frozenset_of(&[Name::Call])?;
        // `__class__` is answered separately (see proxy::get_attribute).
        shared.iterator_interface = frozenset_of(&[Name::Iter, Name::Next, Name::LengthHint])?;
        shared.generator_interface = frozenset_of(&[Name::Iter, Name::Next, Name::Send, Name::Throw, Name::Close])?;
        shared.coroutine_interface =
            frozenset_of(&[Name::Await, Name::Iter, Name::Next, Name::Send, Name::Throw, Name::Close])?;
        shared.async_generator_interface =
            frozenset_of(&[Name::Aiter, Name::Anext, Name::Asend, Name::Athrow, Name::Aclose])?;
        shared.builtin_round = attribute_of(c"builtins", c"round")?;
        shared.builtin_reversed = attribute_of(c"builtins", c"reversed")?;
        shared.builtin_range = attribute_of(c"builtins", c"range")?;
        shared.builtin_map = attribute_of(c"builtins", c"map")?;
        shared.complex_type = attribute_of(c"builtins", c"complex")?;
        shared.math_trunc = attribute_of(c"math", c"trunc")?;
        shared.math_floor = attribute_of(c"math", c"floor")?;
        shared.math_ceil = attribute_of(c"math", c"ceil")?;
        shared.coroutine_wrapper_type = coroutine_wrapper_type()?;
        shared.method_wrapper_type = method_wrapper_type()?;
        shared.awaited_through_proxy = awaited_through_proxy()?;
        shared.python_methods_type = python_methods_type()?;
        let (asend_type, athrow_type) = async_generator_awaitable_types()?;
        shared.async_generator_asend_type = asend_type;
        shared.async_generator_athrow_type = athrow_type;
        if cfg!(Py_3_11) {
            shared.exception_group_type = attribute_of(c"builtins", c"BaseExceptionGroup")?;
        }
        Ok(())
    }
}

/// Run module-level Python source in a fresh namespace and return the
/// value it binds to `result`.
unsafe fn evaluate(source: &CStr) -> Fallible<Owned> {
    // SAFETY: runs constant source in a namespace of its own.
    unsafe {
        let globals = Owned::from_new(ffi::PyDict_New())?;
        let builtins = ffi::PyEval_GetBuiltins();
        if ffi::PyDict_SetItemString(globals.as_ptr(), c"__builtins__".as_ptr(), builtins) < 0 {
            return Err(PyErrSet);
        }
        Owned::from_new(ffi::PyRun_String(source.as_ptr(), ffi::Py_file_input, globals.as_ptr(), globals.as_ptr()))?;
        let found = ffi::PyDict_GetItemString(globals.as_ptr(), c"result".as_ptr());
        if found.is_null() {
            return Err(errors::internal_error("module setup source did not bind 'result'"));
        }
        Ok(Owned::from_borrowed(found))
    }
}

/// The type of `coroutine.__await__()`, which exposes no frame itself but
/// drives the coroutine.
unsafe fn coroutine_wrapper_type() -> Fallible<*mut ffi::PyTypeObject> {
    // SAFETY: evaluates constant source.
    unsafe {
        let found = evaluate(
            c"async def probe():\n    pass\ncoroutine = probe()\nresult = type(coroutine.__await__())\ncoroutine.close()\n",
        )?;
        Ok(found.into_raw().cast())
    }
}

/// A coroutine function that awaits an awaitable and hands back `proxy`
/// where the result is `wrapped`; used for `__aenter__` and `__anext__`.
unsafe fn awaited_through_proxy() -> Fallible<*mut PyObject> {
    // SAFETY: evaluates constant source.
    unsafe {
        let found = evaluate(
            c"async def result(awaitable, wrapped, proxy, origin_object, origin):\n    value = await awaitable\n    if value is wrapped:\n        return proxy\n    if value is origin_object:\n        return origin\n    return value\n",
        )?;
        Ok(found.into_raw())
    }
}

/// The types of the awaitables an async generator's `asend()` and
/// `athrow()` return.
unsafe fn async_generator_awaitable_types() -> Fallible<(*mut ffi::PyTypeObject, *mut ffi::PyTypeObject)> {
    // SAFETY: evaluates constant source.
    unsafe {
        let found = evaluate(
            c"async def probe():\n    yield\ngenerator = probe()\nsend = generator.asend(None)\nthrow = generator.athrow(ValueError)\nresult = (type(send), type(throw))\nsend.close()\nthrow.close()\n",
        )?;
        let send = ffi::PyTuple_GetItem(found.as_ptr(), 0);
        let throw = ffi::PyTuple_GetItem(found.as_ptr(), 1);
        if send.is_null() || throw.is_null() {
            return Err(PyErrSet);
        }
        Ok((ffi::Py_NewRef(send).cast(), ffi::Py_NewRef(throw).cast()))
    }
}

/// A class defining every operator and comparison in Python.
unsafe fn python_methods_type() -> Fallible<*mut ffi::PyTypeObject> {
    // SAFETY: evaluates constant source.
    unsafe {
        let found = evaluate(
            c"methods = {'__hash__': object.__hash__}\n\
for name in ('add', 'sub', 'mul', 'matmul', 'truediv', 'floordiv', 'mod', 'divmod', 'pow', 'lshift', 'rshift', 'and', 'xor', 'or'):\n\
\x20   for form in ('__%s__', '__r%s__', '__i%s__'):\n\
\x20       methods[form % name] = lambda self, other, *rest: NotImplemented\n\
for name in ('lt', 'le', 'eq', 'ne', 'gt', 'ge'):\n\
\x20   methods['__%s__' % name] = lambda self, other: NotImplemented\n\
result = type('PythonMethods', (), methods)\n",
        )?;
        Ok(found.into_raw().cast())
    }
}

/// The type of a bound slot wrapper, such as `(0).__add__`; CPython does
/// not export it by name on every version.
unsafe fn method_wrapper_type() -> Fallible<*mut ffi::PyTypeObject> {
    // SAFETY: reads an attribute of a small int.
    unsafe {
        let zero = Owned::from_new(ffi::PyLong_FromLong(0))?;
        let bound = Owned::from_new(ffi::PyObject_GetAttrString(zero.as_ptr(), c"__add__".as_ptr()))?;
        let type_ = ffi::type_of(bound.as_ptr());
        ffi::Py_INCREF(type_.cast());
        Ok(type_)
    }
}

unsafe fn add_object(module: *mut PyObject, name: &CStr, value: *mut PyObject) -> Fallible<()> {
    // SAFETY: value is a new or borrowed-and-increfed reference that
    // PyModule_AddObject steals on success.
    unsafe {
        ffi::Py_INCREF(value);
        if ffi::PyModule_AddObject(module, name.as_ptr(), value) < 0 {
            ffi::Py_DECREF(value);
            return Err(PyErrSet);
        }
    }
    Ok(())
}

/// Register `function` in `gc.callbacks` and with `atexit`.
unsafe fn install_hooks(module: *mut PyObject) -> Fallible<()> {
    // SAFETY: module init runs with the GIL held.
    unsafe {
        let callback = Owned::from_new(ffi::PyCFunction_NewEx(AFTER_COLLECTION.as_ptr(), module, std::ptr::null_mut()))?;
        let callbacks = Owned::from_new(attribute_of(c"gc", c"callbacks")?)?;
        if ffi::PyList_Append(callbacks.as_ptr(), callback.as_ptr()) < 0 {
            return Err(PyErrSet);
        }
        let register = Owned::from_new(attribute_of(c"atexit", c"register")?)?;
        let finalizer = Owned::from_new(ffi::PyObject_GetAttrString(module, c"_finalize_at_exit".as_ptr()))?;
        Owned::from_new(ffi::PyObject_CallOneArg(register.as_ptr(), finalizer.as_ptr()))?;
        Ok(())
    }
}

pub unsafe fn init() -> *mut PyObject {
    // SAFETY: called once per process by the import system with the GIL.
    unsafe {
        let result = (|| -> Fallible<*mut PyObject> {
            layout::check_header_layout()?;
            names::intern_all()?;
            create_shared()?;
            if proxy_type::ready() < 0 {
                return Err(PyErrSet);
            }
            let module = Owned::from_new(ffi::PyModule_Create2(MODULE_DEF.as_ptr(), ffi::PYTHON_API_VERSION))?;
            let raw = module.as_ptr();
            let shared = SHARED.get();
            add_object(raw, c"ProxyType", proxy_type::proxy_type().cast())?;
            add_object(raw, c"AccessError", shared.access_error)?;
            add_object(raw, c"OperationAccessError", shared.operation_access_error)?;
            add_object(raw, c"LostReferenceError", shared.lost_reference_error)?;
            add_object(raw, c"InternalError", shared.internal_error)?;
            let version = Owned::from_new(ffi::PyUnicode_FromString(VERSION.as_ptr()))?;
            add_object(raw, c"__version__", version.as_ptr())?;
            let capsule = Owned::from_new(crate::capi::new_capsule())?;
            add_object(raw, c"mxProxyAPI", capsule.as_ptr())?;
            install_hooks(raw)?;
            Ok(module.into_raw())
        })();
        result.unwrap_or(std::ptr::null_mut())
    }
}

