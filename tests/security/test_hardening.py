"""Hardening, as an attacker would probe it.

Covered elsewhere (referenced, not duplicated): the django-axes lockout (tests/accounts/test_web.py::
TestLockout, also via the token endpoint), idle and absolute session expiry (tests/accounts/test_web.py::
TestIdleSession: 30 minutes idle, 12 hours absolute), `check --deploy` clean in production mode
(tests/test_settings.py).
"""

import re
import subprocess
import sys

import pytest

from tests.security.test_access_matrix import ROWS
from tests.test_settings import ROOT, production_env

pytestmark = pytest.mark.django_db

# An inline script: a <script> without src, except JSON data blocks (json_script), which never run.
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=[\"']application/json)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.I)


def _directive(policy: str, name: str) -> str:
    for part in policy.split(";"):
        part = part.strip()
        if part.startswith(name + " ") or part == name:
            return part
    return ""


def test_csp_on_every_page_and_no_inline_script_anywhere(world, web):
    """Every GET page of the access matrix, rendered as the county officer over the matrix's world."""
    client = web(world.users["county_officer"])
    checked = []
    for row in ROWS:
        if row.api or row.method != "GET":
            continue
        path = row.path(world, "own") if callable(row.path) else row.path
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        policy = response.get("Content-Security-Policy", "")
        assert policy, path
        script_src = _directive(policy, "script-src") or _directive(policy, "default-src")
        assert script_src and "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, (path, policy)
        assert "'unsafe-inline'" not in (_directive(policy, "style-src") or ""), (path, policy)
        assert "frame-ancestors 'none'" in policy or response.get("X-Frame-Options") == "DENY", path
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), (path, INLINE_SCRIPT.search(html).group(0))
        assert not EVENT_HANDLER.search(html), (path, EVENT_HANDLER.search(html).group(0))
        assert not JS_URL.search(html), path
        checked.append(path)
    # The login page too (anonymous).
    from django.test import Client

    login = Client().get("/accounts/login/")
    assert login["Content-Security-Policy"] and not INLINE_SCRIPT.search(login.content.decode())
    assert len(checked) >= 25, checked


def test_password_validators_on_user_creation_via_api(api, admin_user, village):
    client = api(admin_user)
    for weak in ("123", "password", "newuser1", "12345678901"):
        response = client.post("/api/v1/users/", {"username": "newuser1", "password": weak, "role": "village_staff",
                                                  "division": village.code}, format="json")
        assert response.status_code == 400, weak
        assert "password" in response.json(), response.json()
    response = client.post("/api/v1/users/", {"username": "newuser1", "password": "Tall-Ladder-73-Rain",
                                              "role": "village_staff", "division": village.code}, format="json")
    assert response.status_code == 201, response.content
    assert "password" not in response.json()


PROBE = """
import django
django.setup()
from django.conf import settings
# The page is rendered without running collectstatic first: plain static storage, nothing else changed.
settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
from django.test import Client
from django.urls import reverse
c = Client()
r = c.get("/accounts/login/", secure=True, HTTP_HOST="dibao.example.cn")
print("STATUS", r.status_code)
print("HSTS", r.get("Strict-Transport-Security", ""))
for name, morsel in r.cookies.items():
    print("COOKIE", name, bool(morsel["secure"]), bool(morsel["httponly"]) if name != "csrftoken" else "-")
r = c.get("/accounts/login/", secure=False, HTTP_HOST="dibao.example.cn")
print("PLAIN", r.status_code, r.get("Location", ""))
print("ADMIN", reverse("admin:index"))
"""


@pytest.mark.slow
def test_production_mode_secure_cookies_hsts_and_configurable_admin_url(tmp_path):
    env = production_env(tmp_path, DJANGO_ADMIN_URL="office-7f3a/", DATABASE_URL=None)
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "STATUS 200" in out, out
    assert "max-age=31536000" in out and "includeSubDomains" in out, out
    cookies = [line for line in out.splitlines() if line.startswith("COOKIE")]
    assert cookies and all(line.split()[2] == "True" for line in cookies), cookies
    assert "PLAIN 301 https://dibao.example.cn/accounts/login/" in out, out
    assert "ADMIN /office-7f3a/" in out, out


def test_uploaded_files_are_never_served_from_a_guessable_path(world, web, settings):
    from django.urls import get_resolver

    document = world.document["own"]
    client = web(world.users["county_officer"])
    # No URL pattern serves the storage folder: MEDIA_URL is unset and nothing maps files/ or media/.
    assert not settings.MEDIA_URL or settings.MEDIA_URL in ("", "/")
    patterns = [str(p.pattern) for p in get_resolver().url_patterns]
    assert not any(p.startswith(("media", "files", "var", "uploads")) for p in patterns), patterns
    # The stored name is random (not the uploaded name) and no path that contains it answers.
    assert document.original_name not in document.stored_name
    for guess in (f"/media/{document.stored_name}", f"/files/{document.stored_name}",
                  f"/var/files/{document.stored_name}", f"/static/{document.stored_name}",
                  f"/evidence/file/{document.stored_name}/", f"/evidence/file/{document.pk}/"):
        assert client.get(guess).status_code == 404, guess
    # Served only through the uuid view, in scope, as a download that browsers will not sniff or run.
    response = client.get(f"/evidence/file/{document.uuid}/")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/pdf"
    assert web(world.users["village_staff"]).get(f"/evidence/file/{world.document['other_county'].uuid}/"
                                                 ).status_code == 404
