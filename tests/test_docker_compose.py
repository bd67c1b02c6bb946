"""No Docker engine runs here: parse docker-compose.yml and the Dockerfile and check their shape."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_VARS = {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "DJANGO_DEBUG", "ALLOWED_HOSTS",
            "DIBAO_FIELD_KEY", "DIBAO_BLIND_INDEX_KEY"}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command_text(service) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def test_services(compose):
    assert {"postgres", "redis", "web", "worker", "beat", "nginx", "certs"} <= set(compose["services"])


def test_every_service_has_a_health_check(compose):
    for name, service in compose["services"].items():
        check = service.get("healthcheck")
        assert check and check.get("test"), name
        assert check.get("interval"), name


def test_commands(compose):
    services = compose["services"]
    assert re.search(r"\bgunicorn dibao\.wsgi", command_text(services["web"]))
    assert "migrate" in command_text(services["web"])
    assert re.search(r"celery -A dibao worker\b", command_text(services["worker"]))
    assert re.search(r"celery -A dibao beat\b", command_text(services["beat"]))
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


def test_postgres_keeps_its_data_in_a_volume(compose):
    volumes = compose["services"]["postgres"]["volumes"]
    named = [v.split(":")[0] for v in volumes if v.endswith(":/var/lib/postgresql/data")]
    assert named and named[0] in compose["volumes"]


def test_app_services_share_the_environment_and_wait_for_the_stores(compose):
    for name in ("web", "worker", "beat"):
        service = compose["services"][name]
        env = service["environment"]
        assert APP_VARS <= set(env), (name, APP_VARS - set(env))
        assert env["DJANGO_DEBUG"] == "0"
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379")
        # Secrets have no default: compose refuses to start without them.
        for secret in ("DJANGO_SECRET_KEY", "DIBAO_FIELD_KEY", "DIBAO_BLIND_INDEX_KEY"):
            assert re.fullmatch(r"\$\{" + secret + r":\?[^}]+\}", env[secret]), (name, secret)
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["build"] == "."
        assert env["BACKUP_DIR"] == "/backups" and "dibao-backups:/backups" in service["volumes"]


def test_web_is_ready_only_when_readyz_says_so_and_counts_metrics_across_workers(compose):
    web = compose["services"]["web"]
    assert "http://127.0.0.1:8000/readyz" in " ".join(web["healthcheck"]["test"])
    assert web["environment"]["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/prometheus"
    assert re.search(r"rm -rf /tmp/prometheus && mkdir -p /tmp/prometheus", command_text(web))
    assert "deploy/gunicorn.conf.py" in command_text(web)
    assert "ports" not in web  # only nginx is published


def test_nginx_terminates_tls_with_the_trial_certificate_and_forwards_what_the_app_needs(compose):
    nginx, certs = compose["services"]["nginx"], compose["services"]["certs"]
    assert nginx["image"].startswith("nginx:")
    assert any(p.endswith(":443") for p in nginx["ports"])
    assert "./deploy/nginx/dibao.conf:/etc/nginx/conf.d/default.conf:ro" in nginx["volumes"]
    assert "certs:/etc/nginx/certs:ro" in nginx["volumes"] and "certs" in compose["volumes"]
    assert nginx["depends_on"]["certs"]["condition"] == "service_completed_successfully"
    assert nginx["depends_on"]["web"]["condition"] == "service_healthy"
    assert "scripts/trial_certificate.py /etc/dibao/certs" in command_text(certs)
    assert "certs:/etc/dibao/certs" in certs["volumes"]
    conf = (ROOT / "deploy" / "nginx" / "dibao.conf").read_text()
    assert re.search(r"listen 443 ssl;", conf)
    assert "ssl_certificate     /etc/nginx/certs/dibao.crt;" in conf
    assert "ssl_certificate_key /etc/nginx/certs/dibao.key;" in conf
    for header in ("proxy_set_header X-Forwarded-Proto $scheme;",
                   "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
                   "proxy_set_header X-Request-ID $request_id;", "proxy_set_header Host $http_host;"):
        assert header in conf
    assert "location = /metrics { return 404; }" in conf
    size = int(re.search(r"client_max_body_size (\d+)m;", conf).group(1))
    assert size * 1024 * 1024 >= 50 * 1024 * 1024  # REGISTRY_IMPORT_MAX_BYTES
    assert "proxy_pass http://dibao_web;" in conf and "server web:8000;" in conf


def test_no_certificate_or_key_is_committed():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert not [name for name in tracked.splitlines() if name.endswith((".key", ".crt", ".pem"))]


def test_the_trial_certificate_is_made_once_and_names_the_hosts(tmp_path):
    from cryptography import x509

    from scripts.trial_certificate import make

    assert make(tmp_path, ["dibao.example.cn"]) is True
    certificate = x509.load_pem_x509_certificate((tmp_path / "dibao.crt").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["dibao.example.cn", "localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert (tmp_path / "dibao.key").stat().st_mode & 0o077 == 0o040
    before = (tmp_path / "dibao.crt").read_bytes()
    assert make(tmp_path, ["dibao.example.cn"]) is False  # still valid: kept
    assert (tmp_path / "dibao.crt").read_bytes() == before


def _docker_compose_available() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


def test_docker_compose_config_passes():
    """`docker compose config` where the compose plugin exists (it needs no engine); elsewhere the same
    checks by hand: the file parses, every secret has a required-variable message, every named volume
    that a service mounts is declared."""
    env = {**os.environ, "DJANGO_SECRET_KEY": "x" * 50, "DIBAO_FIELD_KEY": "a", "DIBAO_BLIND_INDEX_KEY": "b"}
    if _docker_compose_available():
        done = subprocess.run(["docker", "compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        missing = subprocess.run(["docker", "compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                                 cwd=ROOT, env={k: v for k, v in env.items() if k != "DJANGO_SECRET_KEY"},
                                 capture_output=True, text=True)
        assert missing.returncode != 0 and "set DJANGO_SECRET_KEY in .env" in missing.stderr
        return
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    declared = set(compose["volumes"])
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, (name, source)
            else:
                assert (ROOT / source).exists(), (name, source)
        for dependency in service.get("depends_on", {}):
            assert dependency in compose["services"], (name, dependency)
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("DJANGO_SECRET_KEY", "DIBAO_FIELD_KEY", "DIBAO_BLIND_INDEX_KEY"):
        assert f"${{{secret}:?set {secret} in .env}}" in text


def test_compose_variables_are_known_settings(compose):
    settings_text = (ROOT / "dibao" / "settings.py").read_text()
    env = compose["services"]["web"]["environment"]
    for name in env:
        assert f'"{name}"' in settings_text, name


def test_dockerfile():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\s*$", text, re.M)
    assert "pip install -r requirements.txt" in text
    assert "collectstatic --noinput" in text
    assert re.search(r'^CMD \["gunicorn", "dibao\.wsgi', text, re.M)
    assert "postgresql-client" in text  # pg_dump and pg_restore for make backup / restore
    assert "gunicorn==" in (ROOT / "requirements.txt").read_text()


def test_readme_documents_every_setting():
    import re as _re

    settings_text = (ROOT / "dibao" / "settings.py").read_text()
    names = set(_re.findall(r'(?:environ(?:\.get)?\(\s*|environ\[|env_(?:bool|list|int)\()"([A-Z_]+)"', settings_text))
    readme = (ROOT / "README.md").read_text()
    assert len(names) > 15
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert missing == []
    for command in ("make run", "make test", "docker compose up"):
        assert command in readme
