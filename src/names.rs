//! Interned Python strings for every name the proxy checks or calls: hook
//! names, special-method names that gate operations, and a few others.
//! They are created once at module import, so checking an interface is a
//! set lookup with a precomputed hash.

use std::ffi::CStr;

use crate::ffi::{self, PyObject};
use crate::owned::{Fallible, PyErrSet};
use crate::state::GilCell;

macro_rules! interned_names {
    ($($variant:ident = $text:literal),* $(,)?) => {
        /// A name interned at module import; `name(Name::X)` is its `str`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(usize)]
        pub enum Name { $($variant),* }

        const TEXTS: &[&CStr] = &[$($text),*];
    };
}

interned_names! {
    PublicGetattr = c"__public_getattr__",
    PublicSetattr = c"__public_setattr__",
    PublicDelattr = c"__public_delattr__",
    Cleanup = c"__cleanup__",

    Call = c"__call__",
    Hash = c"__hash__",
    Str = c"__str__",
    Lt = c"__lt__",
    Le = c"__le__",
    Eq = c"__eq__",
    Ne = c"__ne__",
    Gt = c"__gt__",
    Ge = c"__ge__",
    Cmp = c"__cmp__",

    Len = c"__len__",
    Getitem = c"__getitem__",
    Setitem = c"__setitem__",
    Delitem = c"__delitem__",
    Contains = c"__contains__",
    Iter = c"__iter__",
    Next = c"__next__",
    LengthHint = c"__length_hint__",

    Add = c"__add__",
    Radd = c"__radd__",
    Iadd = c"__iadd__",
    Sub = c"__sub__",
    Rsub = c"__rsub__",
    Isub = c"__isub__",
    Mul = c"__mul__",
    Rmul = c"__rmul__",
    Imul = c"__imul__",
    Repeat = c"__repeat__",
    Matmul = c"__matmul__",
    Rmatmul = c"__rmatmul__",
    Imatmul = c"__imatmul__",
    Truediv = c"__truediv__",
    Rtruediv = c"__rtruediv__",
    Itruediv = c"__itruediv__",
    Floordiv = c"__floordiv__",
    Rfloordiv = c"__rfloordiv__",
    Ifloordiv = c"__ifloordiv__",
    Div = c"__div__",
    Rdiv = c"__rdiv__",
    Idiv = c"__idiv__",
    Mod = c"__mod__",
    Rmod = c"__rmod__",
    Imod = c"__imod__",
    Divmod = c"__divmod__",
    Rdivmod = c"__rdivmod__",
    Pow = c"__pow__",
    Rpow = c"__rpow__",
    Ipow = c"__ipow__",
    Lshift = c"__lshift__",
    Rlshift = c"__rlshift__",
    Ilshift = c"__ilshift__",
    Rshift = c"__rshift__",
    Rrshift = c"__rrshift__",
    Irshift = c"__irshift__",
    And = c"__and__",
    Rand = c"__rand__",
    Iand = c"__iand__",
    Xor = c"__xor__",
    Rxor = c"__rxor__",
    Ixor = c"__ixor__",
    Or = c"__or__",
    Ror = c"__ror__",
    Ior = c"__ior__",

    Neg = c"__neg__",
    Pos = c"__pos__",
    Abs = c"__abs__",
    Invert = c"__invert__",
    Bool = c"__bool__",
    True_ = c"__true__",
    Nonzero = c"__nonzero__",
    Int = c"__int__",
    Long = c"__long__",
    Float = c"__float__",
    Index = c"__index__",

    Enter = c"__enter__",
    Exit = c"__exit__",
    Round = c"__round__",
    Trunc = c"__trunc__",
    Floor = c"__floor__",
    Ceil = c"__ceil__",
    Reversed = c"__reversed__",
    Format = c"__format__",
    Bytes = c"__bytes__",
    Complex = c"__complex__",
    Fspath = c"__fspath__",
    Await = c"__await__",
    Aiter = c"__aiter__",
    Anext = c"__anext__",
    Aenter = c"__aenter__",
    Aexit = c"__aexit__",
    Dir = c"__dir__",

    Reduce = c"__reduce__",
    ReduceEx = c"__reduce_ex__",
    Copy = c"__copy__",
    Deepcopy = c"__deepcopy__",
    Getstate = c"__getstate__",
    Setstate = c"__setstate__",
    Getnewargs = c"__getnewargs__",
    GetnewargsEx = c"__getnewargs_ex__",

    Send = c"send",
    Throw = c"throw",
    Close = c"close",
    Asend = c"asend",
    Athrow = c"athrow",
    Aclose = c"aclose",

    Obj = c"obj",
    DunderNameAttribute = c"__name__",
    Class = c"__class__",
    Exceptions = c"exceptions",
    Value = c"value",
    Args = c"args",
    ProxyPrefix = c"proxy_",
    Verbose = c"verbose",
    Debug = c"debug",
    DevMode = c"dev_mode",
}

const COUNT: usize = TEXTS.len();

static INTERNED: GilCell<[*mut PyObject; COUNT]> = GilCell::new([std::ptr::null_mut(); COUNT]);

/// The interned `str` for `name`, borrowed; valid from module import on.
#[inline(always)]
pub fn name(name: Name) -> *mut PyObject {
    // SAFETY: the array is filled once at import, under the GIL, and only
    // read afterwards.
    unsafe { INTERNED.get()[name as usize] }
}

/// Create the interned strings. Called once from the module's init.
pub unsafe fn intern_all() -> Fallible<()> {
    // SAFETY: module init runs with the GIL held and before any other use.
    let table = unsafe { INTERNED.get_mut() };
    for (slot, text) in table.iter_mut().zip(TEXTS) {
        if !slot.is_null() {
            continue;
        }
        // SAFETY: `text` is a NUL-terminated ASCII literal.
        let interned = unsafe { ffi::PyUnicode_InternFromString(text.as_ptr()) };
        if interned.is_null() {
            return Err(PyErrSet);
        }
        *slot = interned;
    }
    Ok(())
}

/// The text of `name` as a Rust string, for messages.
pub fn text(name: Name) -> &'static str {
    TEXTS[name as usize].to_str().unwrap_or("?")
}
