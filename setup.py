"""Build the mx.Proxy package: Python sources plus the Rust extension.

The compiled module is installed as mx.Proxy.mxProxy.mxProxy, the path the
original mx Base distribution used, so the package can replace an existing
mx.Proxy. ``mx`` itself stays a namespace package: no mx/__init__.py is
installed, and an existing one from another mx distribution is left alone.
"""
from setuptools import setup
from setuptools_rust import Binding, RustExtension

setup(
    package_dir={"": "src"},
    packages=["mx.Proxy", "mx.Proxy.mxProxy"],
    package_data={"mx.Proxy": ["py.typed", "*.pyi"]},
    headers=["include/mxProxy.h"],
    rust_extensions=[
        RustExtension(
            "mx.Proxy.mxProxy.mxProxy",
            path="Cargo.toml",
            binding=Binding.NoBinding,
            py_limited_api=False,
            debug=False,
        )
    ],
    zip_safe=False,
)
