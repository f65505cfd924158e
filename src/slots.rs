//! The table of forwarded operations.
//!
//! Each row names a type slot (or a special method of the proxy type), the
//! interface names that grant it, and how it is forwarded. The `unary` and
//! `binary` rows generate their slot functions here; the `custom` and
//! `method` rows are written by hand below and in `protocols.rs` because
//! they have fallbacks or unusual signatures. The whole table is exported
//! to Python as `_forwarding_table()` so the test suite can check every
//! row's names against Python's data model.

use std::ffi::c_int;

use crate::encapsulation;
use crate::errors;
use crate::ffi::{self, PyObject};
use crate::interface;
use crate::layout::{MxProxyObject, FLAG_UNBOUND_METHOD};
use crate::names::{name, Name};
use crate::operators::{self, BinaryOperation};
use crate::owned::{into_result, into_status, Fallible, Owned, PyErrSet};
use crate::proxy::{as_proxy, resolve, Wrapped};

/// One row as the test suite sees it: the slot, the operand role it
/// gates, and the names that grant it.
pub struct Row {
    pub slot: &'static str,
    pub role: &'static str,
    pub names: &'static [Name],
}

macro_rules! forwarding_table {
    ($($kind:ident { $($row:tt)* })*) => {
        $(forwarding_table!(@define $kind { $($row)* });)*

        /// Every row of the table, grouped as written.
        pub const ROWS: &[&[Row]] = &[$(forwarding_table!(@rows $kind { $($row)* })),*];
    };

    (@define unary { $slot:ident [$($name:ident),+] => $forward:path }) => {
        pub unsafe extern "C" fn $slot(object: *mut PyObject) -> *mut PyObject {
            // SAFETY: the interpreter passes a live operand.
            into_result(unsafe { forward_unary(object, &[$(Name::$name),+], $forward) })
        }
    };
    (@rows unary { $slot:ident [$($name:ident),+] => $forward:path }) => {
        &[Row { slot: stringify!($slot), role: "self", names: &[$(Name::$name),+] }]
    };

    (@define binary { $slot:ident [$($plain:ident),+] [$($reflected:ident),+] => $number:path }) => {
        pub unsafe extern "C" fn $slot(v: *mut PyObject, w: *mut PyObject) -> *mut PyObject {
            const OPERATION: BinaryOperation =
                binary_operation!($slot [$($plain),+] [$($reflected),+] => $number);
            // SAFETY: the interpreter passes live operands.
            into_result(unsafe { operators::binary(v, w, &OPERATION, true) })
        }
    };
    (@rows binary { $slot:ident [$($plain:ident),+] [$($reflected:ident),+] => $number:path }) => {
        &[
            Row { slot: stringify!($slot), role: "left", names: &[$(Name::$plain),+] },
            Row { slot: stringify!($slot), role: "right", names: &[$(Name::$reflected),+] },
        ]
    };

    (@define binary_inplace {
        $slot:ident / $inplace_slot:ident [$($plain:ident),+] [$($reflected:ident),+] [$($inplace:ident),+]
        => $number:path, $inplace_number:path
    }) => {
        pub unsafe extern "C" fn $slot(v: *mut PyObject, w: *mut PyObject) -> *mut PyObject {
            const OPERATION: BinaryOperation = binary_operation!(
                $slot / $inplace_slot [$($plain),+] [$($reflected),+] [$($inplace),+] => $number, $inplace_number
            );
            // SAFETY: the interpreter passes live operands.
            into_result(unsafe { operators::binary(v, w, &OPERATION, true) })
        }

        pub unsafe extern "C" fn $inplace_slot(v: *mut PyObject, w: *mut PyObject) -> *mut PyObject {
            const OPERATION: BinaryOperation = binary_operation!(
                $slot / $inplace_slot [$($plain),+] [$($reflected),+] [$($inplace),+] => $number, $inplace_number
            );
            // SAFETY: the interpreter passes live operands.
            into_result(unsafe { operators::inplace(v, w, &OPERATION) })
        }
    };
    (@rows binary_inplace {
        $slot:ident / $inplace_slot:ident [$($plain:ident),+] [$($reflected:ident),+] [$($inplace:ident),+]
        => $number:path, $inplace_number:path
    }) => {
        &[
            Row { slot: stringify!($slot), role: "left", names: &[$(Name::$plain),+] },
            Row { slot: stringify!($slot), role: "right", names: &[$(Name::$reflected),+] },
            Row { slot: stringify!($inplace_slot), role: "inplace", names: &[$(Name::$inplace),+] },
        ]
    };

    (@define custom { $slot:ident $role:literal [$($name:ident),+] }) => {};
    (@rows custom { $slot:ident $role:literal [$($name:ident),+] }) => {
        &[Row { slot: stringify!($slot), role: $role, names: &[$(Name::$name),+] }]
    };

    (@define method { $slot:ident [$($name:ident),+] }) => {};
    (@rows method { $slot:ident [$($name:ident),+] }) => {
        &[Row { slot: stringify!($slot), role: "method", names: &[$(Name::$name),+] }]
    };
}

macro_rules! binary_operation {
    ($slot:ident [$plain:ident $(, $plain_alias:ident)*] [$reflected:ident $(, $reflected_alias:ident)*]
     => $number:path) => {
        BinaryOperation {
            plain: &[Name::$plain $(, Name::$plain_alias)*],
            reflected: &[Name::$reflected $(, Name::$reflected_alias)*],
            inplace: &[],
            plain_method: Name::$plain,
            reflected_method: Name::$reflected,
            inplace_method: Name::$plain,
            number: $number,
            inplace_number: $number,
            slot: |methods| methods.$slot,
            inplace_slot: |_| None,
        }
    };
    ($slot:ident / $inplace_slot:ident [$plain:ident $(, $plain_alias:ident)*]
     [$reflected:ident $(, $reflected_alias:ident)*] [$inplace:ident $(, $inplace_alias:ident)*]
     => $number:path, $inplace_number:path) => {
        BinaryOperation {
            plain: &[Name::$plain $(, Name::$plain_alias)*],
            reflected: &[Name::$reflected $(, Name::$reflected_alias)*],
            inplace: &[Name::$inplace $(, Name::$inplace_alias)*],
            plain_method: Name::$plain,
            reflected_method: Name::$reflected,
            inplace_method: Name::$inplace,
            number: $number,
            inplace_number: $inplace_number,
            slot: |methods| methods.$slot,
            inplace_slot: |methods| methods.$inplace_slot,
        }
    };
}

forwarding_table! {
    unary { nb_negative [Neg] => ffi::PyNumber_Negative }
    unary { nb_positive [Pos] => ffi::PyNumber_Positive }
    unary { nb_absolute [Abs] => ffi::PyNumber_Absolute }
    unary { nb_invert [Invert] => ffi::PyNumber_Invert }
    unary { tp_str [Str] => ffi::PyObject_Str }

    binary_inplace { nb_add / nb_inplace_add [Add] [Radd] [Iadd] => ffi::PyNumber_Add, ffi::PyNumber_InPlaceAdd }
    binary_inplace { nb_subtract / nb_inplace_subtract [Sub] [Rsub] [Isub]
             => ffi::PyNumber_Subtract, ffi::PyNumber_InPlaceSubtract }
    binary_inplace { nb_multiply / nb_inplace_multiply [Mul, Repeat] [Rmul] [Imul]
             => ffi::PyNumber_Multiply, ffi::PyNumber_InPlaceMultiply }
    binary_inplace { nb_matrix_multiply / nb_inplace_matrix_multiply [Matmul] [Rmatmul] [Imatmul]
             => ffi::PyNumber_MatrixMultiply, ffi::PyNumber_InPlaceMatrixMultiply }
    binary_inplace { nb_true_divide / nb_inplace_true_divide [Truediv, Div] [Rtruediv, Rdiv] [Itruediv, Idiv]
             => ffi::PyNumber_TrueDivide, ffi::PyNumber_InPlaceTrueDivide }
    binary_inplace { nb_floor_divide / nb_inplace_floor_divide [Floordiv, Div] [Rfloordiv, Rdiv] [Ifloordiv, Idiv]
             => ffi::PyNumber_FloorDivide, ffi::PyNumber_InPlaceFloorDivide }
    binary_inplace { nb_remainder / nb_inplace_remainder [Mod] [Rmod] [Imod]
             => ffi::PyNumber_Remainder, ffi::PyNumber_InPlaceRemainder }
    binary { nb_divmod [Divmod] [Rdivmod] => ffi::PyNumber_Divmod }
    binary_inplace { nb_lshift / nb_inplace_lshift [Lshift] [Rlshift] [Ilshift]
             => ffi::PyNumber_Lshift, ffi::PyNumber_InPlaceLshift }
    binary_inplace { nb_rshift / nb_inplace_rshift [Rshift] [Rrshift] [Irshift]
             => ffi::PyNumber_Rshift, ffi::PyNumber_InPlaceRshift }
    binary_inplace { nb_and / nb_inplace_and [And] [Rand] [Iand] => ffi::PyNumber_And, ffi::PyNumber_InPlaceAnd }
    binary_inplace { nb_xor / nb_inplace_xor [Xor] [Rxor] [Ixor] => ffi::PyNumber_Xor, ffi::PyNumber_InPlaceXor }
    binary_inplace { nb_or / nb_inplace_or [Or] [Ror] [Ior] => ffi::PyNumber_Or, ffi::PyNumber_InPlaceOr }

    custom { nb_power "left" [Pow] }
    custom { nb_power "right" [Rpow] }
    custom { nb_inplace_power "inplace" [Ipow] }
    custom { nb_bool "self" [Bool, True_, Nonzero] }
    custom { nb_int "self" [Int, Long] }
    custom { nb_float "self" [Float] }
    custom { nb_index "self" [Index] }
    custom { tp_call "self" [Call] }
    custom { tp_hash "self" [Hash] }
    custom { tp_richcompare "lt" [Lt, Cmp] }
    custom { tp_richcompare "le" [Le, Cmp] }
    custom { tp_richcompare "eq" [Eq, Cmp] }
    custom { tp_richcompare "ne" [Ne, Cmp] }
    custom { tp_richcompare "gt" [Gt, Cmp] }
    custom { tp_richcompare "ge" [Ge, Cmp] }
    custom { mp_length "self" [Len] }
    custom { mp_subscript "self" [Getitem] }
    custom { mp_ass_subscript "set" [Setitem] }
    custom { mp_ass_subscript "delete" [Delitem] }
    custom { sq_contains "self" [Contains] }
    custom { tp_iter "self" [Iter] }
    custom { tp_iternext "self" [Next] }
    custom { am_await "self" [Await] }
    custom { am_aiter "self" [Aiter] }
    custom { am_anext "self" [Anext] }

    method { __enter__ [Enter] }
    method { __exit__ [Exit] }
    method { __aenter__ [Aenter] }
    method { __aexit__ [Aexit] }
    method { __round__ [Round] }
    method { __trunc__ [Trunc] }
    method { __floor__ [Floor] }
    method { __ceil__ [Ceil] }
    method { __reversed__ [Reversed] }
    method { __format__ [Format] }
    method { __bytes__ [Bytes] }
    method { __complex__ [Complex] }
    method { __fspath__ [Fspath] }
    method { __dir__ [Dir] }
}

/// The proxy a slot was called on. Slots that CPython only calls on
/// instances of the type still check, so no slot assumes it.
#[inline(always)]
unsafe fn require_proxy(object: *mut PyObject) -> Fallible<*mut MxProxyObject> {
    // SAFETY: object is live.
    match unsafe { as_proxy(object) } {
        Some(proxy) => Ok(proxy),
        None => Err(errors::type_error("descriptor requires a Proxy object")),
    }
}

/// Resolve the proxy's object and check that one of `names` is granted; a
/// lost weak object fails first.
#[inline(always)]
pub unsafe fn open(object: *mut PyObject, names: &[Name]) -> Fallible<(*mut MxProxyObject, Wrapped)> {
    // SAFETY: object is live.
    unsafe {
        let proxy = require_proxy(object)?;
        let wrapped = resolve(proxy)?;
        interface::require_operation(proxy, names)?;
        Ok((proxy, wrapped))
    }
}

/// Finish a forwarded call: a NULL result gets its exception cleaned.
#[inline(always)]
pub unsafe fn forwarded(proxy: *mut MxProxyObject, wrapped: &Owned, result: *mut PyObject) -> Fallible<Owned> {
    // SAFETY: result is a new reference or NULL with an exception set.
    unsafe { Owned::from_new(result).map_err(|_| encapsulation::failed(proxy, wrapped.as_ptr())) }
}

#[inline(always)]
unsafe fn forward_unary(
    object: *mut PyObject,
    names: &[Name],
    forward: unsafe extern "C" fn(*mut PyObject) -> *mut PyObject,
) -> Fallible<Owned> {
    // SAFETY: object is live.
    unsafe {
        let (proxy, wrapped) = open(object, names)?;
        let result = forwarded(proxy, &wrapped, forward(wrapped.as_ptr()))?;
        encapsulation::hide_computed(proxy, result)
    }
}

// --- custom rows ---------------------------------------------------------

pub unsafe extern "C" fn nb_power(v: *mut PyObject, w: *mut PyObject, z: *mut PyObject) -> *mut PyObject {
    // SAFETY: the interpreter passes live operands.
    into_result(unsafe { operators::power(v, w, z, true) })
}

pub unsafe extern "C" fn nb_inplace_power(v: *mut PyObject, w: *mut PyObject, z: *mut PyObject) -> *mut PyObject {
    // SAFETY: the interpreter passes live operands.
    into_result(unsafe { operators::inplace_power(v, w, z) })
}

pub unsafe extern "C" fn tp_richcompare(v: *mut PyObject, w: *mut PyObject, operator: c_int) -> *mut PyObject {
    // SAFETY: the interpreter passes live operands.
    into_result(unsafe { operators::richcompare(v, w, operator) })
}

/// `bool(p)`: the object's truth under `__bool__` (or a legacy alias);
/// without it, its length under `__len__`; without that, True, as for an
/// object that defines neither.
pub unsafe extern "C" fn nb_bool(object: *mut PyObject) -> c_int {
    // SAFETY: the interpreter passes a live proxy.
    unsafe {
        let result = (|| -> Fallible<c_int> {
            let proxy = require_proxy(object)?;
            let wrapped = resolve(proxy)?;
            if interface::grants_operation(proxy, &[Name::Bool, Name::True_, Name::Nonzero])? {
                let truth = ffi::PyObject_IsTrue(wrapped.as_ptr());
                if truth < 0 {
                    return Err(encapsulation::failed(proxy, wrapped.as_ptr()));
                }
                return Ok(truth);
            }
            if interface::grants_operation(proxy, &[Name::Len])? && has_length(wrapped.as_ptr()) {
                let length = ffi::PyObject_Size(wrapped.as_ptr());
                if length < 0 {
                    return Err(encapsulation::failed(proxy, wrapped.as_ptr()));
                }
                return Ok(c_int::from(length > 0));
            }
            Ok(1)
        })();
        result.unwrap_or(-1)
    }
}

unsafe fn has_length(object: *mut PyObject) -> bool {
    // SAFETY: object is live; reading its type's slot tables.
    unsafe {
        let type_ = ffi::type_of(object);
        let sequence = (*type_).tp_as_sequence;
        let mapping = (*type_).tp_as_mapping;
        (!sequence.is_null() && (*sequence).sq_length.is_some()) || (!mapping.is_null() && (*mapping).mp_length.is_some())
    }
}

/// `int(p)`: under `__int__` (or `__long__`), else, as Python does for an
/// object without `__int__`, under `__index__`.
pub unsafe extern "C" fn nb_int(object: *mut PyObject) -> *mut PyObject {
    // SAFETY: the interpreter passes a live proxy.
    into_result(unsafe {
        (|| {
            let proxy = require_proxy(object)?;
            let wrapped = resolve(proxy)?;
            if interface::grants_operation(proxy, &[Name::Int, Name::Long])? {
                return forwarded(proxy, &wrapped, ffi::PyNumber_Long(wrapped.as_ptr()));
            }
            if interface::grants_operation(proxy, &[Name::Index])? && has_index(wrapped.as_ptr()) {
                return exact_index(proxy, &wrapped);
            }
            Err(errors::operation_denied(Name::Int))
        })()
    })
}

/// `float(p)`: under `__float__`, else under `__index__`.
pub unsafe extern "C" fn nb_float(object: *mut PyObject) -> *mut PyObject {
    // SAFETY: the interpreter passes a live proxy.
    into_result(unsafe {
        (|| {
            let proxy = require_proxy(object)?;
            let wrapped = resolve(proxy)?;
            if interface::grants_operation(proxy, &[Name::Float])? {
                return forwarded(proxy, &wrapped, ffi::PyNumber_Float(wrapped.as_ptr()));
            }
            if interface::grants_operation(proxy, &[Name::Index])? && has_index(wrapped.as_ptr()) {
                let index = exact_index(proxy, &wrapped)?;
                return forwarded(proxy, &wrapped, ffi::PyNumber_Float(index.as_ptr()));
            }
            Err(errors::operation_denied(Name::Float))
        })()
    })
}

/// `operator.index(p)`, which must be an exact int.
pub unsafe extern "C" fn nb_index(object: *mut PyObject) -> *mut PyObject {
    // SAFETY: the interpreter passes a live proxy.
    into_result(unsafe {
        (|| {
            let (proxy, wrapped) = open(object, &[Name::Index])?;
            exact_index(proxy, &wrapped)
        })()
    })
}

/// True if the object's type implements `__index__`.
pub unsafe fn has_index(object: *mut PyObject) -> bool {
    // SAFETY: object is live.
    unsafe {
        let methods = (*ffi::type_of(object)).tp_as_number;
        !methods.is_null() && (*methods).nb_index.is_some()
    }
}

/// `operator.index()` of the wrapped object as an exact int: a bool or
/// another int subclass would make the interpreter warn about the proxy.
pub unsafe fn exact_index(proxy: *mut MxProxyObject, wrapped: &Owned) -> Fallible<Owned> {
    // SAFETY: wrapped is live.
    unsafe {
        let index = forwarded(proxy, wrapped, ffi::PyNumber_Index(wrapped.as_ptr()))?;
        if ffi::PyLong_CheckExact(index.as_ptr()) != 0 {
            return Ok(index);
        }
        forwarded(proxy, wrapped, ffi::PyNumber_Long(index.as_ptr()))
    }
}

pub unsafe extern "C" fn tp_call(object: *mut PyObject, args: *mut PyObject, kwargs: *mut PyObject) -> *mut PyObject {
    // SAFETY: the interpreter passes a live proxy, a tuple and NULL or a
    // dict.
    into_result(unsafe {
        (|| {
            if let Some(proxy) = as_proxy(object) {
                if (*proxy).flags & FLAG_UNBOUND_METHOD != 0 {
                    return encapsulation::call_unbound_method(proxy, args, kwargs);
                }
            }
            let (proxy, wrapped) = open(object, &[Name::Call])?;
            let result = forwarded(proxy, &wrapped, ffi::PyObject_Call(wrapped.as_ptr(), args, kwargs))?;
            encapsulation::wrap_result(proxy, wrapped.as_ptr(), result)
        })()
    })
}

pub unsafe extern "C" fn tp_hash(object: *mut PyObject) -> ffi::Py_hash_t {
    // SAFETY: the interpreter passes a live proxy.
    unsafe {
        let result = (|| -> Fallible<ffi::Py_hash_t> {
            let (proxy, wrapped) = open(object, &[Name::Hash])?;
            let hash = ffi::PyObject_Hash(wrapped.as_ptr());
            if hash == -1 && !ffi::PyErr_Occurred().is_null() {
                return Err(encapsulation::failed(proxy, wrapped.as_ptr()));
            }
            Ok(hash)
        })();
        result.unwrap_or(-1)
    }
}

pub unsafe extern "C" fn mp_length(object: *mut PyObject) -> ffi::Py_ssize_t {
    // SAFETY: the interpreter passes a live proxy.
    unsafe {
        let result = (|| -> Fallible<ffi::Py_ssize_t> {
            let (proxy, wrapped) = open(object, &[Name::Len])?;
            let length = ffi::PyObject_Size(wrapped.as_ptr());
            if length < 0 {
                return Err(encapsulation::failed(proxy, wrapped.as_ptr()));
            }
            Ok(length)
        })();
        result.unwrap_or(-1)
    }
}

pub unsafe extern "C" fn mp_subscript(object: *mut PyObject, key: *mut PyObject) -> *mut PyObject {
    // SAFETY: the interpreter passes a live proxy and key.
    into_result(unsafe {
        (|| {
            let (proxy, wrapped) = open(object, &[Name::Getitem])?;
            let item = forwarded(proxy, &wrapped, ffi::PyObject_GetItem(wrapped.as_ptr(), key))?;
            encapsulation::wrap_result(proxy, wrapped.as_ptr(), item)
        })()
    })
}

/// `sq_item`: only used by Python's sequence-iteration fallback (iterating
/// or testing `in` when `__iter__` is not granted), so it reads items by
/// index under `__getitem__`.
pub unsafe extern "C" fn sq_item(object: *mut PyObject, index: ffi::Py_ssize_t) -> *mut PyObject {
    // SAFETY: the interpreter passes a live proxy.
    into_result(unsafe {
        (|| {
            let (proxy, wrapped) = open(object, &[Name::Getitem])?;
            let key = Owned::from_new(ffi::PyLong_FromSsize_t(index))?;
            let item = forwarded(proxy, &wrapped, ffi::PyObject_GetItem(wrapped.as_ptr(), key.as_ptr()))?;
            encapsulation::wrap_result(proxy, wrapped.as_ptr(), item)
        })()
    })
}

pub unsafe extern "C" fn mp_ass_subscript(object: *mut PyObject, key: *mut PyObject, value: *mut PyObject) -> c_int {
    // SAFETY: the interpreter passes a live proxy and key; value is NULL
    // for deletion.
    into_status(unsafe {
        (|| {
            let names: &[Name] = if value.is_null() { &[Name::Delitem] } else { &[Name::Setitem] };
            let (proxy, wrapped) = open(object, names)?;
            let status = if value.is_null() {
                ffi::PyObject_DelItem(wrapped.as_ptr(), key)
            } else {
                ffi::PyObject_SetItem(wrapped.as_ptr(), key, value)
            };
            if status < 0 {
                return Err(encapsulation::failed(proxy, wrapped.as_ptr()));
            }
            Ok(())
        })()
    })
}

/// `x in p`: the object's own test under `__contains__`; without it,
/// iteration through the proxy (`__iter__`, else the `__getitem__`
/// sequence protocol), comparing as Python does.
pub unsafe extern "C" fn sq_contains(object: *mut PyObject, value: *mut PyObject) -> c_int {
    // SAFETY: the interpreter passes a live proxy and value.
    unsafe {
        let result = (|| -> Fallible<c_int> {
            let proxy = require_proxy(object)?;
            let wrapped = resolve(proxy)?;
            if interface::grants_operation(proxy, &[Name::Contains])? {
                let found = ffi::PySequence_Contains(wrapped.as_ptr(), value);
                if found < 0 {
                    return Err(encapsulation::failed(proxy, wrapped.as_ptr()));
                }
                return Ok(found);
            }
            if !interface::grants_operation(proxy, &[Name::Iter, Name::Getitem])? {
                return Err(errors::operation_denied(Name::Contains));
            }
            let iterator = Owned::from_new(ffi::PyObject_GetIter(object))?;
            loop {
                let item = ffi::PyIter_Next(iterator.as_ptr());
                if item.is_null() {
                    return if ffi::PyErr_Occurred().is_null() { Ok(0) } else { Err(PyErrSet) };
                }
                let item = Owned::from_new(item)?;
                let equal = if item.as_ptr() == value {
                    1
                } else {
                    ffi::PyObject_RichCompareBool(item.as_ptr(), value, ffi::Py_EQ)
                };
                if equal != 0 {
                    return if equal > 0 { Ok(1) } else { Err(PyErrSet) };
                }
            }
        })();
        result.unwrap_or(-1)
    }
}

/// `iter(p)`: the object's iterator under `__iter__` (hidden behind a
/// restricted proxy when `p` is restricted); without it, the
/// `__getitem__` sequence protocol through the proxy.
pub unsafe extern "C" fn tp_iter(object: *mut PyObject) -> *mut PyObject {
    // SAFETY: the interpreter passes a live proxy.
    into_result(unsafe {
        (|| {
            let proxy = require_proxy(object)?;
            let wrapped = resolve(proxy)?;
            if interface::grants_operation(proxy, &[Name::Iter])? {
                let iterator = forwarded(proxy, &wrapped, ffi::PyObject_GetIter(wrapped.as_ptr()))?;
                return encapsulation::hide_iterator(proxy, wrapped.as_ptr(), iterator);
            }
            if interface::grants_operation(proxy, &[Name::Getitem])? {
                return Owned::from_new(ffi::PySeqIter_New(object));
            }
            Err(errors::operation_denied(Name::Iter))
        })()
    })
}

/// `next(p)`. An exhausted iterator returns NULL without an exception,
/// which the interpreter reads as StopIteration.
pub unsafe extern "C" fn tp_iternext(object: *mut PyObject) -> *mut PyObject {
    // SAFETY: the interpreter passes a live proxy.
    unsafe {
        let result = (|| -> Fallible<*mut PyObject> {
            let (proxy, wrapped) = open(object, &[Name::Next])?;
            if ffi::PyCoro_CheckExact(wrapped.as_ptr()) != 0 {
                // A coroutine hidden behind a proxy is driven like its
                // `__await__` iterator: next() sends None. asyncio's tasks
                // step it this way.
                let item = ffi::PyObject_CallMethodOneArg(wrapped.as_ptr(), name(Name::Send), ffi::Py_None());
                if item.is_null() {
                    return Err(encapsulation::failed(proxy, wrapped.as_ptr()));
                }
                return Ok(encapsulation::wrap_result(proxy, wrapped.as_ptr(), Owned::from_new(item)?)?.into_raw());
            }
            let Some(next) = (*ffi::type_of(wrapped.as_ptr())).tp_iternext else {
                return Err(errors::type_error(&format!(
                    "'{}' object is not an iterator",
                    errors::type_name(wrapped.as_ptr())
                )));
            };
            let item = next(wrapped.as_ptr());
            if item.is_null() {
                if ffi::PyErr_Occurred().is_null() {
                    return Ok(std::ptr::null_mut());
                }
                return Err(encapsulation::failed(proxy, wrapped.as_ptr()));
            }
            Ok(encapsulation::wrap_result(proxy, wrapped.as_ptr(), Owned::from_new(item)?)?.into_raw())
        })();
        result.unwrap_or(std::ptr::null_mut())
    }
}

pub unsafe extern "C" fn am_await(object: *mut PyObject) -> *mut PyObject {
    // SAFETY: the interpreter passes a live proxy.
    into_result(unsafe {
        (|| {
            let (proxy, wrapped) = open(object, &[Name::Await])?;
            let type_ = ffi::type_of(wrapped.as_ptr());
            let methods = (*type_).tp_as_async;
            if methods.as_ref().and_then(|methods| methods.am_await).is_none() {
                return Err(errors::type_error(&format!(
                    "object {} can't be used in 'await' expression",
                    errors::type_name(wrapped.as_ptr())
                )));
            }
            // Awaiting goes through a coroutine that hands back the proxy
            // where the awaited result is the object itself.
            encapsulation::await_iterator(proxy, wrapped.as_ptr())
        })()
    })
}

pub unsafe extern "C" fn am_aiter(object: *mut PyObject) -> *mut PyObject {
    // SAFETY: the interpreter passes a live proxy.
    into_result(unsafe {
        (|| {
            let (proxy, wrapped) = open(object, &[Name::Aiter])?;
            let result = operators::call_special(wrapped.as_ptr(), Name::Aiter, &[]);
            let result = forwarded(proxy, &wrapped, not_implemented_as_type_error(result, Name::Aiter, &wrapped))?;
            encapsulation::hide_async_iterator(proxy, wrapped.as_ptr(), result)
        })()
    })
}

pub unsafe extern "C" fn am_anext(object: *mut PyObject) -> *mut PyObject {
    // SAFETY: the interpreter passes a live proxy.
    into_result(unsafe {
        (|| {
            let (proxy, wrapped) = open(object, &[Name::Anext])?;
            let result = operators::call_special(wrapped.as_ptr(), Name::Anext, &[]);
            let result = forwarded(proxy, &wrapped, not_implemented_as_type_error(result, Name::Anext, &wrapped))?;
            encapsulation::await_through_proxy(proxy, wrapped.as_ptr(), result)
        })()
    })
}

/// `call_special` returns NotImplemented for a missing method; protocols
/// without a fallback turn that into the TypeError Python would raise.
pub unsafe fn not_implemented_as_type_error(result: *mut PyObject, method: Name, wrapped: &Owned) -> *mut PyObject {
    // SAFETY: result is a new reference or NULL.
    unsafe {
        if !result.is_null() && ffi::is_not_implemented(result) {
            ffi::Py_DECREF(result);
            errors::type_error(&format!(
                "'{}' object has no special method {}",
                errors::type_name(wrapped.as_ptr()),
                crate::names::text(method)
            ));
            return std::ptr::null_mut();
        }
        result
    }
}
