"""The C API of include/mxProxy.h, called from a C extension.

The extension in capi_probe/ is compiled with setuptools into a temporary
directory, against the repository's include/ directory and the running
interpreter's headers, and then imported. Each of its functions calls one
entry of the API table; arguments left out reach the API as NULL.
"""
import gc
import importlib.machinery
import importlib.util
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from mx.Proxy import AccessError, LostReferenceError, Proxy, ProxyType, WeakProxy

TESTS_DIRECTORY = Path(__file__).resolve().parent
REPOSITORY_INCLUDE = TESTS_DIRECTORY.parent / "include"
PROBE_SOURCE = TESTS_DIRECTORY / "capi_probe" / "capi_probe.c"


BUILD_SCRIPT = """
import sys
from setuptools import Extension, setup

source, build_lib, build_temp, *include_dirs = sys.argv[1:]
setup(
    name="capi_probe",
    ext_modules=[Extension("capi_probe", sources=[source], include_dirs=include_dirs)],
    script_args=["build_ext", "--build-lib", build_lib, "--build-temp", build_temp],
)
"""


def find_c_compiler():
    """Return the path of the compiler setuptools would use, or None."""
    configured = sysconfig.get_config_var("CC") or "cc"
    return shutil.which(configured.split()[0])


@pytest.fixture(scope="module")
def probe_directory(tmp_path_factory):
    """Compile capi_probe.c and return the directory holding the module."""
    pytest.importorskip("setuptools", reason="setuptools is needed to compile the C API probe")
    if find_c_compiler() is None:
        pytest.skip("no C compiler found to compile the C API probe")

    work = tmp_path_factory.mktemp("capi_probe")
    source = work / "capi_probe.c"
    shutil.copyfile(PROBE_SOURCE, source)
    build_lib = work / "lib"
    build_temp = work / "temp"
    command = [
        sys.executable,
        "-c",
        BUILD_SCRIPT,
        source.name,
        str(build_lib),
        str(build_temp),
        str(REPOSITORY_INCLUDE),
        sysconfig.get_paths()["include"],
    ]
    result = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, "compiling capi_probe.c failed:\n" + result.stdout + result.stderr
    return build_lib


@pytest.fixture(scope="module")
def probe(probe_directory):
    """The compiled probe module, imported from its build directory."""
    finder = importlib.machinery.FileFinder(
        str(probe_directory),
        (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
    )
    spec = finder.find_spec("capi_probe")
    assert spec is not None, "the build directory holds no capi_probe extension"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Record:
    def __init__(self):
        self.a = 1
        self.b = 2

    def method(self):
        return self.a


class Slotted:
    """An object without native weak-reference support."""

    __slots__ = ("a",)

    def __init__(self):
        self.a = 1


CLEANUP_CALLS = []


class Cleaned:
    def __init__(self):
        self.a = 1

    def __cleanup__(self):
        CLEANUP_CALLS.append("cleaned")


def count_references_after(function, observed, repetitions=1000):
    """Return the reference counts of observed before and after the loop."""
    function()
    gc.collect()
    before = [sys.getrefcount(item) for item in observed]
    for _ in range(repetitions):
        function()
    gc.collect()
    after = [sys.getrefcount(item) for item in observed]
    return before, after


# --- importing the API ------------------------------------------------------


def test_probe_imports_api(probe):
    assert probe.import_again() == 0


def test_api_type_is_proxy_type(probe):
    assert probe.type_object() is ProxyType


def test_probe_imports_in_fresh_interpreter(run_python, probe_directory):
    # mxProxy_ImportModuleAndAPI() is the only call an extension makes, so
    # it must work before anything has imported mx.Proxy.
    result = run_python(
        f"""
        import sys
        sys.path.insert(0, {str(probe_directory)!r})
        import capi_probe
        print(capi_probe.new_proxy([1, 2]).count(2))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"


def test_probe_import_fails_without_module(run_python, probe_directory):
    # When the compiled module cannot be imported, the probe's init must
    # fail with ImportError, not crash.
    result = run_python(
        f"""
        import sys
        sys.path.insert(0, {str(probe_directory)!r})
        sys.modules["mx.Proxy.mxProxy.mxProxy"] = None
        try:
            import capi_probe
        except ImportError:
            print("ImportError")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ImportError"


# --- Proxy_Check ------------------------------------------------------------


def test_check_strong_proxy(probe):
    assert probe.check(Proxy(Record())) == 1


def test_check_weak_proxy(probe):
    record = Record()
    assert probe.check(WeakProxy(record)) == 1


def test_check_method_proxy(probe):
    assert probe.check(Proxy(Record()).method) == 1


def test_check_plain_object(probe):
    assert probe.check(Record()) == 0


def test_check_proxy_type_itself(probe):
    assert probe.check(ProxyType) == 0


def test_check_null_returns_zero(probe):
    assert probe.check() == 0


def test_check_macro_matches_function(probe):
    assert probe.check_macro(Proxy(Record())) == 1
    assert probe.check_macro(Record()) == 0


# --- Proxy_New --------------------------------------------------------------


def test_new_proxy_type(probe):
    assert type(probe.new_proxy(Record())) is ProxyType


def test_new_proxy_null_interface_unrestricted(probe):
    proxy = probe.new_proxy(Record())
    assert proxy.b == 2


def test_new_proxy_none_interface_unrestricted(probe):
    proxy = probe.new_proxy(Record(), None, None)
    assert proxy.b == 2


def test_new_proxy_tuple_interface_denies(probe):
    proxy = probe.new_proxy(Record(), ("a",))
    with pytest.raises(AccessError):
        proxy.b


def test_new_proxy_tuple_interface_grants(probe):
    proxy = probe.new_proxy(Record(), ("a",))
    assert proxy.a == 1


def test_new_proxy_dict_interface_by_reference(probe):
    interface = {"a": None}
    proxy = probe.new_proxy(Record(), interface)
    interface["b"] = None
    assert proxy.b == 2


def test_new_proxy_passobj_hands_out_object(probe):
    record = Record()
    key = object()
    proxy = probe.new_proxy(record, None, key)
    assert proxy.proxy_object(key) is record


def test_new_proxy_null_passobj_not_given(probe):
    proxy = probe.new_proxy(Record(), ("a",))
    with pytest.raises(AccessError):
        proxy.proxy_object(None)


def test_new_proxy_none_passobj_not_given(probe):
    proxy = probe.new_proxy(Record(), None, None)
    with pytest.raises(AccessError):
        proxy.proxy_object(None)


def test_new_proxy_runs_cleanup(probe):
    CLEANUP_CALLS.clear()
    proxy = probe.new_proxy(Cleaned())
    del proxy
    assert CLEANUP_CALLS == ["cleaned"]


def test_new_proxy_null_object_raises(probe):
    with pytest.raises(TypeError):
        probe.new_proxy()


def test_new_proxy_str_interface_raises(probe):
    with pytest.raises(TypeError):
        probe.new_proxy(Record(), "ab")


def test_new_proxy_int_item_raises(probe):
    with pytest.raises(TypeError, match="int"):
        probe.new_proxy(Record(), ("a", 1))


def test_new_proxy_iteration_error_propagates(probe):
    def names():
        yield "a"
        raise LookupError("no more names")

    with pytest.raises(LookupError, match="no more names"):
        probe.new_proxy(Record(), names())


@pytest.mark.parametrize(
    "arguments",
    [(), (Record(), "ab"), (Record(), 5), (Record(), (None,))],
    ids=["null-object", "str-interface", "int-interface", "none-item"],
)
def test_new_proxy_failure_sets_exception(probe, arguments):
    assert probe.error_state("Proxy_New", *arguments) == (True, True)


def test_new_proxy_success_sets_no_exception(probe):
    assert probe.error_state("Proxy_New", Record()) == (False, False)


# --- Proxy_WeakNew ----------------------------------------------------------


def test_new_weak_proxy_reads_object(probe):
    record = Record()
    proxy = probe.new_weak_proxy(record)
    assert proxy.a == 1


def test_new_weak_proxy_not_defunct(probe):
    record = Record()
    proxy = probe.new_weak_proxy(record)
    assert proxy.proxy_defunct() is False


def test_new_weak_proxy_keeps_object_unowned(probe):
    record = Record()
    proxy = probe.new_weak_proxy(record)
    del record
    gc.collect()
    assert proxy.proxy_defunct() is True


def test_new_weak_proxy_universal_object(probe):
    slotted = Slotted()
    proxy = probe.new_weak_proxy(slotted)
    assert proxy.a == 1


def test_new_weak_proxy_interface_denies(probe):
    record = Record()
    proxy = probe.new_weak_proxy(record, ("a",))
    with pytest.raises(AccessError):
        proxy.b


def test_new_weak_proxy_passobj(probe):
    record = Record()
    key = object()
    proxy = probe.new_weak_proxy(record, None, key)
    assert proxy.proxy_object(key) is record


def test_new_weak_proxy_null_object_raises(probe):
    with pytest.raises(TypeError):
        probe.new_weak_proxy()


def test_new_weak_proxy_bad_interface_raises(probe):
    record = Record()
    with pytest.raises(TypeError):
        probe.new_weak_proxy(record, b"ab")


def test_new_weak_proxy_after_finalize(run_python, probe_directory):
    # Finalizing the registry is process-wide, so it runs in a child.
    result = run_python(
        f"""
        import sys
        sys.path.insert(0, {str(probe_directory)!r})
        from mx.Proxy import InternalError, finalizeweakrefs, initweakrefs
        import capi_probe

        class Record:
            pass

        record = Record()
        finalizeweakrefs()
        try:
            capi_probe.new_weak_proxy(record)
        except InternalError:
            print("InternalError")
        initweakrefs()
        print(capi_probe.new_weak_proxy(record).proxy_defunct())
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["InternalError", "False"]


@pytest.mark.parametrize(
    "arguments",
    [(), (Record(), "ab"), (Record(), (1,))],
    ids=["null-object", "str-interface", "int-item"],
)
def test_new_weak_proxy_failure_sets_exception(probe, arguments):
    assert probe.error_state("Proxy_WeakNew", *arguments) == (True, True)


# --- Proxy_GetObject --------------------------------------------------------


def test_get_object_with_passobj(probe):
    record = Record()
    key = object()
    proxy = Proxy(record, ("a",), key)
    assert probe.get_object(proxy, key) is record


def test_get_object_wrong_passobj(probe):
    proxy = Proxy(Record(), None, object())
    with pytest.raises(AccessError, match="wrong pass-object"):
        probe.get_object(proxy, object())


def test_get_object_null_passobj(probe):
    proxy = Proxy(Record(), None, object())
    with pytest.raises(AccessError):
        probe.get_object(proxy)


def test_get_object_without_passobj(probe):
    proxy = Proxy(Record())
    with pytest.raises(AccessError):
        probe.get_object(proxy, None)


def test_get_object_null_proxy(probe):
    with pytest.raises(TypeError):
        probe.get_object()


def test_get_object_non_proxy(probe):
    key = object()
    with pytest.raises(TypeError):
        probe.get_object(Record(), key)


def test_get_object_weak_proxy(probe):
    record = Record()
    key = object()
    proxy = WeakProxy(record, None, key)
    assert probe.get_object(proxy, key) is record


def test_get_object_defunct_weak_proxy(probe):
    record = Record()
    key = object()
    proxy = WeakProxy(record, None, key)
    del record
    gc.collect()
    with pytest.raises(LostReferenceError):
        probe.get_object(proxy, key)


@pytest.mark.parametrize(
    "case",
    ["null-proxy", "non-proxy", "wrong-passobj", "null-passobj"],
)
def test_get_object_failure_sets_exception(probe, case):
    key = object()
    proxy = Proxy(Record(), None, key)
    arguments = {
        "null-proxy": (),
        "non-proxy": (Record(), key),
        "wrong-passobj": (proxy, object()),
        "null-passobj": (proxy,),
    }[case]
    assert probe.error_state("Proxy_GetObject", *arguments) == (True, True)


# --- reference counts -------------------------------------------------------


def test_new_proxy_reference_counts(probe):
    record = Record()
    interface = ("a",)
    key = object()
    before, after = count_references_after(
        lambda: probe.new_proxy(record, interface, key), [record, interface, key]
    )
    assert after == before


def test_new_weak_proxy_reference_counts(probe):
    record = Record()
    interface = {"a": None}
    key = object()
    before, after = count_references_after(
        lambda: probe.new_weak_proxy(record, interface, key), [record, interface, key]
    )
    assert after == before


def test_get_object_reference_counts(probe):
    # A borrowed result returned as a new one would lower the count by one
    # per call.
    record = Record()
    key = object()
    proxy = Proxy(record, None, key)
    before, after = count_references_after(lambda: probe.get_object(proxy, key), [record, key, proxy])
    assert after == before


def test_failed_calls_reference_counts(probe):
    record = Record()
    key = object()
    bad_interface = ("a", 1)
    proxy = Proxy(record, None, key)

    def fail_each_entry():
        probe.error_state("Proxy_New", record, bad_interface, key)
        probe.error_state("Proxy_WeakNew", record, bad_interface, key)
        probe.error_state("Proxy_GetObject", proxy, record)

    before, after = count_references_after(fail_each_entry, [record, key, bad_interface, proxy])
    assert after == before


# --- the header's object layout --------------------------------------------


def test_layout_strong_proxy_is_weak_flag(probe):
    assert probe.layout(Proxy(Record()))[0] == 0


def test_layout_weak_proxy_is_weak_flag(probe):
    record = Record()
    assert probe.layout(WeakProxy(record))[0] == 1


def test_layout_strong_proxy_object_field(probe):
    record = Record()
    assert probe.layout(Proxy(record))[1] is record


def test_layout_passobj_field(probe):
    key = object()
    assert probe.layout(Proxy(Record(), None, key))[2] is key


def test_layout_passobj_field_null_when_absent(probe):
    assert probe.layout(Proxy(Record()))[2] is None


def test_layout_dict_interface_field(probe):
    interface = {"a": None}
    assert probe.layout(Proxy(Record(), interface))[3] is interface


def test_layout_tuple_interface_field(probe):
    assert probe.layout(Proxy(Record(), ("a", "b")))[3] == frozenset({"a", "b"})


def test_layout_interface_field_null_when_absent(probe):
    assert probe.layout(Proxy(Record()))[3] is None


def test_layout_rejects_non_proxy(probe):
    with pytest.raises(TypeError):
        probe.layout(Record())

