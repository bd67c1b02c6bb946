"""The embedded path of `make run`: only DJANGO_DEBUG=1 (what make run sets), SQLite in DIBAO_VAR_DIR, a page."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_embedded_sqlite_migrate_and_serve_login(tmp_path):
    var = tmp_path / "var"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", str(tmp_path)),
           "DIBAO_VAR_DIR": str(var), "DJANGO_DEBUG": "1"}
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=180)
    assert migrate.returncode == 0, migrate.stderr
    assert (var / "db.sqlite3").exists()

    seed = subprocess.run([sys.executable, "manage.py", "seed_demo", "--accounts-only"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert seed.returncode == 0, seed.stderr
    assert "county1" in seed.stdout

    port = free_port()
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        body = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as response:
                    assert response.status == 200
                    body = response.read().decode()
                    break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None:
                    pytest.fail("runserver exited: " + server.stdout.read())
                time.sleep(0.2)
        assert body is not None, "runserver did not answer"
        assert 'name="csrfmiddlewaretoken"' in body
        assert 'name="password"' in body
        # Static files are served in the embedded mode too.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/vendor/bootstrap/bootstrap.min.css",
                                    timeout=5) as response:
            assert response.status == 200
        # Anything else needs a login.
        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open(f"http://127.0.0.1:{port}/", timeout=5)
            pytest.fail("home page answered without login")
        except urllib.error.HTTPError as exc:
            assert exc.code == 302
            assert exc.headers["Location"].startswith("/accounts/login/")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
