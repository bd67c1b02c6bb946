"""Print the database URL `make test` should use.

DATABASE_URL when set; else the local PostgreSQL at 127.0.0.1:5432 when it answers; else
nothing, and the tests run on SQLite (PostgreSQL-only tests are then skipped with a reason).
"""

import os
import socket

url = os.environ.get("DATABASE_URL", "")
if not url:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            url = "postgres://postgres@127.0.0.1:5432/dibao"
    except OSError:
        url = ""
print(url)
