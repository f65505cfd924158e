//! Binary operators, `pow`, in-place operators and comparisons with a
//! proxy on either side or on both.
//!
//! The rule that shapes this file: a foreign operand must never be handed
//! a wrapped object. `PyNumber_Add(wrapped, other)` would break it, since
//! CPython then calls `other.__radd__(wrapped)`. So when both operands
//! (after unwrapping) implement the operation in C, whose code cannot
//! capture anything, the operation runs as `PyNumber_*` on the wrapped
//! objects. Otherwise each side's own method runs alone: a C slot, or for
//! a class that defines the operation in Python the special method looked
//! up on its type, and it receives the other operand as given (a proxy
//! stays a proxy). When that returns NotImplemented the slot returns
//! NotImplemented too, and Python's dispatch continues with the proxy, not
//! the wrapped object. The order of attempts follows Python's: a subclass
//! that overrides the reflected method goes first, and two operands of one
//! class try only the left one's method.

use crate::encapsulation;
use crate::ffi::{self, binaryfunc, PyNumberMethods, PyObject, PyTypeObject};
use crate::interface;
use crate::layout::MxProxyObject;
use crate::names::{name, Name};
use crate::owned::{Fallible, Owned, PyErrSet};
use crate::proxy::{as_proxy, resolve, Wrapped};
use crate::state::shared;

/// One row of the operator table: the names that gate each role, the
/// special methods of each role and how CPython spells the operation.
pub struct BinaryOperation {
    /// Gate the left operand; the first name is the one a denial names.
    pub plain: &'static [Name],
    /// Gate the right operand.
    pub reflected: &'static [Name],
    /// Gate `p op= x`; empty for operators without an in-place form.
    pub inplace: &'static [Name],
    pub plain_method: Name,
    pub reflected_method: Name,
    pub inplace_method: Name,
    pub number: unsafe extern "C" fn(*mut PyObject, *mut PyObject) -> *mut PyObject,
    pub inplace_number: unsafe extern "C" fn(*mut PyObject, *mut PyObject) -> *mut PyObject,
    pub slot: fn(&PyNumberMethods) -> Option<binaryfunc>,
    pub inplace_slot: fn(&PyNumberMethods) -> Option<binaryfunc>,
}

/// An operand as the operation sees it: the value to use when the other
/// side is static too, and the proxy (if it was one) for error cleaning.
struct Operand {
    proxy: Option<*mut MxProxyObject>,
    value: Wrapped,
}

impl Operand {
    /// Resolve a proxy operand (a lost weak object fails first) and check
    /// its role's names; other operands are used as they are.
    unsafe fn new(operand: *mut PyObject, gate: Option<&[Name]>) -> Fallible<Operand> {
        // SAFETY: operand is live.
        unsafe {
            match as_proxy(operand) {
                Some(proxy) => {
                    let value = resolve(proxy)?;
                    if let Some(names) = gate {
                        interface::require_operation(proxy, names)?;
                    }
                    Ok(Operand { proxy: Some(proxy), value })
                }
                None => Ok(Operand { proxy: None, value: Wrapped::unguarded(Owned::from_borrowed(operand)) }),
            }
        }
    }

    fn type_(&self) -> *mut PyTypeObject {
        // SAFETY: value is live.
        unsafe { ffi::type_of(self.value.as_ptr()) }
    }
}

/// True if `type_` is, or derives from, one of the built-in value types
/// whose C code computes with the operands' contents and never forwards an
/// operand to other code: `object`, numbers, strings, bytes and the
/// built-in containers. Other C types may forward (`weakref.proxy`,
/// `types.MappingProxyType`, this module's own proxies), so they never
/// receive a wrapped object.
#[inline(always)]
unsafe fn value_type_base(type_: *mut PyTypeObject) -> bool {
    // SAFETY: type_ and its bases are live type objects.
    unsafe {
        if is_builtin_value_type(type_) {
            return true;
        }
        // Classes written in Python share CPython's generic deallocator;
        // look through them to the C type they build on.
        let python_class_dealloc = (*shared().python_methods_type).tp_dealloc.map(|function| function as usize);
        let mut base = type_;
        while ffi::is_heap_type(base) && (*base).tp_dealloc.map(|function| function as usize) == python_class_dealloc {
            base = (*base).tp_base;
            if base.is_null() {
                return false;
            }
        }
        is_builtin_value_type(base) || is_standard_value_type(base)
    }
}

/// Value types of the standard library's C modules, recognised by name
/// because they are not exported symbols (and since Python 3.13 some are
/// heap types made from a C spec).
unsafe fn is_standard_value_type(type_: *mut PyTypeObject) -> bool {
    // SAFETY: tp_name of a live type is a NUL-terminated string.
    let name = unsafe { std::ffi::CStr::from_ptr((*type_).tp_name) };
    matches!(
        name.to_bytes(),
        b"decimal.Decimal"
            | b"array.array"
            | b"datetime.date"
            | b"datetime.datetime"
            | b"datetime.time"
            | b"datetime.timedelta"
            | b"datetime.timezone"
    )
}

/// True for the built-in value types themselves.
#[inline(always)]
fn is_builtin_value_type(type_: *mut PyTypeObject) -> bool {
    // SAFETY: only the addresses of the static type objects are taken.
    unsafe {
        std::ptr::eq(type_, &raw mut ffi::PyLong_Type)
            || std::ptr::eq(type_, &raw mut ffi::PyFloat_Type)
            || std::ptr::eq(type_, &raw mut ffi::PyUnicode_Type)
            || std::ptr::eq(type_, &raw mut ffi::PyList_Type)
            || std::ptr::eq(type_, &raw mut ffi::PyTuple_Type)
            || std::ptr::eq(type_, &raw mut ffi::PyDict_Type)
            || std::ptr::eq(type_, &raw mut ffi::PyBool_Type)
            || std::ptr::eq(type_, &raw mut ffi::PyBytes_Type)
            || std::ptr::eq(type_, &raw mut ffi::PySet_Type)
            || std::ptr::eq(type_, &raw mut ffi::PyFrozenSet_Type)
            || std::ptr::eq(type_, &raw mut ffi::PyComplex_Type)
            || std::ptr::eq(type_, &raw mut ffi::PyByteArray_Type)
            || std::ptr::eq(type_, &raw mut ffi::PyRange_Type)
            || std::ptr::eq(type_, &raw mut ffi::PySlice_Type)
            || std::ptr::eq(type_, &raw mut ffi::PyBaseObject_Type)
            || std::ptr::eq(type_, ffi::type_of(ffi::Py_None()))
    }
}

/// True if `type_` implements a number slot in Python: a class whose slot
/// is CPython's trampoline to a special method written in Python. Such
/// code could keep whatever it is handed. Static types and heap types
/// with C slots (types made from a C spec, or inheriting a C slot) are not.
#[inline(always)]
unsafe fn number_slot_in_python(type_: *mut PyTypeObject, slot: fn(&PyNumberMethods) -> Option<binaryfunc>) -> bool {
    // SAFETY: both types are live; comparing function addresses.
    unsafe {
        if !ffi::is_heap_type(type_) {
            return false;
        }
        let own = number_methods(type_).and_then(slot).map(|function| function as usize);
        let trampoline = number_methods(shared().python_methods_type).and_then(slot).map(|function| function as usize);
        own.is_some() && own == trampoline
    }
}

/// True if the operation can run as `PyNumber_*` on this operand: a value
/// type whose slot for it is C code.
#[inline(always)]
unsafe fn computes_in_c(type_: *mut PyTypeObject, slot: fn(&PyNumberMethods) -> Option<binaryfunc>) -> bool {
    // SAFETY: type_ is live.
    unsafe { value_type_base(type_) && !number_slot_in_python(type_, slot) }
}

#[inline(always)]
unsafe fn power_in_python(type_: *mut PyTypeObject) -> bool {
    // SAFETY: as number_slot_in_python.
    unsafe {
        if !ffi::is_heap_type(type_) {
            return false;
        }
        let own = number_methods(type_).and_then(|methods| methods.nb_power).map(|function| function as usize);
        let trampoline =
            number_methods(shared().python_methods_type).and_then(|methods| methods.nb_power).map(|function| function as usize);
        own.is_some() && own == trampoline
    }
}

#[inline(always)]
unsafe fn comparison_in_python(type_: *mut PyTypeObject) -> bool {
    // SAFETY: as number_slot_in_python.
    unsafe {
        ffi::is_heap_type(type_)
            && (*type_).tp_richcompare.map(|function| function as usize)
                == (*shared().python_methods_type).tp_richcompare.map(|function| function as usize)
    }
}

/// True if `sub` is a proper subclass of `base` that overrides `method`:
/// Python then tries the subclass's reflected method first.
unsafe fn overrides_reflected(sub: *mut PyTypeObject, base: *mut PyTypeObject, method: Name) -> bool {
    // SAFETY: both types are live; the look-ups return borrowed references
    // that are only compared.
    unsafe {
        sub != base
            && ffi::PyType_IsSubtype(sub, base) != 0
            && ffi::_PyType_Lookup(sub, name(method)) != ffi::_PyType_Lookup(base, name(method))
    }
}

/// Clean the pending exception for every restricted proxy involved.
unsafe fn failed(operands: &[&Operand]) -> PyErrSet {
    for operand in operands {
        if let Some(proxy) = operand.proxy {
            // SAFETY: an exception is set; the proxy and value are live.
            unsafe { encapsulation::failed(proxy, operand.value.as_ptr()) };
        }
    }
    PyErrSet
}

unsafe fn finish(result: *mut PyObject, operands: &[&Operand]) -> Fallible<Owned> {
    // SAFETY: result is a new reference or NULL with an exception set.
    unsafe {
        let mut result = Owned::from_new(result).map_err(|_| failed(operands))?;
        for operand in operands {
            if let Some(proxy) = operand.proxy {
                result = encapsulation::hide_computed(proxy, result)?;
            }
        }
        Ok(result)
    }
}

/// Call the special method `method` of `object`'s type with `object` and
/// `arguments`, as Python does for operators; NotImplemented if the type
/// has no such method.
pub unsafe fn call_special(object: *mut PyObject, method: Name, arguments: &[*mut PyObject]) -> *mut PyObject {
    // SAFETY: object and arguments are live; the descriptor is kept alive
    // by a reference while it is called.
    unsafe {
        let type_ = ffi::type_of(object);
        let descriptor = ffi::_PyType_Lookup(type_, name(method));
        if descriptor.is_null() {
            return ffi::not_implemented();
        }
        let descriptor = Owned::from_borrowed(descriptor);
        let descriptor_type = ffi::type_of(descriptor.as_ptr());
        let mut stack: [*mut PyObject; 4] = [std::ptr::null_mut(); 4];
        let count = arguments.len().min(3);
        if (*descriptor_type).tp_flags & ffi::Py_TPFLAGS_METHOD_DESCRIPTOR != 0 {
            stack[0] = object;
            stack[1..=count].copy_from_slice(&arguments[..count]);
            return ffi::PyObject_Vectorcall(descriptor.as_ptr(), stack.as_ptr(), count + 1, std::ptr::null_mut());
        }
        let callable = match (*descriptor_type).tp_descr_get {
            Some(get) => match Owned::from_new(get(descriptor.as_ptr(), object, type_.cast())) {
                Ok(bound) => bound,
                Err(PyErrSet) => return std::ptr::null_mut(),
            },
            None => descriptor,
        };
        stack[..count].copy_from_slice(&arguments[..count]);
        ffi::PyObject_Vectorcall(callable.as_ptr(), stack.as_ptr(), count, std::ptr::null_mut())
    }
}

unsafe fn number_methods(type_: *mut PyTypeObject) -> Option<&'static PyNumberMethods> {
    // SAFETY: a live type's tp_as_number is NULL or valid for its lifetime,
    // which outlasts the call that uses it.
    unsafe { (*type_).tp_as_number.as_ref() }
}

/// The left operand's own method, given the right operand as passed in.
unsafe fn left_method(value: *mut PyObject, right: *mut PyObject, operation: &BinaryOperation) -> *mut PyObject {
    // SAFETY: both are live.
    unsafe {
        let type_ = ffi::type_of(value);
        if number_slot_in_python(type_, operation.slot) {
            return call_special(value, operation.plain_method, &[right]);
        }
        match number_methods(type_).and_then(|methods| (operation.slot)(methods)) {
            Some(slot) => slot(value, right),
            None => ffi::not_implemented(),
        }
    }
}

/// The right operand's reflected method, given the left operand as passed.
unsafe fn right_method(left: *mut PyObject, value: *mut PyObject, operation: &BinaryOperation) -> *mut PyObject {
    // SAFETY: both are live; a static type's slot takes the operands in
    // operator order.
    unsafe {
        let type_ = ffi::type_of(value);
        if number_slot_in_python(type_, operation.slot) {
            return call_special(value, operation.reflected_method, &[left]);
        }
        match number_methods(type_).and_then(|methods| (operation.slot)(methods)) {
            Some(slot) => slot(left, value),
            None => ffi::not_implemented(),
        }
    }
}

/// `v OP w` where at least one operand is a proxy. `gate_left` is false
/// when an in-place grant already covers the left proxy.
pub unsafe fn binary(v: *mut PyObject, w: *mut PyObject, operation: &BinaryOperation, gate_left: bool) -> Fallible<Owned> {
    // SAFETY: v and w are live operands passed by the interpreter.
    unsafe {
        if let Some(result) = value_fast_path(v, w, if gate_left { operation.plain } else { &[] }, operation.number) {
            return result;
        }
        let left = Operand::new(v, gate_left.then_some(operation.plain))?;
        let right = Operand::new(w, Some(operation.reflected))?;
        let (left_type, right_type) = (left.type_(), right.type_());
        if computes_in_c(left_type, operation.slot) && computes_in_c(right_type, operation.slot) {
            return finish((operation.number)(left.value.as_ptr(), right.value.as_ptr()), &[&left, &right]);
        }
        if left.proxy.is_none() {
            // The interpreter calls this slot for `x OP p` after x's own
            // slot declined, so only the right operand is left to try.
            return finish(right_method(v, right.value.as_ptr(), operation), &[&right]);
        }
        // Python tries only the left method for two operands of one class
        // that defines the operation in Python.
        let mut right_tried = left_type == right_type && number_slot_in_python(left_type, operation.slot);
        if overrides_reflected(right_type, left_type, operation.reflected_method) {
            right_tried = true;
            let result = finish(right_method(v, right.value.as_ptr(), operation), &[&right])?;
            if !ffi::is_not_implemented(result.as_ptr()) {
                return Ok(result);
            }
        }
        let result = finish(left_method(left.value.as_ptr(), w, operation), &[&left])?;
        if !ffi::is_not_implemented(result.as_ptr()) || right_tried || right.proxy.is_none() {
            return Ok(result);
        }
        finish(right_method(v, right.value.as_ptr(), operation), &[&right])
    }
}

/// The common case, `p OP x` with a strong proxy of a built-in value and a
/// built-in value on the right, without the general machinery: the same
/// gate, one `PyNumber_*` call, and the same result handling. None when
/// the operands do not fit.
#[inline(always)]
unsafe fn value_fast_path(
    v: *mut PyObject,
    w: *mut PyObject,
    gate: &[Name],
    number: unsafe extern "C" fn(*mut PyObject, *mut PyObject) -> *mut PyObject,
) -> Option<Fallible<Owned>> {
    // SAFETY: see value_fast_path_with.
    unsafe { value_fast_path_with(v, w, gate, |a, b| number(a, b)) }
}

#[inline(always)]
unsafe fn value_fast_path_with(
    v: *mut PyObject,
    w: *mut PyObject,
    gate: &[Name],
    operation: impl Fn(*mut PyObject, *mut PyObject) -> *mut PyObject,
) -> Option<Fallible<Owned>> {
    // SAFETY: v and w are live; a strong proxy's object is live while the
    // proxy is, and a reference is held across the call.
    unsafe {
        let proxy = as_proxy(v)?;
        let object = (*proxy).object;
        if (*proxy).flags & crate::layout::FLAG_WEAK != 0
            || object.is_null()
            || !is_builtin_value_type(ffi::type_of(object))
            || !is_builtin_value_type(ffi::type_of(w))
        {
            return None;
        }
        Some((|| {
            if !gate.is_empty() {
                interface::require_operation(proxy, gate)?;
            }
            let object = Owned::from_borrowed(object);
            let result = match Owned::from_new(operation(object.as_ptr(), w)) {
                Ok(result) => result,
                Err(PyErrSet) => return Err(encapsulation::failed(proxy, object.as_ptr())),
            };
            encapsulation::hide_computed(proxy, result)
        })())
    }
}

/// `p OP= w`. With the in-place name granted, the object's in-place method
/// runs, and if it has none, the plain operation, both under that grant.
/// Without it, NotImplemented lets Python fall back to `p = p OP w`, which
/// the plain slot gates by the plain name.
pub unsafe fn inplace(v: *mut PyObject, w: *mut PyObject, operation: &BinaryOperation) -> Fallible<Owned> {
    // SAFETY: v and w are live operands passed by the interpreter.
    unsafe {
        let Some(proxy) = as_proxy(v) else {
            return Owned::from_new(ffi::not_implemented());
        };
        let left = Operand::new(v, None)?;
        if !interface::grants_operation(proxy, operation.inplace)? {
            return Owned::from_new(ffi::not_implemented());
        }
        let right = Operand::new(w, Some(operation.reflected))?;
        let wrapped = left.value.as_ptr();
        // Only a real in-place method can return the wrapped object as
        // itself; a plain operation may return an equal shared value (a
        // small int) that is returned as computed.
        let in_c = computes_in_c(left.type_(), operation.inplace_slot)
            && computes_in_c(left.type_(), operation.slot)
            && computes_in_c(right.type_(), operation.slot);
        let (result, in_place) = if in_c {
            let result = finish((operation.inplace_number)(wrapped, right.value.as_ptr()), &[&left, &right])?;
            (result, has_inplace_slot(ffi::type_of(wrapped), operation))
        } else {
            let type_ = ffi::type_of(wrapped);
            let attempt = if number_slot_in_python(type_, operation.inplace_slot) {
                call_special(wrapped, operation.inplace_method, &[w])
            } else {
                match number_methods(type_).and_then(|methods| (operation.inplace_slot)(methods)) {
                    Some(slot) => slot(wrapped, w),
                    None => ffi::not_implemented(),
                }
            };
            let attempt = finish(attempt, &[&left])?;
            if ffi::is_not_implemented(attempt.as_ptr()) {
                (binary(v, w, operation, false)?, false)
            } else {
                (attempt, true)
            }
        };
        if in_place && result.as_ptr() == wrapped {
            return Ok(Owned::from_borrowed(v));
        }
        Ok(result)
    }
}

/// True if a static type implements the operation in place: a number
/// slot, or for `+=` and `*=` the sequence slots lists use.
unsafe fn has_inplace_slot(type_: *mut PyTypeObject, operation: &BinaryOperation) -> bool {
    // SAFETY: type_ is a live type.
    unsafe {
        if number_methods(type_).and_then(|methods| (operation.inplace_slot)(methods)).is_some() {
            return true;
        }
        let Some(sequence) = (*type_).tp_as_sequence.as_ref() else {
            return false;
        };
        match operation.plain_method {
            Name::Add => sequence.sq_inplace_concat.is_some(),
            Name::Mul => sequence.sq_inplace_repeat.is_some(),
            _ => false,
        }
    }
}

/// The names of `pow` for each role.
pub struct PowerNames {
    pub plain: &'static [Name],
    pub reflected: &'static [Name],
    pub inplace: &'static [Name],
}

pub const POWER: PowerNames = PowerNames {
    plain: &[Name::Pow],
    reflected: &[Name::Rpow],
    inplace: &[Name::Ipow],
};

/// `pow(v, w, z)` and `v ** w` (z is None) with a proxy among v and w.
pub unsafe fn power(v: *mut PyObject, w: *mut PyObject, z: *mut PyObject, gate_left: bool) -> Fallible<Owned> {
    // SAFETY: all three are live.
    unsafe {
        let left = Operand::new(v, gate_left.then_some(POWER.plain))?;
        let right = Operand::new(w, Some(POWER.reflected))?;
        // A proxy as the modulus takes part in the operation like a right
        // operand, so it needs the same grant.
        let modulus = Operand::new(z, Some(POWER.reflected))?;
        let in_c = |type_: *mut PyTypeObject| value_type_base(type_) && !power_in_python(type_);
        if in_c(left.type_()) && in_c(right.type_()) && in_c(modulus.type_()) {
            return finish(
                ffi::PyNumber_Power(left.value.as_ptr(), right.value.as_ptr(), modulus.value.as_ptr()),
                &[&left, &right, &modulus],
            );
        }
        let ternary = z != ffi::Py_None();
        let right_pow = |left_operand: *mut PyObject| {
            let value = right.value.as_ptr();
            let type_ = right.type_();
            if power_in_python(type_) {
                // Three-argument pow never calls __rpow__.
                if ternary {
                    ffi::not_implemented()
                } else {
                    call_special(value, Name::Rpow, &[left_operand])
                }
            } else {
                match number_methods(type_).and_then(|methods| methods.nb_power) {
                    Some(slot) => slot(left_operand, value, z),
                    None => ffi::not_implemented(),
                }
            }
        };
        if left.proxy.is_none() {
            // Called for `x ** p` after x's own slot declined.
            return finish(right_pow(v), &[&right]);
        }
        let value = left.value.as_ptr();
        let type_ = left.type_();
        let attempt = if power_in_python(type_) {
            if ternary {
                call_special(value, Name::Pow, &[w, z])
            } else {
                call_special(value, Name::Pow, &[w])
            }
        } else {
            match number_methods(type_).and_then(|methods| methods.nb_power) {
                Some(slot) => slot(value, w, z),
                None => ffi::not_implemented(),
            }
        };
        let result = finish(attempt, &[&left])?;
        // A foreign right operand's method is the interpreter's to call.
        let same_python_class = left.type_() == right.type_() && power_in_python(left.type_());
        if !ffi::is_not_implemented(result.as_ptr()) || same_python_class || right.proxy.is_none() {
            return Ok(result);
        }
        finish(right_pow(v), &[&right])
    }
}

/// `p **= w`, as `inplace` does for the other operators. Python 3.9 does
/// not fall back from `__ipow__` to `__pow__`, so there the proxy does.
pub unsafe fn inplace_power(v: *mut PyObject, w: *mut PyObject, z: *mut PyObject) -> Fallible<Owned> {
    // SAFETY: all three are live.
    unsafe {
        let Some(proxy) = as_proxy(v) else {
            return Owned::from_new(ffi::not_implemented());
        };
        let left = Operand::new(v, None)?;
        if !interface::grants_operation(proxy, POWER.inplace)? {
            if cfg!(Py_3_10) {
                return Owned::from_new(ffi::not_implemented());
            }
            // Python 3.9 tries only the in-place slots for `**=`, so the
            // proxy performs the whole fallback, the right operand's
            // reflected method included.
            let result = power(v, w, z, true)?;
            if ffi::is_not_implemented(result.as_ptr()) && as_proxy(w).is_none() {
                return reflected_power_of_foreign(v, w, z);
            }
            return Ok(result);
        }
        let right = Operand::new(w, Some(POWER.reflected))?;
        let wrapped = left.value.as_ptr();
        let in_c = |type_: *mut PyTypeObject| value_type_base(type_) && !power_in_python(type_);
        let (result, in_place) = if in_c(left.type_()) && in_c(right.type_()) {
            let result = finish(ffi::PyNumber_InPlacePower(wrapped, right.value.as_ptr(), z), &[&left, &right])?;
            let in_place = number_methods(ffi::type_of(wrapped)).and_then(|methods| methods.nb_inplace_power).is_some();
            (result, in_place)
        } else {
            let type_ = ffi::type_of(wrapped);
            let attempt = if power_in_python(type_) {
                call_special(wrapped, Name::Ipow, &[w])
            } else {
                match number_methods(type_).and_then(|methods| methods.nb_inplace_power) {
                    Some(slot) => slot(wrapped, w, z),
                    None => ffi::not_implemented(),
                }
            };
            let attempt = finish(attempt, &[&left])?;
            if ffi::is_not_implemented(attempt.as_ptr()) {
                (power(v, w, z, false)?, false)
            } else {
                (attempt, true)
            }
        };
        if in_place && result.as_ptr() == wrapped {
            return Ok(Owned::from_borrowed(v));
        }
        if !cfg!(Py_3_10) && ffi::is_not_implemented(result.as_ptr()) && as_proxy(w).is_none() {
            return reflected_power_of_foreign(v, w, z);
        }
        Ok(result)
    }
}

/// Python 3.9 tries only in-place slots for `**=`; this runs the right
/// operand's power slot, which the interpreter would have tried for `**`.
/// If that declines too, it raises the TypeError itself: returning
/// NotImplemented would make 3.9 try the right operand's in-place slot,
/// which for a Python class calls this proxy's `__ipow__` again.
unsafe fn reflected_power_of_foreign(v: *mut PyObject, w: *mut PyObject, z: *mut PyObject) -> Fallible<Owned> {
    // SAFETY: v and w are live; the slot receives the proxy, not its object.
    unsafe {
        let result = match number_methods(ffi::type_of(w)).and_then(|methods| methods.nb_power) {
            Some(slot) => Owned::from_new(slot(v, w, z))?,
            None => Owned::from_new(ffi::not_implemented())?,
        };
        if !ffi::is_not_implemented(result.as_ptr()) {
            return Ok(result);
        }
        Err(crate::errors::type_error(&format!(
            "unsupported operand type(s) for ** or pow(): '{}' and '{}'",
            crate::errors::type_name(v),
            crate::errors::type_name(w)
        )))
    }
}

/// The names that grant each comparison, indexed by CPython's operator
/// codes (Py_LT ... Py_GE); `__cmp__` grants all six.
const COMPARISON_NAMES: [[Name; 2]; 6] = [
    [Name::Lt, Name::Cmp],
    [Name::Le, Name::Cmp],
    [Name::Eq, Name::Cmp],
    [Name::Ne, Name::Cmp],
    [Name::Gt, Name::Cmp],
    [Name::Ge, Name::Cmp],
];

/// The operator code with the operands swapped: `a < b` is `b > a`.
const SWAPPED: [std::ffi::c_int; 6] = [ffi::Py_GT, ffi::Py_GE, ffi::Py_EQ, ffi::Py_NE, ffi::Py_LT, ffi::Py_LE];

/// `tp_richcompare`. CPython calls it with the proxy first, or with
/// proxies on both sides; the right proxy is gated by the swapped name.
pub unsafe fn richcompare(v: *mut PyObject, w: *mut PyObject, operator: std::ffi::c_int) -> Fallible<Owned> {
    let Some(names) = COMPARISON_NAMES.get(operator as usize) else {
        // SAFETY: raising a built-in exception.
        unsafe { ffi::PyErr_SetString(ffi::PyExc_SystemError, c"invalid comparison operator".as_ptr()) };
        return Err(PyErrSet);
    };
    let swapped = SWAPPED[operator as usize];
    // SAFETY: v and w are live operands.
    unsafe {
        let compare = |a: *mut PyObject, b: *mut PyObject| ffi::PyObject_RichCompare(a, b, operator);
        if let Some(result) = value_fast_path_with(v, w, names, compare) {
            return result;
        }
        let left = Operand::new(v, Some(names))?;
        let right = Operand::new(w, Some(&COMPARISON_NAMES[swapped as usize]))?;
        let (left_type, right_type) = (left.type_(), right.type_());
        let in_c = |type_: *mut PyTypeObject| value_type_base(type_) && !comparison_in_python(type_);
        if in_c(left_type) && in_c(right_type) {
            return finish(
                ffi::PyObject_RichCompare(left.value.as_ptr(), right.value.as_ptr(), operator),
                &[&left, &right],
            );
        }
        // A type's own tp_richcompare never tries the reflected method (the
        // interpreter does that), so it is safe to call for any type.
        let compare_left = || match (*left_type).tp_richcompare {
            Some(compare) => compare(left.value.as_ptr(), w, operator),
            None => ffi::not_implemented(),
        };
        let compare_right = || match (*right_type).tp_richcompare {
            Some(compare) => compare(right.value.as_ptr(), v, swapped),
            None => ffi::not_implemented(),
        };
        if left.proxy.is_none() {
            return finish(compare_right(), &[&right]);
        }
        let mut right_tried = false;
        if overrides_reflected(right_type, left_type, COMPARISON_NAMES[swapped as usize][0]) {
            right_tried = true;
            let result = finish(compare_right(), &[&right])?;
            if !ffi::is_not_implemented(result.as_ptr()) {
                return Ok(result);
            }
        }
        let result = finish(compare_left(), &[&left])?;
        if !ffi::is_not_implemented(result.as_ptr()) {
            return Ok(result);
        }
        // A foreign right operand's method is the interpreter's to call.
        if !right_tried && right.proxy.is_some() {
            let result = finish(compare_right(), &[&right])?;
            if !ffi::is_not_implemented(result.as_ptr()) {
                return Ok(result);
            }
        }
        if left.proxy.is_none() || right.proxy.is_none() {
            return Ok(result);
        }
        // Both operands are proxies, so the interpreter's fallback would
        // compare the proxies: decide here as it would for the objects.
        match operator {
            ffi::Py_EQ => Owned::from_new(ffi::PyBool_FromLong((left.value.as_ptr() == right.value.as_ptr()).into())),
            ffi::Py_NE => Owned::from_new(ffi::PyBool_FromLong((left.value.as_ptr() != right.value.as_ptr()).into())),
            _ => Err(crate::errors::type_error(&format!(
                "'{}' not supported between instances of '{}' and '{}'",
                COMPARISON_SYMBOLS[operator as usize],
                crate::errors::type_name(left.value.as_ptr()),
                crate::errors::type_name(right.value.as_ptr())
            ))),
        }
    }
}

const COMPARISON_SYMBOLS: [&str; 6] = ["<", "<=", "==", "!=", ">", ">="];
