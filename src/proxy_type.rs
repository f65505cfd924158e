//! `ProxyType`: the static type object of both kinds of proxy, with its
//! slot tables and method table. The tables read as a map of the type;
//! the functions they point to live in the modules named beside them.

use std::ffi::c_int;
use std::mem::offset_of;

use crate::errors;
use crate::ffi::{self, PyMethodDef, PyMethodDefPointer, PyObject, PyTypeObject, Py_ssize_t};
use crate::layout::{MxProxyObject, FLAG_WEAK};
use crate::lifetime;
use crate::owned::{into_result, into_status, Owned};
use crate::protocols;
use crate::proxy::{self, get_attribute, set_attribute};
use crate::slots;
use crate::state::GilCell;

const ZEROED_NUMBER: ffi::PyNumberMethods = {
    // SAFETY: all-zero is a valid PyNumberMethods: every slot None or NULL.
    unsafe { std::mem::zeroed() }
};

static NUMBER_METHODS: GilCell<ffi::PyNumberMethods> = GilCell::new(ffi::PyNumberMethods {
    nb_add: Some(slots::nb_add),
    nb_subtract: Some(slots::nb_subtract),
    nb_multiply: Some(slots::nb_multiply),
    nb_remainder: Some(slots::nb_remainder),
    nb_divmod: Some(slots::nb_divmod),
    nb_power: Some(slots::nb_power),
    nb_negative: Some(slots::nb_negative),
    nb_positive: Some(slots::nb_positive),
    nb_absolute: Some(slots::nb_absolute),
    nb_bool: Some(slots::nb_bool),
    nb_invert: Some(slots::nb_invert),
    nb_lshift: Some(slots::nb_lshift),
    nb_rshift: Some(slots::nb_rshift),
    nb_and: Some(slots::nb_and),
    nb_xor: Some(slots::nb_xor),
    nb_or: Some(slots::nb_or),
    nb_int: Some(slots::nb_int),
    nb_float: Some(slots::nb_float),
    nb_inplace_add: Some(slots::nb_inplace_add),
    nb_inplace_subtract: Some(slots::nb_inplace_subtract),
    nb_inplace_multiply: Some(slots::nb_inplace_multiply),
    nb_inplace_remainder: Some(slots::nb_inplace_remainder),
    nb_inplace_power: Some(slots::nb_inplace_power),
    nb_inplace_lshift: Some(slots::nb_inplace_lshift),
    nb_inplace_rshift: Some(slots::nb_inplace_rshift),
    nb_inplace_and: Some(slots::nb_inplace_and),
    nb_inplace_xor: Some(slots::nb_inplace_xor),
    nb_inplace_or: Some(slots::nb_inplace_or),
    nb_floor_divide: Some(slots::nb_floor_divide),
    nb_true_divide: Some(slots::nb_true_divide),
    nb_inplace_floor_divide: Some(slots::nb_inplace_floor_divide),
    nb_inplace_true_divide: Some(slots::nb_inplace_true_divide),
    nb_index: Some(slots::nb_index),
    nb_matrix_multiply: Some(slots::nb_matrix_multiply),
    nb_inplace_matrix_multiply: Some(slots::nb_inplace_matrix_multiply),
    ..ZEROED_NUMBER
});

const ZEROED_SEQUENCE: ffi::PySequenceMethods = {
    // SAFETY: all-zero is a valid PySequenceMethods.
    unsafe { std::mem::zeroed() }
};

/// Only `sq_item` (for the sequence-iteration fallback) and `sq_contains`:
/// length and subscripts go through the mapping slots, and concatenation
/// and repetition through the number slots.
static SEQUENCE_METHODS: GilCell<ffi::PySequenceMethods> = GilCell::new(ffi::PySequenceMethods {
    sq_item: Some(slots::sq_item),
    sq_contains: Some(slots::sq_contains),
    ..ZEROED_SEQUENCE
});

static MAPPING_METHODS: GilCell<ffi::PyMappingMethods> = GilCell::new(ffi::PyMappingMethods {
    mp_length: Some(slots::mp_length),
    mp_subscript: Some(slots::mp_subscript),
    mp_ass_subscript: Some(slots::mp_ass_subscript),
});

const ZEROED_ASYNC: ffi::PyAsyncMethods = {
    // SAFETY: all-zero is a valid PyAsyncMethods.
    unsafe { std::mem::zeroed() }
};

static ASYNC_METHODS: GilCell<ffi::PyAsyncMethods> = GilCell::new(ffi::PyAsyncMethods {
    am_await: Some(slots::am_await),
    am_aiter: Some(slots::am_aiter),
    am_anext: Some(slots::am_anext),
    ..ZEROED_ASYNC
});

macro_rules! method {
    ($name:literal, $function:expr, $flags:expr, $doc:literal) => {
        PyMethodDef { ml_name: $name.as_ptr(), ml_meth: $function, ml_flags: $flags, ml_doc: $doc.as_ptr() }
    };
}

const FASTCALL: c_int = ffi::METH_FASTCALL;

static METHODS: GilCell<[PyMethodDef; 25]> = GilCell::new([
    method!(c"proxy_getattr", PyMethodDefPointer { PyCFunction: proxy_getattr }, ffi::METH_O,
        c"proxy_getattr($self, name, /)\n--\n\nRead attribute name through the proxy's rules; the same as getattr(proxy, name)."),
    method!(c"proxy_setattr", PyMethodDefPointer { PyCFunctionFast: proxy_setattr }, FASTCALL,
        c"proxy_setattr($self, name, value, /)\n--\n\nWrite attribute name through the proxy's rules; the same as setattr(proxy, name, value)."),
    method!(c"proxy_object", PyMethodDefPointer { PyCFunction: proxy_object }, ffi::METH_O,
        c"proxy_object($self, passobj, /)\n--\n\nReturn the wrapped object if passobj is the proxy's pass object; raise AccessError otherwise."),
    method!(c"proxy_defunct", PyMethodDefPointer { PyCFunction: proxy_defunct }, ffi::METH_NOARGS,
        c"proxy_defunct($self, /)\n--\n\nReturn True if this is a weak proxy whose object is gone, else False."),
    method!(c"__enter__", PyMethodDefPointer { PyCFunctionFast: protocols::enter }, FASTCALL,
        c"__enter__($self, /)\n--\n\nEnter the wrapped context manager (gated by __enter__)."),
    method!(c"__exit__", PyMethodDefPointer { PyCFunctionFast: protocols::exit }, FASTCALL,
        c"__exit__($self, exc_type, exc_value, traceback, /)\n--\n\nExit the wrapped context manager (gated by __exit__)."),
    method!(c"__aenter__", PyMethodDefPointer { PyCFunctionFast: protocols::aenter }, FASTCALL,
        c"__aenter__($self, /)\n--\n\nEnter the wrapped async context manager (gated by __aenter__)."),
    method!(c"__aexit__", PyMethodDefPointer { PyCFunctionFast: protocols::aexit }, FASTCALL,
        c"__aexit__($self, exc_type, exc_value, traceback, /)\n--\n\nExit the wrapped async context manager (gated by __aexit__)."),
    method!(c"__round__", PyMethodDefPointer { PyCFunctionFast: protocols::round }, FASTCALL,
        c"__round__($self, ndigits=None, /)\n--\n\nround() of the wrapped object (gated by __round__)."),
    method!(c"__trunc__", PyMethodDefPointer { PyCFunctionFast: protocols::trunc }, FASTCALL,
        c"__trunc__($self, /)\n--\n\nmath.trunc() of the wrapped object (gated by __trunc__)."),
    method!(c"__floor__", PyMethodDefPointer { PyCFunctionFast: protocols::floor }, FASTCALL,
        c"__floor__($self, /)\n--\n\nmath.floor() of the wrapped object (gated by __floor__)."),
    method!(c"__ceil__", PyMethodDefPointer { PyCFunctionFast: protocols::ceil }, FASTCALL,
        c"__ceil__($self, /)\n--\n\nmath.ceil() of the wrapped object (gated by __ceil__)."),
    method!(c"__reversed__", PyMethodDefPointer { PyCFunctionFast: protocols::reversed }, FASTCALL,
        c"__reversed__($self, /)\n--\n\nreversed() of the wrapped object (gated by __reversed__, else by __len__ and __getitem__)."),
    method!(c"__format__", PyMethodDefPointer { PyCFunctionFast: protocols::format }, FASTCALL,
        c"__format__($self, format_spec, /)\n--\n\nformat() of the wrapped object (gated by __format__)."),
    method!(c"__bytes__", PyMethodDefPointer { PyCFunctionFast: protocols::bytes }, FASTCALL,
        c"__bytes__($self, /)\n--\n\nbytes() of the wrapped object (gated by __bytes__)."),
    method!(c"__complex__", PyMethodDefPointer { PyCFunctionFast: protocols::complex }, FASTCALL,
        c"__complex__($self, /)\n--\n\ncomplex() of the wrapped object (gated by __complex__)."),
    method!(c"__fspath__", PyMethodDefPointer { PyCFunctionFast: protocols::fspath }, FASTCALL,
        c"__fspath__($self, /)\n--\n\nos.fspath() of the wrapped object (gated by __fspath__)."),
    method!(c"__dir__", PyMethodDefPointer { PyCFunctionFast: protocols::dir }, FASTCALL,
        c"__dir__($self, /)\n--\n\nThe proxy's own methods, plus the wrapped object's granted names when __dir__ is granted."),
    method!(c"__reduce__", PyMethodDefPointer { PyCFunctionFast: protocols::reduce }, FASTCALL,
        c"__reduce__($self, /)\n--\n\nAlways raise TypeError: proxies cannot be pickled or copied."),
    method!(c"__reduce_ex__", PyMethodDefPointer { PyCFunctionFast: protocols::reduce }, FASTCALL,
        c"__reduce_ex__($self, protocol, /)\n--\n\nAlways raise TypeError: proxies cannot be pickled or copied."),
    method!(c"__copy__", PyMethodDefPointer { PyCFunctionFast: protocols::reduce }, FASTCALL,
        c"__copy__($self, /)\n--\n\nAlways raise TypeError: proxies cannot be pickled or copied."),
    method!(c"__deepcopy__", PyMethodDefPointer { PyCFunctionFast: protocols::reduce }, FASTCALL,
        c"__deepcopy__($self, memo, /)\n--\n\nAlways raise TypeError: proxies cannot be pickled or copied."),
    method!(c"__getstate__", PyMethodDefPointer { PyCFunctionFast: protocols::reduce }, FASTCALL,
        c"__getstate__($self, /)\n--\n\nAlways raise TypeError: proxies cannot be pickled or copied."),
    ffi::PyMethodDef::zeroed(),
    ffi::PyMethodDef::zeroed(),
]);

const ZEROED_TYPE: PyTypeObject = {
    // SAFETY: all-zero is a valid starting point for a static type object;
    // PyType_Ready fills in what is left out.
    unsafe { std::mem::zeroed() }
};

static PROXY_TYPE: GilCell<PyTypeObject> = GilCell::new(PyTypeObject {
    ob_base: ffi::PyVarObject { ob_base: ffi::PyObject_HEAD_INIT, ob_size: 0 },
    tp_name: c"mx.Proxy.Proxy".as_ptr(),
    tp_basicsize: std::mem::size_of::<MxProxyObject>() as Py_ssize_t,
    tp_itemsize: 0,
    tp_dealloc: Some(lifetime::dealloc),
    tp_repr: Some(tp_repr),
    tp_as_async: ASYNC_METHODS.as_ptr(),
    tp_as_number: NUMBER_METHODS.as_ptr(),
    tp_as_sequence: SEQUENCE_METHODS.as_ptr(),
    tp_as_mapping: MAPPING_METHODS.as_ptr(),
    tp_hash: Some(slots::tp_hash),
    tp_call: Some(slots::tp_call),
    tp_str: Some(slots::tp_str),
    tp_getattro: Some(tp_getattro),
    tp_setattro: Some(tp_setattro),
    tp_flags: ffi::Py_TPFLAGS_DEFAULT | ffi::Py_TPFLAGS_HAVE_GC,
    tp_doc: PROXY_DOC.as_ptr(),
    tp_traverse: Some(lifetime::traverse),
    tp_clear: Some(lifetime::clear),
    tp_richcompare: Some(slots::tp_richcompare),
    tp_weaklistoffset: offset_of!(MxProxyObject, weakreflist) as Py_ssize_t,
    tp_iter: Some(slots::tp_iter),
    tp_iternext: Some(slots::tp_iternext),
    tp_methods: METHODS.as_ptr().cast(),
    tp_new: Some(tp_new),
    tp_finalize: Some(lifetime::finalize),
    ..ZEROED_TYPE
});

const PROXY_DOC: &std::ffi::CStr = c"Proxy(object, interface=None, passobj=None)\n--\n\n\
A proxy that hides object and allows only the attribute names and\n\
operations listed in interface (a dict, used by reference, or any\n\
iterable of names). Calling ProxyType constructs a strong proxy, like\n\
Proxy(); WeakProxy() makes the weak kind. The type cannot be subclassed.";

/// The proxy type object.
#[inline(always)]
pub fn proxy_type() -> *mut PyTypeObject {
    PROXY_TYPE.as_ptr()
}

/// Ready the type. Called once from the module's init.
pub unsafe fn ready() -> c_int {
    // SAFETY: module init runs once with the GIL held.
    unsafe { ffi::PyType_Ready(proxy_type()) }
}

unsafe extern "C" fn tp_new(_type: *mut PyTypeObject, args: *mut PyObject, kwargs: *mut PyObject) -> *mut PyObject {
    // SAFETY: the interpreter passes a tuple and NULL or a dict.
    into_result(unsafe {
        proxy::parse_tuple_arguments("Proxy", args, kwargs).and_then(|arguments| proxy::create_strong(&arguments))
    })
}

unsafe extern "C" fn tp_repr(object: *mut PyObject) -> *mut PyObject {
    // SAFETY: the interpreter passes a live proxy.
    unsafe { proxy::repr(object.cast()) }
}

unsafe extern "C" fn tp_getattro(object: *mut PyObject, attribute: *mut PyObject) -> *mut PyObject {
    // SAFETY: the interpreter passes a live proxy and name.
    into_result(unsafe { get_attribute(object.cast(), attribute) })
}

unsafe extern "C" fn tp_setattro(object: *mut PyObject, attribute: *mut PyObject, value: *mut PyObject) -> c_int {
    // SAFETY: the interpreter passes a live proxy and name; value is NULL
    // for deletion.
    into_status(unsafe { set_attribute(object.cast(), attribute, value) })
}

unsafe extern "C" fn proxy_getattr(object: *mut PyObject, attribute: *mut PyObject) -> *mut PyObject {
    // SAFETY: called as a METH_O method of a live proxy.
    into_result(unsafe { get_attribute(object.cast(), attribute) })
}

unsafe extern "C" fn proxy_setattr(object: *mut PyObject, args: *mut *mut PyObject, count: Py_ssize_t) -> *mut PyObject {
    // SAFETY: called as a METH_FASTCALL method of a live proxy.
    unsafe {
        if count != 2 {
            errors::type_error(&format!("proxy_setattr() takes exactly 2 arguments ({count} given)"));
            return std::ptr::null_mut();
        }
        match set_attribute(object.cast(), *args, *args.add(1)) {
            Ok(()) => ffi::Py_NewRef(ffi::Py_None()),
            Err(_) => std::ptr::null_mut(),
        }
    }
}

unsafe extern "C" fn proxy_object(object: *mut PyObject, passobj: *mut PyObject) -> *mut PyObject {
    // SAFETY: called as a METH_O method of a live proxy.
    into_result(unsafe { wrapped_object(object.cast(), passobj) })
}

/// The wrapped object, if `passobj` is the proxy's pass object.
pub unsafe fn wrapped_object(proxy: *mut MxProxyObject, passobj: *mut PyObject) -> crate::owned::Fallible<Owned> {
    // SAFETY: proxy is live; a weak proxy's lost object fails first.
    unsafe {
        let wrapped = proxy::resolve(proxy)?.into_owned();
        let expected = (*proxy).passobj;
        if expected.is_null() || expected != passobj {
            return Err(errors::access_error("wrong pass-object"));
        }
        Ok(wrapped)
    }
}

unsafe extern "C" fn proxy_defunct(object: *mut PyObject, _unused: *mut PyObject) -> *mut PyObject {
    // SAFETY: called as a METH_NOARGS method of a live proxy.
    unsafe {
        let proxy = object.cast::<MxProxyObject>();
        let defunct = (*proxy).flags & FLAG_WEAK != 0 && proxy::is_defunct(proxy);
        ffi::PyBool_FromLong(defunct.into())
    }
}

