"""Print the Redis URL `make test` should use: REDIS_URL when set, else the local server when
it answers, else nothing (the tests that need a real broker are then skipped with a reason)."""

import os
import socket

url = os.environ.get("REDIS_URL", "")
if not url:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            url = "redis://127.0.0.1:6379/0"
    except OSError:
        url = ""
print(url)
