"""Build, test and benchmark sessions for mx.Proxy.

    python3 -m nox -s example   # build, install, run examples/sandbox.py
    python3 -m nox -s tests     # the test suite on Python 3.9 to 3.13

Each session builds the Rust extension for its interpreter with
``pip install .``. Interpreters are found on PATH, and also under
``$(pyenv root)/versions`` when pyenv is installed, because pyenv's shims
only run the versions that are currently selected.
"""
import os
import pathlib
import subprocess

import nox

PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
ROOT = pathlib.Path(__file__).resolve().parent
CONFORMANCE = ROOT.parent / "shared" / "conformance"

nox.options.sessions = ["tests"]
nox.options.error_on_missing_interpreters = True


def _add_pyenv_interpreters():
    """Put each pyenv version's bin directory on PATH for nox to find."""
    root = os.environ.get("PYENV_ROOT") or str(pathlib.Path.home() / ".pyenv")
    versions = pathlib.Path(root) / "versions"
    if not versions.is_dir():
        return
    directories = []
    for wanted in PYTHONS:
        candidates = sorted(versions.glob(wanted + ".*"), key=lambda path: path.name)
        candidates = [path for path in candidates if path.name.replace(wanted + ".", "", 1).isdigit()]
        if candidates:
            directories.append(str(candidates[-1] / "bin"))
    os.environ["PATH"] = os.pathsep.join(directories + [os.environ.get("PATH", "")])


_add_pyenv_interpreters()


def _target_directory(session):
    """A cargo target directory per interpreter, so rebuilds stay incremental."""
    return str(ROOT / "target" / ("python" + session.python))


def _install_package(session):
    session.install("--upgrade", "pip")
    session.install(".", env={"CARGO_TARGET_DIR": _target_directory(session)})


@nox.session(python=PYTHONS)
def tests(session):
    """Run the project's tests and the conformance tests against the installed package."""
    session.install("pytest")
    _install_package(session)
    paths = ["tests"]
    if CONFORMANCE.is_dir():
        paths.append(str(CONFORMANCE))
    else:
        session.warn(f"conformance tests not found at {CONFORMANCE}; running the project's tests only")
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", "-q", *paths, *session.posargs)


@nox.session(python="3.11")
def example(session):
    """Build and install the package, then run examples/sandbox.py."""
    _install_package(session)
    session.run("python", "examples/sandbox.py")


@nox.session(python="3.11")
def bindings(session):
    """Check src/layout.rs against bindings bindgen generates from include/mxProxy.h (needs libclang)."""
    python = subprocess.run(
        [session.bin + "/python", "-c", "import sys; print(sys.executable)"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    session.run(
        "cargo", "build", "--release", "--features", "bindgen",
        env={"PYO3_PYTHON": python, "CARGO_TARGET_DIR": str(ROOT / "target" / "bindgen")},
        external=True,
    )


@nox.session(python="3.11")
def bench(session):
    """Run the benchmarks against the peers; pass --smoke for a quick run."""
    session.install("-r", "benches/requirements.txt")
    _install_package(session)
    session.run("python", "benches/bench_proxy.py", *session.posargs)
