//! Build script: exposes the target interpreter's version as `Py_3_*`
//! cfgs, compiles the C translation unit that records the layout of
//! `include/mxProxy.h`, and, with the `bindgen` feature, generates Rust
//! bindings from that header so `src/layout.rs` is checked against them.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    pyo3_build_config::use_pyo3_cfgs();
    let config = pyo3_build_config::get();

    let include = python_include_dir(config.executable());
    println!("cargo:rerun-if-changed=include/mxProxy.h");
    println!("cargo:rerun-if-changed=src/c/header_layout.c");

    cc::Build::new()
        .file("src/c/header_layout.c")
        .include("include")
        .include(&include)
        .warnings(true)
        .extra_warnings(true)
        .compile("mxproxy_header_layout");

    #[cfg(feature = "bindgen")]
    generate_bindings(&include);
}

/// Ask the target interpreter where `Python.h` lives.
fn python_include_dir(executable: Option<&str>) -> PathBuf {
    let executable = executable
        .map(str::to_owned)
        .or_else(|| std::env::var("PYO3_PYTHON").ok())
        .unwrap_or_else(|| "python3".to_owned());
    let output = Command::new(&executable)
        .args(["-c", "import sysconfig; print(sysconfig.get_paths()['include'])"])
        .output()
        .unwrap_or_else(|error| panic!("failed to run {executable}: {error}"));
    assert!(
        output.status.success(),
        "{executable} could not report its include directory: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
}

#[cfg(feature = "bindgen")]
fn generate_bindings(include: &std::path::Path) {
    let bindings = bindgen::Builder::default()
        .header("include/mxProxy.h")
        .clang_arg(format!("-I{}", include.display()))
        .clang_arg("-DMXPROXY_NO_API_IMPORT")
        .allowlist_type("mxProxyObject")
        .allowlist_type("mxProxyModule_APIObject")
        .allowlist_var("MXPROXY_.*")
        .blocklist_type("_object|PyObject|_typeobject|PyTypeObject")
        .raw_line("use pyo3_ffi::{PyObject, PyTypeObject};")
        .layout_tests(false)
        .derive_debug(false)
        .generate()
        .expect("bindgen failed to read include/mxProxy.h");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    bindings
        .write_to_file(out.join("header_bindings.rs"))
        .expect("failed to write the generated bindings");
}
