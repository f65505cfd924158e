"""Hand an untrusted plugin three objects through mx.Proxy and report what it could do.

Run it with:

    python examples/sandbox.py

The trusted host creates three real objects and gives the plugin only proxies:

1. a read-only configuration object, behind ``Proxy(config, interface=...)``,
   whose ``__public_setattr__`` hook rejects every write;
2. an in-memory ``sqlite3`` connection restricted to ``execute`` and
   ``commit``, with a pass object so that only the host can unwrap it.
   Its ``execute`` returns cursors wrapped in proxies as well;
3. a session object whose ``__public_setattr__`` hook records every write
   and whose ``__cleanup__`` hook archives the records when the plugin's
   proxy to it is destroyed.

The plugin is Python source run with ``exec`` in a namespace that contains
these proxies and a few harmless builtins. It tries allowed and forbidden
operations and reports each outcome to the host. The host prints a report,
checks every outcome and the state of its own objects, and exits with
status 1 if anything differs from the expected result (for example when an
operation that must be denied was allowed), so the example is also a smoke
test.

The plugin's builtins contain no ``__import__``, ``open``, ``eval``,
``exec``, ``compile``, ``globals``, ``vars``, ``type`` or
``__build_class__``, so it cannot import modules, open files or define
classes. ``setattr`` is included because it does nothing that assignment
syntax cannot, and it passes through the same proxy checks.

NOTE: exec with trimmed builtins is not a security boundary. Code running
in the same interpreter can reach other objects without any builtins, for
example through ``().__class__.__base__.__subclasses__()`` or through the
frames of a caught exception's ``__traceback__``. A proxy controls what
code can do with the objects it was handed. Isolating untrusted code also
needs a separate process with operating-system limits.
"""
import platform
import sqlite3
import sys

import mx.Proxy
from mx.Proxy import AccessError, Proxy

# The plugin may read these configuration attributes and call describe().
# "debug" is listed so that a write to it passes the interface and reaches
# the object's __public_setattr__ hook, which rejects it.
CONFIG_INTERFACE = ("app_name", "max_rows", "debug", "describe")

# Connection methods the plugin may call. close, backup, create_function,
# set_authorizer and every other attribute stay hidden.
CONNECTION_INTERFACE = ("execute", "commit")

# Cursor attributes and operations the plugin may use.
CURSOR_INTERFACE = ("fetchone", "fetchall", "rowcount", "description", "__iter__", "__next__")

SESSION_INTERFACE = ("user", "status", "note")

# The attributes of the session that the plugin may change.
SESSION_WRITABLE = ("status", "note")

PLUGIN_BUILTINS = {
    "print": print,
    "len": len,
    "str": str,
    "repr": repr,
    "isinstance": isinstance,
    "dir": dir,
    "setattr": setattr,
    "Exception": Exception,
    "TypeError": TypeError,
    "AccessError": AccessError,
}

PLUGIN_SOURCE = '''
def attempt(label, action):
    """Run action() and send the outcome to the host through report()."""
    try:
        result = action()
    except AccessError as error:
        # Denied operations such as len() raise an AccessError that is
        # also a TypeError, so that Python's own probing keeps working.
        kind = "AccessError"
        if isinstance(error, TypeError):
            kind = "AccessError (also TypeError)"
        report(label, "denied", kind + ": " + str(error))
    except TypeError as error:
        # Pickling or copying a proxy raises a plain TypeError.
        report(label, "denied", "TypeError: " + str(error))
    except Exception as error:
        # Errors raised by sqlite3 or by the missing __import__.
        report(label, "denied", error.__class__.__name__ + ": " + str(error))
    else:
        report(label, "allowed", repr(result))


def import_os():
    import os
    return os


def delete_debug():
    del config.debug


def delete_status():
    del session.status


def rows_of(cursor):
    return [row for row in cursor]


# The configuration: granted reads, a granted method, denied names.
print("plugin: running for", config.describe())
attempt("config.app_name", lambda: config.app_name)
attempt("config.max_rows", lambda: config.max_rows)
attempt("config.describe()", lambda: config.describe())
attempt("config.secret_key", lambda: config.secret_key)
attempt("config.secret_key = ...", lambda: setattr(config, "secret_key", "guess"))
attempt("config.debug = True", lambda: setattr(config, "debug", True))
attempt("del config.debug", delete_debug)
attempt("config.describe.__self__", lambda: config.describe.__self__)
attempt("str(config)", lambda: str(config))
attempt("dir(config)", lambda: dir(config))
attempt("repr(config)", lambda: repr(config))

# The database: execute and commit work, cursors come back as proxies.
cursor = db.execute("SELECT name, quantity FROM items ORDER BY name")
items = cursor.fetchall()
stock = ", ".join(name + "=" + str(quantity) for name, quantity in items)
print("plugin: execute() returned", repr(cursor), "with", len(items), "items:", stock)
names = db.execute("SELECT name FROM items ORDER BY name")
attempt("cursor.fetchall()", lambda: names.fetchall())
quantities = db.execute("SELECT quantity FROM items ORDER BY name")
attempt("for row in cursor", lambda: rows_of(quantities))
insert = "INSERT INTO items VALUES (?, ?)"
attempt("db.execute(INSERT).rowcount", lambda: db.execute(insert, ("spring", 40)).rowcount)
attempt("db.commit()", lambda: db.commit())
print("plugin: added spring=40 and committed")
attempt("cursor.connection", lambda: cursor.connection)
attempt("db.close()", lambda: db.close())
attempt("db.backup", lambda: db.backup)
attempt("db.create_function", lambda: db.create_function)
attempt("db.set_authorizer", lambda: db.set_authorizer)
attempt("db.__class__", lambda: db.__class__)
attempt("db.execute.__self__", lambda: db.execute.__self__)
attempt("len(db)", lambda: len(db))
attempt("db.__reduce_ex__(4)", lambda: db.__reduce_ex__(4))
attempt("db.proxy_object(db)", lambda: db.proxy_object(db))
attempt("db.execute(ATTACH)", lambda: db.execute("ATTACH DATABASE ':memory:' AS scratch"))

# The session: two writes are recorded, the rest is rejected.
attempt("session.user", lambda: session.user)
attempt("session.status = ...", lambda: setattr(session, "status", "done"))
attempt("session.note = ...", lambda: setattr(session, "note", "added spring"))
attempt("session.user = ...", lambda: setattr(session, "user", "admin"))
attempt("session.writes", lambda: session.writes)
attempt("del session.status", delete_status)

# The report callback and the namespace itself.
attempt("report.__globals__", lambda: report.__globals__)
attempt("import os", import_os)
print("plugin: finished")
'''

# The outcome each plugin attempt must have, by the label it reports.
EXPECTED_OUTCOMES = {
    "config.app_name": "allowed",
    "config.max_rows": "allowed",
    "config.describe()": "allowed",
    "config.secret_key": "denied",
    "config.secret_key = ...": "denied",
    "config.debug = True": "denied",
    "del config.debug": "denied",
    "config.describe.__self__": "denied",
    "str(config)": "denied",
    "dir(config)": "allowed",
    "repr(config)": "allowed",
    "cursor.fetchall()": "allowed",
    "for row in cursor": "allowed",
    "db.execute(INSERT).rowcount": "allowed",
    "db.commit()": "allowed",
    "cursor.connection": "denied",
    "db.close()": "denied",
    "db.backup": "denied",
    "db.create_function": "denied",
    "db.set_authorizer": "denied",
    "db.__class__": "denied",
    "db.execute.__self__": "denied",
    "len(db)": "denied",
    "db.__reduce_ex__(4)": "denied",
    "db.proxy_object(db)": "denied",
    "db.execute(ATTACH)": "denied",
    "session.user": "allowed",
    "session.status = ...": "allowed",
    "session.note = ...": "allowed",
    "session.user = ...": "denied",
    "session.writes": "denied",
    "del session.status": "denied",
    "report.__globals__": "denied",
    "import os": "denied",
}


class AppConfig:
    """Application settings that the plugin may read but never change."""

    def __init__(self):
        self.app_name = "inventory"
        self.max_rows = 100
        self.debug = False
        self.secret_key = "host-only-secret"

    def describe(self):
        return f"{self.app_name} (at most {self.max_rows} rows)"

    def __public_setattr__(self, name, value):
        # Called for writes through a proxy only. The host itself sets
        # attributes as usual.
        raise AccessError(f"configuration is read-only: cannot set {name}")


class PluginSession:
    """Per-run state of one plugin. Writes through a proxy are recorded.

    When a proxy to the session is destroyed, its ``__cleanup__`` hook
    moves the recorded writes to ``audit_log`` and clears the session.
    """

    def __init__(self, user, audit_log):
        self.user = user
        self.status = "new"
        self.note = ""
        self.writes = []
        self.audit_log = audit_log
        self.cleanup_calls = 0

    def __public_setattr__(self, name, value):
        if name not in SESSION_WRITABLE:
            raise AccessError(f"session attribute {name} is read-only")
        self.writes.append((name, value))
        setattr(self, name, value)

    def __cleanup__(self):
        self.cleanup_calls += 1
        self.audit_log.extend(self.writes)
        print(f"cleanup hook: closed the session of {self.user!r}, "
              f"moved {len(self.writes)} writes to the audit log")
        self.writes.clear()
        self.status = "closed"


class CursorProxyingConnection(sqlite3.Connection):
    """A connection whose execute() returns restricted cursor proxies.

    A proxy hands out a granted method's result as it is, unless the result
    is the wrapped object itself. A plain sqlite3.Cursor returned by
    execute() would give the plugin the unproxied connection through its
    ``connection`` attribute, so every cursor is wrapped here.
    """

    def execute(self, sql, parameters=()):
        cursor = super().execute(sql, parameters)
        return Proxy(cursor, interface=CURSOR_INTERFACE)


def reject_attach(action, argument1, argument2, database_name, trigger_name):
    """Reject ATTACH, which could open other database files, and allow the rest.

    The proxy decides which Python methods the plugin may call. Which SQL
    statements execute() may run is decided by this sqlite3 authorizer.
    """
    if action == sqlite3.SQLITE_ATTACH:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def open_inventory():
    """Create the in-memory inventory database that the plugin works on."""
    connection = sqlite3.connect(":memory:", factory=CursorProxyingConnection)
    connection.execute("CREATE TABLE items (name TEXT PRIMARY KEY, quantity INTEGER)")
    connection.executemany(
        "INSERT INTO items VALUES (?, ?)",
        [("bolt", 120), ("nut", 300), ("washer", 75)],
    )
    connection.commit()
    connection.set_authorizer(reject_attach)
    return connection


def run_plugin(source, namespace):
    """Execute the plugin source in namespace, then clear the namespace.

    Clearing drops the namespace's references to the proxies, so a proxy
    that nothing else refers to is destroyed here and runs its object's
    __cleanup__ hook.
    """
    try:
        exec(source, namespace)
    finally:
        print("host: the plugin returned, clearing its namespace")
        namespace.clear()


def find_mismatches(outcomes):
    """Return one line for each attempt whose outcome differs from EXPECTED_OUTCOMES."""
    mismatches = []
    reported = {label: outcome for label, outcome, _detail in outcomes}
    for label, expected in EXPECTED_OUTCOMES.items():
        actual = reported.get(label)
        if actual is None:
            mismatches.append(f"{label}: not reported by the plugin, expected {expected}")
        elif actual != expected:
            mismatches.append(f"{label}: {actual}, expected {expected}")
    for label in reported:
        if label not in EXPECTED_OUTCOMES:
            mismatches.append(f"{label}: reported, but has no expected outcome")
    return mismatches


def print_outcomes(outcomes):
    allowed = [(label, detail) for label, outcome, detail in outcomes if outcome == "allowed"]
    denied = [(label, detail) for label, outcome, detail in outcomes if outcome == "denied"]
    print(f"Allowed ({len(allowed)}):")
    for label, result in allowed:
        print(f"  {label:<28} -> {result}")
    print(f"Denied ({len(denied)}):")
    for label, reason in denied:
        print(f"  {label:<28} {reason}")


def check_host_state(config, connection, db_proxy, pass_object, session, audit_log):
    """Print the state of the host's objects after the plugin ran and return the failed checks."""
    failures = []

    print(f"config.debug is still {config.debug}")
    if config.debug is not False:
        failures.append("the plugin changed config.debug")

    rows = connection.execute("SELECT name, quantity FROM items ORDER BY name").fetchall()
    print(f"items table has {len(rows)} rows: {rows}")
    if ("spring", 40) not in rows:
        failures.append("the row the plugin inserted is missing")

    unwrapped = db_proxy.proxy_object(pass_object)
    print(f"db.proxy_object(pass object) returns the connection: {unwrapped is connection}")
    if unwrapped is not connection:
        failures.append("proxy_object(pass object) did not return the connection")

    print(f"audit log archived by __cleanup__: {audit_log}")
    print(f"session after cleanup: status={session.status!r}, pending writes={session.writes}")
    if session.cleanup_calls != 1:
        failures.append(
            f"the session's __cleanup__ ran {session.cleanup_calls} times, expected once"
        )
    if audit_log != [("status", "done"), ("note", "added spring")]:
        failures.append(f"unexpected audit log {audit_log}")

    return failures


def main():
    print(f"mx.Proxy {mx.Proxy.__version__} sandbox example on Python {platform.python_version()}")

    config = AppConfig()
    connection = open_inventory()
    pass_object = object()
    db_proxy = Proxy(connection, interface=CONNECTION_INTERFACE, passobj=pass_object)
    audit_log = []
    session = PluginSession("plugin-1", audit_log)
    outcomes = []

    def report(label, outcome, detail):
        outcomes.append((label, outcome, detail))

    # The host keeps no reference to the session proxy, so it dies when
    # run_plugin() clears the namespace.
    namespace = {
        "__builtins__": PLUGIN_BUILTINS,
        "config": Proxy(config, interface=CONFIG_INTERFACE),
        "db": db_proxy,
        "session": Proxy(session, interface=SESSION_INTERFACE),
        "report": Proxy(report, interface=("__call__",)),
    }

    print("\n== Plugin output ==")
    run_plugin(PLUGIN_SOURCE, namespace)

    print("\n== Report ==")
    print_outcomes(outcomes)

    print("\n== Host checks ==")
    failures = find_mismatches(outcomes)
    failures += check_host_state(config, connection, db_proxy, pass_object, session, audit_log)
    connection.close()

    if failures:
        print("\nFAILED: these checks did not pass:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print(f"\nOK: all {len(EXPECTED_OUTCOMES)} plugin attempts had the expected outcome.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
