"""One settings module, configured from environment variables.

With nothing set it is production-safe: DEBUG off, so the start asks for the secrets. `make run`
and `make test` ask for DJANGO_DEBUG=1, the embedded default (SQLite, eager Celery, local-memory
cache, development keys). Production sets DATABASE_URL, REDIS_URL, DJANGO_SECRET_KEY, the field
keys and ALLOWED_HOSTS; see README.md. Every tunable is declared here (nothing else reads the
environment), and importing this module writes no files.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
# The SQLite file (embedded mode), documents, imports and exports; created by whoever writes there.
VAR_DIR = Path(os.environ.get("DIBAO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (production start refused)."
        )
    # Development only (DEBUG on): a fixed, public value, so sessions survive a restart.
    SECRET_KEY = "dibao-development-only-secret-key-never-use-in-production-0123456789"

# Key for encrypting resident ID numbers at rest, and for their blind index.
# Base64 of 32 bytes. The embedded default uses a fixed development key.
FIELD_ENCRYPTION_KEY = os.environ.get("DIBAO_FIELD_KEY", "")
BLIND_INDEX_KEY = os.environ.get("DIBAO_BLIND_INDEX_KEY", "")
if not FIELD_ENCRYPTION_KEY or not BLIND_INDEX_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DIBAO_FIELD_KEY and DIBAO_BLIND_INDEX_KEY must be set when DJANGO_DEBUG is off."
        )
    FIELD_ENCRYPTION_KEY = FIELD_ENCRYPTION_KEY or "ZGliYW8tZGV2ZWxvcG1lbnQtZmllbGQta2V5LTMyYiE="
    BLIND_INDEX_KEY = BLIND_INDEX_KEY or "ZGliYW8tZGV2ZWxvcG1lbnQtYmxpbmQtaW5kZXgtMzIh"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "accounts",
    "audit",
    "jobs",
    "households",
    "cases",
    "evidence",
    "recipients",
    "poverty_registry",
    "overlaps",
    "reports",
    "tabular",
    "golive",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dibao.middleware.ChineseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "dibao.middleware.NulByteGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dibao.middleware.RequestContextMiddleware",
    "dibao.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dibao.urls"
ADMIN_URL = os.environ.get("DJANGO_ADMIN_URL", "admin/").strip("/") + "/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "dibao.wsgi.application"

if not os.environ.get("DATABASE_URL"):
    os.environ.pop("DATABASE_URL", None)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=60, conn_health_checks=True
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["dibao.db_router.ReplicaRouter"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["ENGINE"] = "dibao.sqlite"  # creates VAR_DIR on first connect
    # The embedded default: covering indexes are a PostgreSQL feature; SQLite ignores the
    # extra columns, which is harmless for a single-office database.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions: absolute lifetime 12 hours; idle timeout enforced by RequestContextMiddleware.
SESSION_COOKIE_AGE = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600)
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"  # filled by collectstatic in production
# With DEBUG on whitenoise serves from the finders, no collectstatic needed (decided here, at start:
# the test runner turns settings.DEBUG off later, and would otherwise look for STATIC_ROOT).
WHITENOISE_AUTOREFRESH = DEBUG
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(VAR_DIR / "files"), "base_url": None}},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "files"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "dibao"),
            # A cache that does not answer within a second is treated as down (dibao/cache.py computes instead).
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient",
                        "SOCKET_CONNECT_TIMEOUT": env_int("CACHE_SOCKET_TIMEOUT", 1),
                        "SOCKET_TIMEOUT": env_int("CACHE_SOCKET_TIMEOUT", 1)},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task a worker took but never acknowledged (the worker was killed outright) goes back to the queue
# after this many seconds. It must exceed the longest import or export, or a task still running is
# delivered twice. Meanwhile jobs.tasks.fail_stale_jobs fails the job after 10 minutes without a heartbeat.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}
# Publishing must not hang a request when Redis is down: fail fast, the outbox retries later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
# The embedded mode (no Redis, tasks eager): long jobs (tasks declared runs_long: imports, scans,
# exports) run in JOBS_THREADS background threads of the server process, never in the request
# (jobs/embedded.py), whose sweeper also fails jobs left without a heartbeat every JOBS_SWEEP_SECONDS.
# The tests turn it off to keep tasks eager and deterministic.
JOBS_RUN_IN_THREAD = env_bool("JOBS_RUN_IN_THREAD", CELERY_TASK_ALWAYS_EAGER)
JOBS_THREADS = env_int("JOBS_THREADS", 1)
JOBS_SWEEP_SECONDS = env_int("JOBS_SWEEP_SECONDS", 60)
# A queued job handed to a worker this long ago that nobody started is failed by the sweep (its worker is
# gone with the job in its memory); jobs/services.py.
JOBS_QUEUED_STALE_MINUTES = env_int("JOBS_QUEUED_STALE_MINUTES", 30)

# The change feed (audit/feed.py): after a transaction that recorded audit events commits, each of
# these functions (dotted paths) receives the changed objects, in a worker, through the outbox. The
# shared registry's incremental check is the first: removing it stops findings following changes.
CHANGE_FEED_SUBSCRIBERS = ["overlaps.feed.on_changes"]
# The outbox (jobs/outbox.py) tries a message this many times; one that still fails on its own (not
# because the broker is down) is set aside for an administrator (admin: outbox messages).
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "5"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first so an unauthenticated API call answers 401 with WWW-Authenticate: Token.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "dibao.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "dibao.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "dibao API",
    "DESCRIPTION": "Rural minimum living security case management (最低生活保障).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from the vendored sidecar package: no CDN on an offline intranet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "RegistryStatusEnum": "poverty_registry.models.RegistryStatus",
        "MonitoringTypeEnum": "poverty_registry.models.MonitoringType",
        "ComplaintOutcomeEnum": "evidence.models.ComplaintOutcome",
        "FindingOutcomeEnum": "overlaps.models.OUTCOME_CHOICES",
        "VisitNumberEnum": [(1, "1"), (2, "2")],
    },
}

# django-axes: lock out a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# The same client address as the audit log: behind nginx, the hop nginx appended to X-Forwarded-For.
AXES_CLIENT_IP_CALLABLE = "dibao.middleware.client_ip"
AXES_VERBOSE = False

# Content Security Policy (django-csp; Django 6's built-in CSP needs Python 3.12).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

DATA_RETENTION_EXPORT_HOURS = env_int("EXPORT_EXPIRY_HOURS", 72)
# Exports with fewer rows stream at once; larger ones run as a job (reports.services).
EXPORT_STREAM_MAX_ROWS = env_int("EXPORT_STREAM_MAX_ROWS", 5000)
# Uploaded documents: largest file, and largest image in pixels (a decompression bomb is refused).
DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
DOCUMENT_MAX_IMAGE_PIXELS = env_int("DOCUMENT_MAX_IMAGE_PIXELS", 40_000_000)  # ~ a 7,000 x 5,700 photo
# Largest poverty-registry file an officer may upload.
REGISTRY_IMPORT_MAX_BYTES = env_int("REGISTRY_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
# Largest recipient roster file (go-live import) a county officer may upload.
ROSTER_IMPORT_MAX_BYTES = env_int("ROSTER_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
# Working days a complaint may take from receipt to its answer.
COMPLAINT_DEADLINE_WORKING_DAYS = env_int("COMPLAINT_DEADLINE_WORKING_DAYS", 15)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
