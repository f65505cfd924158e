"""Fixtures shared by the test files in this directory."""
import os
import subprocess
import sys
import textwrap

import pytest


@pytest.fixture
def run_python():
    """Return a function that runs Python source in a new interpreter.

    The child uses this interpreter and this sys.path, so it imports the
    same mx.Proxy. Interpreter options such as "-X", "dev" may follow the
    source. The function returns the subprocess.CompletedProcess, with text
    output, and the child is killed after 120 seconds.
    """

    def run(source, *options):
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(path for path in sys.path if path)
        return subprocess.run(
            [sys.executable, *options, "-c", textwrap.dedent(source)],
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
        )

    return run
