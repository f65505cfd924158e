"""Tests that run examples/sandbox.py and check its exit status and report.

The example runs in a subprocess with the interpreter running the tests, so
it is checked against the mx.Proxy installed there.
"""
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sandbox.py"

CLEANUP_LINE = (
    "cleanup hook: closed the session of 'plugin-1', moved 2 writes to the audit log"
)

# Report lines by attempt label: the text that must follow the label.
EXPECTED_REPORT = [
    ("config.app_name", "-> 'inventory'"),
    ("config.describe()", "-> 'inventory (at most 100 rows)'"),
    ("dir(config)", "-> ['proxy_defunct', 'proxy_getattr', 'proxy_object', 'proxy_setattr']"),
    ("cursor.fetchall()", "-> [('bolt',), ('nut',), ('washer',)]"),
    ("db.execute(INSERT).rowcount", "-> 1"),
    ("session.status = ...", "-> None"),
    ("config.secret_key", "AccessError: attribute read access (secret_key) denied"),
    ("config.secret_key = ...", "AccessError: attribute write access (secret_key) denied"),
    ("config.debug = True", "AccessError: configuration is read-only: cannot set debug"),
    ("config.describe.__self__", "AccessError: attribute read access (__self__) denied"),
    ("str(config)", "AccessError (also TypeError): __str__ access denied"),
    ("cursor.connection", "AccessError: attribute read access (connection) denied"),
    ("db.close()", "AccessError: attribute read access (close) denied"),
    ("db.set_authorizer", "AccessError: attribute read access (set_authorizer) denied"),
    ("db.__class__", "AccessError: attribute read access (__class__) denied"),
    ("db.execute.__self__", "AccessError: attribute read access (__self__) denied"),
    ("len(db)", "AccessError (also TypeError): __len__ access denied"),
    ("db.__reduce_ex__(4)", "TypeError: cannot pickle or copy 'Proxy' object"),
    ("db.proxy_object(db)", "AccessError: wrong pass-object"),
    ("db.execute(ATTACH)", "DatabaseError: not authorized"),
    ("session.user = ...", "AccessError: session attribute user is read-only"),
    ("session.writes", "AccessError: attribute read access (writes) denied"),
    ("report.__globals__", "AccessError: attribute read access (__globals__) denied"),
    ("import os", "ImportError"),
]


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    """Run the example once in a subprocess and return the completed process."""
    return subprocess.run(
        [sys.executable, str(EXAMPLE)],
        cwd=tmp_path_factory.mktemp("example"),
        capture_output=True,
        text=True,
        timeout=120,
    )


def find_report_line(output, label):
    """Return the text after label on the report line for label, or None."""
    prefix = "  " + label + " "
    for line in output.splitlines():
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    return None


def load_example():
    """Import the example as a module without running main()."""
    spec = importlib.util.spec_from_file_location("sandbox_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_exits_zero(example_run):
    assert example_run.returncode == 0, example_run.stdout + example_run.stderr


def test_example_writes_nothing_to_stderr(example_run):
    assert example_run.stderr == ""


def test_example_reports_success(example_run):
    last_line = example_run.stdout.splitlines()[-1]
    assert last_line.startswith("OK: all "), example_run.stdout


@pytest.mark.parametrize(("label", "expected"), EXPECTED_REPORT)
def test_example_report_line(example_run, label, expected):
    text = find_report_line(example_run.stdout, label)
    assert text is not None, f"no report line for {label!r} in:\n{example_run.stdout}"
    assert text.startswith(expected)


def test_cleanup_runs_when_namespace_cleared(example_run):
    lines = example_run.stdout.splitlines()
    assert CLEANUP_LINE in lines
    cleared = lines.index("host: the plugin returned, clearing its namespace")
    assert lines.index(CLEANUP_LINE) == cleared + 1
    assert lines.count(CLEANUP_LINE) == 1


def test_example_host_checks(example_run):
    lines = example_run.stdout.splitlines()
    assert "config.debug is still False" in lines
    assert "db.proxy_object(pass object) returns the connection: True" in lines
    audit_line = "audit log archived by __cleanup__: [('status', 'done'), ('note', 'added spring')]"
    assert audit_line in lines


def test_example_fails_when_denied_read_allowed(monkeypatch, capsys):
    example = load_example()
    monkeypatch.setattr(example, "CONFIG_INTERFACE", example.CONFIG_INTERFACE + ("secret_key",))

    assert example.main() == 1

    captured = capsys.readouterr()
    assert "config.secret_key: allowed, expected denied" in captured.err
    assert "config.secret_key            -> 'host-only-secret'" in captured.out
