"""include/mxProxy.h against the compiled module.

_header_layout() returns two tables of the same entries: one computed by
the C compiler from the header, one from the Rust definitions. TABLE_ENTRIES
names the entries in order: the size and field offsets of mxProxyObject,
the size and entry offsets of mxProxyModule_APIObject, the values of the
MXPROXY_FLAG_* macros in the order the header defines them, and
MXPROXY_GENERATION_SHIFT.
"""
import ctypes
import re
from pathlib import Path

import pytest

from mx.Proxy import ProxyType
from mx.Proxy.mxProxy import mxProxy as compiled

HEADER_PATH = Path(__file__).resolve().parent.parent / "include" / "mxProxy.h"

ORIGINAL_FIELD_ORDER = [
    "object",
    "interface",
    "passobj",
    "public_getattr",
    "public_setattr",
    "cleanup",
    "next_weak_proxy",
    "isWeak",
]

STRUCTURE_ENTRIES = [
    "sizeof(mxProxyObject)",
    "object",
    "interface",
    "passobj",
    "public_getattr",
    "public_setattr",
    "cleanup",
    "next_weak_proxy",
    "strong_extra",
    "isWeak",
    "flags",
    "weakreflist",
    "sizeof(mxProxyModule_APIObject)",
    "Proxy_Type",
    "Proxy_Check",
    "Proxy_New",
    "Proxy_WeakNew",
    "Proxy_GetObject",
]


def header_text():
    return HEADER_PATH.read_text()


def header_flag_names():
    """Return the MXPROXY_FLAG_* macro names in the order the header defines them."""
    return re.findall(r"^#define\s+(MXPROXY_FLAG_\w+)", header_text(), flags=re.MULTILINE)


FLAG_NAMES = header_flag_names()
TABLE_ENTRIES = STRUCTURE_ENTRIES + FLAG_NAMES + ["MXPROXY_GENERATION_SHIFT"]

POINTER_SIZE = ctypes.sizeof(ctypes.c_void_p)
POINTER_FIELDS = ["object", "interface", "passobj", "public_getattr", "public_setattr", "cleanup", "next_weak_proxy"]
API_ENTRIES = ["Proxy_Type", "Proxy_Check", "Proxy_New", "Proxy_WeakNew", "Proxy_GetObject"]


def strip_c_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.DOTALL)
    return re.sub(r"//[^\n]*", " ", text)


def struct_body(text, name):
    """Return the text between the braces of `typedef struct name { ... }`."""
    match = re.search(r"typedef\s+struct\s+" + name + r"\s*\{", text)
    assert match, f"no 'typedef struct {name}' in {HEADER_PATH}"
    depth = 1
    position = match.end()
    while depth:
        character = text[position]
        if character == "{":
            depth += 1
        elif character == "}":
            depth -= 1
        position += 1
    return text[match.end() : position - 1]


def declared_members(body):
    """Split a struct body into its members, in order.

    Each member is (name, declaration). A union or struct member is one
    entry whose name is that of its first field, because all its fields
    share one offset.
    """
    members = []
    position = 0
    while position < len(body):
        rest = body[position:]
        stripped = rest.lstrip()
        if not stripped:
            break
        position += len(rest) - len(stripped)
        if stripped.startswith("PyObject_HEAD"):
            # The macro carries its own semicolon.
            members.append(("PyObject_HEAD", "PyObject_HEAD"))
            position += len("PyObject_HEAD")
            continue
        if re.match(r"(union|struct)\s*\{", stripped):
            opening = body.index("{", position)
            closing = body.index("}", opening)
            inner = declared_members(body[opening + 1 : closing])
            end = body.index(";", closing)
            members.append((inner[0][0], body[position : end + 1]))
            position = end + 1
            continue
        end = body.index(";", position)
        declaration = body[position:end].strip()
        members.append((re.findall(r"[A-Za-z_][A-Za-z0-9_]*", declaration)[-1], declaration))
        position = end + 1
    return members


def object_members():
    text = strip_c_comments(header_text())
    return declared_members(struct_body(text, "mxProxyObject"))


def header_defines():
    """Return the integer values of the MXPROXY_FLAG_* and shift macros."""
    values = {}
    for name, expression in re.findall(r"#define\s+(MXPROXY_\w+)\s+(.+)", strip_c_comments(header_text())):
        shift = re.fullmatch(r"\(\s*1u?\s*<<\s*(\d+)\s*\)", expression.strip())
        if shift:
            values[name] = 1 << int(shift.group(1))
        elif re.fullmatch(r"\d+u?", expression.strip()):
            values[name] = int(expression.strip().rstrip("u"))
    return values


@pytest.fixture(scope="module")
def tables():
    header, rust = compiled._header_layout()
    return dict(zip(TABLE_ENTRIES, header)), dict(zip(TABLE_ENTRIES, rust))


# --- the two tables ---------------------------------------------------------


def test_layout_tables_equal():
    header, rust = compiled._header_layout()
    assert header == rust


def test_layout_tables_complete():
    header, rust = compiled._header_layout()
    assert len(header) == len(TABLE_ENTRIES)
    assert len(rust) == len(TABLE_ENTRIES)


@pytest.mark.parametrize("entry", TABLE_ENTRIES)
def test_layout_entry_agrees(tables, entry):
    header, rust = tables
    assert header[entry] == rust[entry]


def test_layout_returns_new_tuples():
    first = compiled._header_layout()
    second = compiled._header_layout()
    assert first == second
    assert first is not second


def test_layout_takes_no_arguments():
    with pytest.raises(TypeError):
        compiled._header_layout(1)


# --- the binary checked against the tables ---------------------------------


def test_basicsize_matches_header_size(tables):
    header, _ = tables
    assert ProxyType.__basicsize__ == header["sizeof(mxProxyObject)"]


def test_weaklist_offset_matches_header(tables):
    header, _ = tables
    assert ProxyType.__weakrefoffset__ == header["weakreflist"]


def test_object_follows_object_head(tables):
    header, _ = tables
    assert header["object"] == object.__basicsize__


@pytest.mark.parametrize("index", range(len(POINTER_FIELDS) - 1))
def test_pointer_fields_adjacent(tables, index):
    header, _ = tables
    field, following = POINTER_FIELDS[index], POINTER_FIELDS[index + 1]
    assert header[following] - header[field] == POINTER_SIZE


def test_union_fields_share_offset(tables):
    header, _ = tables
    assert header["strong_extra"] == header["next_weak_proxy"]


def test_is_weak_follows_union(tables):
    header, _ = tables
    assert header["isWeak"] == header["next_weak_proxy"] + POINTER_SIZE


def test_private_fields_after_is_weak(tables):
    header, _ = tables
    assert header["flags"] > header["isWeak"]
    assert header["weakreflist"] > header["flags"]


def test_size_covers_last_field(tables):
    header, _ = tables
    assert header["sizeof(mxProxyObject)"] >= header["weakreflist"] + POINTER_SIZE


@pytest.mark.parametrize("index", range(len(API_ENTRIES)))
def test_api_entry_offset(tables, index):
    header, _ = tables
    assert header[API_ENTRIES[index]] == index * POINTER_SIZE


def test_api_table_size(tables):
    header, _ = tables
    assert header["sizeof(mxProxyModule_APIObject)"] == len(API_ENTRIES) * POINTER_SIZE


@pytest.mark.parametrize("name", FLAG_NAMES)
def test_flag_is_single_bit(tables, name):
    header, _ = tables
    value = header[name]
    assert value > 0
    assert value & (value - 1) == 0


def test_flags_distinct(tables):
    header, _ = tables
    values = [header[name] for name in FLAG_NAMES]
    assert len(set(values)) == len(values)


def test_flags_below_generation_shift(tables):
    header, _ = tables
    shift = header["MXPROXY_GENERATION_SHIFT"]
    assert all(header[name] < 1 << shift for name in FLAG_NAMES)


def test_proxy_type_fixed_size():
    assert ProxyType.__itemsize__ == 0


# --- the header text --------------------------------------------------------


def test_header_starts_with_object_head():
    assert object_members()[0][0] == "PyObject_HEAD"


def test_header_keeps_original_field_order():
    names = [name for name, _ in object_members()]
    assert names[1 : 1 + len(ORIGINAL_FIELD_ORDER)] == ORIGINAL_FIELD_ORDER


@pytest.mark.parametrize("field", ORIGINAL_FIELD_ORDER[:6])
def test_header_field_is_object_pointer(field):
    declarations = dict(object_members())
    assert re.fullmatch(r"PyObject\s*\*\s*" + field, declarations[field])


def test_header_next_weak_proxy_type():
    declarations = dict(object_members())
    assert re.search(r"struct\s+mxProxyObject\s*\*\s*next_weak_proxy\s*;", declarations["next_weak_proxy"])


def test_header_is_weak_is_int():
    declarations = dict(object_members())
    assert re.fullmatch(r"int\s+isWeak", declarations["isWeak"])


def test_header_private_fields_last():
    names = [name for name, _ in object_members()]
    assert names[1 + len(ORIGINAL_FIELD_ORDER) :] == ["flags", "weakreflist"]


@pytest.mark.parametrize("name", FLAG_NAMES + ["MXPROXY_GENERATION_SHIFT"])
def test_header_text_matches_compiled_value(tables, name):
    # A binary built from an older header would disagree here.
    header, _ = tables
    assert header_defines()[name] == header[name]


def test_header_names_capsule():
    assert '#define MXPROXY_API_CAPSULE_NAME "mx.Proxy.mxProxy.mxProxyAPI"' in header_text()


def test_header_names_module():
    assert '#define MXPROXY_MODULE "mx.Proxy.mxProxy.mxProxy"' in header_text()


def test_header_module_name_matches_compiled():
    assert compiled.__name__ == "mx.Proxy.mxProxy.mxProxy"
