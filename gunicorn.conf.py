"""gunicorn settings read from the working directory (Dockerfile, docker-compose, benchmarks/load.py).

No `Server` banner (ASVS V14.3.3): gunicorn always writes `Server: gunicorn`, so its header list is
filtered here; the application drops any Server header of its own (dibao.middleware).
"""

from gunicorn.http import wsgi

_default_headers = wsgi.Response.default_headers


def _headers_without_server(self):
    return [h for h in _default_headers(self) if not h.lower().startswith("server:")]


if getattr(wsgi.Response.default_headers, "__name__", "") != "_headers_without_server":
    wsgi.Response.default_headers = _headers_without_server
