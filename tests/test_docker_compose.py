"""No Docker engine runs here: parse docker-compose.yml and the Dockerfile and check their shape."""

import re
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
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(compose["services"])


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
