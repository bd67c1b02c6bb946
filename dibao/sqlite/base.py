from pathlib import Path

from django.db.backends.sqlite3 import base

BUSY_TIMEOUT = 20  # seconds a writer waits for another one


def _is_file(name: str) -> bool:
    return bool(name) and name != ":memory:" and not name.startswith("file:")


class DatabaseWrapper(base.DatabaseWrapper):
    """SQLite for the embedded mode: creates VAR_DIR on first connect, and lets the job thread
    (jobs/embedded.py) write while requests read and write. On a database file: WAL (readers go on
    during a write), IMMEDIATE transactions (the write lock is taken at BEGIN: a read lock upgraded
    in mid-transaction fails at once, whatever the timeout) and a writer waits up to BUSY_TIMEOUT
    seconds instead of failing with "database is locked". Each is left as configured when OPTIONS set
    it; an in-memory database (the tests') keeps SQLite's defaults."""

    def get_connection_params(self):
        kwargs = super().get_connection_params()
        if _is_file(str(kwargs.get("database", ""))):
            options = self.settings_dict.get("OPTIONS", {})
            kwargs.setdefault("timeout", BUSY_TIMEOUT)
            if "transaction_mode" not in options:
                self.transaction_mode = "IMMEDIATE"
            if "init_command" not in options:
                self.init_commands = [*self.init_commands, "PRAGMA journal_mode=WAL"]
        return kwargs

    def get_new_connection(self, conn_params):
        name = str(conn_params.get("database", ""))
        if _is_file(name):
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
