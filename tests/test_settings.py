"""Settings from the environment: production mode passes check --deploy; no secret, no start."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def production_env(tmp_path, **overrides) -> dict:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "DJANGO_SETTINGS_MODULE": "dibao.settings",
        "DIBAO_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DIBAO_FIELD_KEY": base64.b64encode(os.urandom(32)).decode(),
        "DIBAO_BLIND_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
        "ALLOWED_HOSTS": "dibao.example.cn",
        "DATABASE_URL": "postgres://dibao:secret@db.example.cn:5432/dibao",
        "REDIS_URL": "redis://127.0.0.1:6379/1",
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def manage(env, *args, timeout=60):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.slow
def test_check_deploy_is_clean_in_production_mode(tmp_path):
    env = production_env(tmp_path)
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    for secret in ("DJANGO_SECRET_KEY", "DIBAO_FIELD_KEY", "DIBAO_BLIND_INDEX_KEY"):
        assert env[secret] not in result.stdout + result.stderr


@pytest.mark.slow
def test_production_settings_values(tmp_path):
    env = production_env(tmp_path)
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['CONN_HEALTH_CHECKS'], "
        "s.CACHES['default']['BACKEND'], s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER, s.ALLOWED_HOSTS)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        # django-prometheus's PostgreSQL backend (counts queries for the metrics) wraps Django's.
        "False", "True", "True", "True", "django_prometheus.db.backends.postgresql", "True",
        "django_redis.cache.RedisCache", "redis://127.0.0.1:6379/1", "False", "['dibao.example.cn']",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DIBAO_FIELD_KEY", "DIBAO_BLIND_INDEX_KEY"])
def test_production_start_without_a_secret_fails_loudly(tmp_path, missing):
    env = production_env(tmp_path, **{missing: None})
    result = manage(env, "check")
    assert result.returncode != 0
    assert missing in result.stderr
    assert "ImproperlyConfigured" in result.stderr
    # The WSGI entry point (what gunicorn loads) refuses as well.
    wsgi = subprocess.run([sys.executable, "-c", "import dibao.wsgi"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert wsgi.returncode != 0
    assert missing in wsgi.stderr


def test_embedded_defaults(settings):
    """The test process itself runs with DEBUG on and no REDIS_URL: eager tasks, local cache."""
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def _print_settings(env, fields: str):
    code = ("import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'dibao.settings'); django.setup(); "
            f"from django.conf import settings as s; print({fields})")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.slow
def test_nothing_set_is_production_and_refuses_to_start_without_its_secret(tmp_path):
    """DEBUG is off unless asked for: a server started with no configuration is not a debug server."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "DIBAO_VAR_DIR": str(tmp_path / "var")}
    result = _print_settings(env, "s.DEBUG")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.slow
def test_embedded_defaults_when_debug_is_asked_for_and_no_file_is_written(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "DIBAO_VAR_DIR": str(tmp_path / "var"),
           "DJANGO_DEBUG": "1"}
    result = _print_settings(env, "s.DEBUG, s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], "
                                  "s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL, len(s.SECRET_KEY) >= 50")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True", "dibao.sqlite", "django.core.cache.backends.locmem.LocMemCache", "True",
        "memory://", "True",
    ]
    # Importing the settings (and setting Django up) wrote nothing: not even the var directory.
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_tunable_that_is_not_a_number_stops_the_start_naming_it(tmp_path):
    env = production_env(tmp_path, DOCUMENT_MAX_BYTES="ten megabytes")
    result = manage(env, "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "DOCUMENT_MAX_BYTES" in result.stderr


def test_every_tunable_is_declared_in_settings():
    """Modules read settings.NAME, never getattr(settings, NAME, default) nor the environment at call time."""
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "tests", "benchmarks", "scripts", "var"} or relative.name == "settings.py":
            continue
        text = path.read_text(encoding="utf-8")
        if "getattr(settings" in text or "environ.get(" in text or "os.getenv(" in text:
            offenders.append(str(relative))
    assert offenders == []


def test_static_files_are_precompressed_in_production_unless_the_proxy_compresses(tmp_path):
    fields = "s.STORAGES['staticfiles']['BACKEND']"
    default = _print_settings(production_env(tmp_path), fields)
    assert default.returncode == 0, default.stderr
    assert default.stdout.strip() == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    hashed_only = _print_settings(production_env(tmp_path, STATIC_PRECOMPRESS="0"), fields)
    assert hashed_only.stdout.strip() == "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
