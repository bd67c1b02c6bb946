"""Logging in works over HTTPS out of the box: the shipped nginx configuration (deploy/nginx/dibao.conf)
with the trial certificate (scripts/trial_certificate.py) in front of gunicorn with the production
settings (DEBUG off: secure cookies, HTTPS redirect, CSRF origin checks, the proxy's X-Forwarded-Proto).
The certificate is verified by the client, nginx's request id reaches the app's log, plain HTTP is sent
to HTTPS, and /metrics never leaves through nginx."""

import json
import re
import shutil
import subprocess
import sys

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils.crypto import get_random_string

from accounts.models import User
from scripts.trial_certificate import make
from tests.faults.test_real_faults import ROOT, _child_env, _free_port, _stop, _wait_for

pytestmark = [
    pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("nginx") is None, reason="needs nginx (apt-get install nginx-light; .ci/run does)"),
]


def _nginx_config(tmp_path, web_port: int, https_port: int, http_port: int) -> str:
    site = (ROOT / "deploy" / "nginx" / "dibao.conf").read_text()
    version = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr
    major, minor, patch = map(int, re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", version).groups())
    if (major, minor, patch) < (1, 25, 1):  # Debian 12's nginx predates the `http2` directive
        site = site.replace("    http2 on;\n", "")
    site = (site.replace("server web:8000;", f"server 127.0.0.1:{web_port};")
            .replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
            .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
            .replace("/etc/nginx/certs", str(tmp_path / "certs"))
            .replace("access_log /dev/stdout;", f"access_log {tmp_path / 'access.log'};"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx-tmp").mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'nginx-error.log'};\nevents {{}}\n"
                    f"http {{ client_body_temp_path {tmp_path / 'nginx-tmp'}; proxy_temp_path {tmp_path / 'nginx-tmp'};"
                    f" include {tmp_path / 'site.conf'}; }}\n")
    return str(conf)


@pytest.fixture
def site(tmp_path):
    # Hashed with a hasher the production settings know (the tests' own settings use a fast MD5 hasher).
    User.objects.create(username="opsuser", role="admin", is_active=True,
                        password=PBKDF2PasswordHasher().encode("Ops-https-2026", get_random_string(22), iterations=1000))
    web_port, https_port, http_port = _free_port(), _free_port(), _free_port()
    # The second factor (on for administrators in production) has its own journey
    # (tests/e2e/test_second_factor_journey.py); this one is about TLS, nginx and the secure cookies.
    env = _child_env(tmp_path, DJANGO_DEBUG="0", OTP_REQUIRED="0", DJANGO_SECRET_KEY="https-test-" * 6, ALLOWED_HOSTS="localhost",
                     DIBAO_FIELD_KEY="ZTJlLWZpZWxkLWtleS1lMmUtZmllbGQta2V5LTMyYiE=",
                     DIBAO_BLIND_INDEX_KEY="ZTJlLWJsaW5kLWtleS1lMmUtYmxpbmQta2V5LTMyYiE=",
                     METRICS_TOKEN="https-test-token", LOG_LEVEL="WARNING", CELERY_TASK_ALWAYS_EAGER="1",
                     # Hashed, not pre-compressed: the Brotli copies cost a minute and are not what this tests.
                     STATIC_PRECOMPRESS="0")
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=300)
    make(tmp_path / "certs", ["localhost"])
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "dibao.wsgi:application", "--config", "deploy/gunicorn.conf.py",
             "-b", f"127.0.0.1:{web_port}", "-w", "1"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    conf = _nginx_config(tmp_path, web_port, https_port, http_port)
    nginx = subprocess.Popen(["nginx", "-c", conf, "-p", str(tmp_path), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    base = f"https://localhost:{https_port}"
    certificate = str(tmp_path / "certs" / "dibao.crt")
    try:
        def up():
            assert gunicorn.poll() is None, log.read_text()[-3000:]
            assert nginx.poll() is None, nginx.stderr.read().decode()
            try:
                return requests.get(base + "/healthz", verify=certificate, timeout=5).status_code == 200
            except requests.RequestException:
                return False

        _wait_for(up, 60, interval=0.3, what="gunicorn behind nginx")
        yield {"base": base, "http": f"http://localhost:{http_port}", "certificate": certificate, "log": log}
    finally:
        _stop(nginx)
        _stop(gunicorn)


def test_logging_in_over_https_through_nginx(site):
    base, certificate = site["base"], site["certificate"]
    session = requests.Session()
    page = session.get(base + "/accounts/login/", verify=certificate, timeout=30)
    assert page.status_code == 200
    login = session.post(base + "/accounts/login/", verify=certificate, allow_redirects=False, timeout=60,
                         data={"username": "opsuser", "password": "Ops-https-2026",
                               "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                         headers={"Referer": base + "/accounts/login/", "Origin": base})
    assert (login.status_code, login.headers["Location"]) == (302, "/")
    assert re.search(r"sessionid=[^;]+;.*\bSecure\b", login.headers["Set-Cookie"], re.I)
    home = session.get(base + "/", verify=certificate, allow_redirects=False, timeout=30)
    assert home.status_code == 200 and "opsuser" in home.text
    assert "max-age=31536000" in home.headers["Strict-Transport-Security"]

    # nginx's $request_id is the app's request id: in the response and in the app's log line.
    request_id = home.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    lines = [json.loads(line) for line in site["log"].read_text().splitlines() if line.startswith("{")]
    [line] = [entry for entry in lines if entry.get("request_id") == request_id]
    assert (line["path"], line["status"], line["view"]) == ("/", 200, "home")
    assert isinstance(line["user_id"], int)

    plain = requests.get(site["http"] + "/households/", allow_redirects=False, timeout=30)
    assert plain.status_code == 301 and plain.headers["Location"] == "https://localhost/households/"
    metrics = requests.get(base + "/metrics", verify=certificate, timeout=30,
                           headers={"Authorization": "Bearer https-test-token"})
    assert metrics.status_code == 404
