"""One settings module, configured from environment variables.

With nothing set it is production-safe: DEBUG off, so the start asks for the secrets. `make run`
and `make test` ask for DJANGO_DEBUG=1, the embedded default (SQLite, eager Celery, local-memory
cache, development keys). Production sets DATABASE_URL, REDIS_URL, DJANGO_SECRET_KEY, the field
keys and ALLOWED_HOSTS; see README.md. Every tunable is declared here (nothing else reads the
environment), and importing this module writes no files.
"""

import base64
import binascii
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

# Keys for data at rest (see README, "Keys"): a keyring per purpose, version -> base64 key. The highest
# version writes, every version reads. DIBAO_FIELD_KEYS="2:<base64>,1:<base64>" (or the same lines in the
# file DIBAO_KEY_FILE); the single-key form DIBAO_FIELD_KEY / DIBAO_BLIND_INDEX_KEY is version 1.
# DIBAO_CRYPTO chooses the algorithms of new writes: "aes" (AES-256-GCM, HMAC-SHA256) or "sm"
# (SM4-GCM, HMAC-SM3, GB/T 32907 and 32905); `manage.py rotate_keys` moves stored data to them.
DEVELOPMENT_FIELD_KEY = "ZGliYW8tZGV2ZWxvcG1lbnQtZmllbGQta2V5LTMyYiE="
DEVELOPMENT_BLIND_INDEX_KEY = "ZGliYW8tZGV2ZWxvcG1lbnQtYmxpbmQtaW5kZXgtMzIh"
# Keys published in this repository (development, load benchmark): never accepted in production.
PUBLIC_KEYS = frozenset({
    DEVELOPMENT_FIELD_KEY, DEVELOPMENT_BLIND_INDEX_KEY,
    "bG9hZC1iZW5jaG1hcmstZmllbGQta2V5LTMyYnl0ZXM=", "bG9hZC1iZW5jaG1hcmstaW5kZXgta2V5LTMyYnl0ZXM=",
})
KEY_VARIABLES = ("DIBAO_FIELD_KEYS", "DIBAO_FIELD_KEY", "DIBAO_BLIND_INDEX_KEYS", "DIBAO_BLIND_INDEX_KEY")


def _key_source() -> dict[str, str]:
    """The key variables from the environment, or from DIBAO_KEY_FILE (NAME=value lines) when set."""
    key_file = os.environ.get("DIBAO_KEY_FILE", "").strip()
    if not key_file:
        return {name: os.environ.get(name, "").strip() for name in KEY_VARIABLES}
    try:
        lines = Path(key_file).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ImproperlyConfigured(f"DIBAO_KEY_FILE cannot be read ({exc.strerror}).") from None
    found = {}
    for line in lines:
        name, sep, value = line.strip().partition("=")
        if line.strip().startswith("#") or not sep:
            continue
        if name.strip() not in KEY_VARIABLES:
            raise ImproperlyConfigured(f"DIBAO_KEY_FILE names an unknown variable {name.strip()!r}.")
        found[name.strip()] = value.strip()
    return {name: found.get(name, "") for name in KEY_VARIABLES}


def _keyring(ring_name: str, single_name: str, values: dict[str, str]) -> dict[int, tuple[str, str]]:
    """version -> (base64 key, the variable it came from)."""
    where = f"{ring_name} in DIBAO_KEY_FILE" if os.environ.get("DIBAO_KEY_FILE") else ring_name
    ring: dict[int, tuple[str, str]] = {}
    for item in filter(None, (part.strip() for part in values[ring_name].split(","))):
        version, sep, key = item.partition(":")
        if not sep or not version.strip().isdigit() or not 1 <= int(version) <= 65535:
            raise ImproperlyConfigured(f"{where} must read \"<version>:<base64 key>,...\" with versions "
                                       "1 to 65535.")
        if int(version) in ring:
            raise ImproperlyConfigured(f"{where} lists version {int(version)} twice.")
        ring[int(version)] = (key.strip(), f"{where} (version {int(version)})")
    if values[single_name]:
        single = f"{single_name} in DIBAO_KEY_FILE" if os.environ.get("DIBAO_KEY_FILE") else single_name
        if 1 in ring and ring[1][0] != values[single_name]:
            raise ImproperlyConfigured(f"{single} (version 1) differs from version 1 of {where}.")
        ring[1] = (values[single_name], single)
    return ring


def _check_keys(rings: list[dict[int, tuple[str, str]]], *, production: bool) -> None:
    """Every key decodes; in production each is 32 bytes, unique, and not one published here."""
    seen: dict[bytes, str] = {}
    for ring in rings:
        for _version, (key, name) in sorted(ring.items()):
            try:
                raw = base64.b64decode(key, validate=True)
            except (binascii.Error, ValueError):
                raise ImproperlyConfigured(f"{name} is not valid base64.") from None
            if not production:
                continue
            if len(raw) != 32:
                raise ImproperlyConfigured(f"{name} must decode to 32 bytes, not {len(raw)}.")
            if key in PUBLIC_KEYS or base64.b64encode(raw).decode() in PUBLIC_KEYS:
                raise ImproperlyConfigured(f"{name} is a development key published in the repository; "
                                           "generate a new one.")
            if raw in seen:
                raise ImproperlyConfigured(f"{name} is the same key as {seen[raw]}; every key must be different.")
            seen[raw] = name


_keys = _key_source()
_field_ring = _keyring("DIBAO_FIELD_KEYS", "DIBAO_FIELD_KEY", _keys)
_index_ring = _keyring("DIBAO_BLIND_INDEX_KEYS", "DIBAO_BLIND_INDEX_KEY", _keys)
if not _field_ring or not _index_ring:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DIBAO_FIELD_KEY and DIBAO_BLIND_INDEX_KEY (or DIBAO_FIELD_KEYS and DIBAO_BLIND_INDEX_KEYS, or "
            "DIBAO_KEY_FILE) must be set when DJANGO_DEBUG is off."
        )
    _field_ring = _field_ring or {1: (DEVELOPMENT_FIELD_KEY, "development field key")}
    _index_ring = _index_ring or {1: (DEVELOPMENT_BLIND_INDEX_KEY, "development blind-index key")}
_check_keys([_field_ring, _index_ring], production=not DEBUG)
# version -> base64 key; households/crypto and dibao/crypto read them.
FIELD_KEYS = {version: key for version, (key, _name) in _field_ring.items()}
BLIND_INDEX_KEYS = {version: key for version, (key, _name) in _index_ring.items()}
CRYPTO_ALGORITHM = os.environ.get("DIBAO_CRYPTO", "aes").strip().lower() or "aes"
if CRYPTO_ALGORITHM not in ("aes", "sm"):
    raise ImproperlyConfigured(f"DIBAO_CRYPTO must be \"aes\" or \"sm\", not {CRYPTO_ALGORITHM!r}.")
# Rows re-encrypted per transaction by rotate_keys (short transactions: the site keeps serving).
KEY_ROTATION_BATCH = env_int("KEY_ROTATION_BATCH", 500)

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
    "knox",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "django_prometheus",
    "dibao.ops",
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
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "dibao.middleware.ResponseHardeningMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dibao.middleware.ChineseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "dibao.middleware.NulByteGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "dibao.middleware.RequestContextMiddleware",
    "accounts.otp.SecondFactorRequiredMiddleware",
    "dibao.middleware.LoginRequiredMiddleware",
    "dibao.middleware.DecryptionFailedMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
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
# django-prometheus's PostgreSQL backend counts queries and errors per connection (the metrics).
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _database["ENGINE"] = "django_prometheus.db.backends.postgresql"
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
    "accounts.backends.RolePermissionBackend",
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
# collectstatic writes gzip and Brotli copies beside each hashed file (~1 min for the API pages' bundles);
# off where the front proxy compresses on the fly (nginx `gzip on`), the files are then hashed only.
STATIC_PRECOMPRESS = env_bool("STATIC_PRECOMPRESS", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(VAR_DIR / "files"), "base_url": None}},
    "staticfiles": {
        "BACKEND": ("django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
                    else "whitenoise.storage.CompressedManifestStaticFilesStorage" if STATIC_PRECOMPRESS
                    else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"),
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
        "accounts.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "dibao.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "dibao.api.exception_handler",
    # Throttles count in the cache through dibao/cache.py (a cache that is down lets the request through).
    "DEFAULT_THROTTLE_RATES": {
        "anon": "60/min",
        "token": os.environ.get("TOKEN_RATE", "20/min"),
        "reveal": os.environ.get("REVEAL_RATE", "30/hour"),
        "active_elsewhere": os.environ.get("ACTIVE_ELSEWHERE_RATE", "20/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "dibao API",
    # docs/api.md: tokens, roles (the three administrators), personal data, errors.
    "DESCRIPTION": "Rural minimum living security case management (最低生活保障).\n\n"
                   + (BASE_DIR / "docs" / "api.md").read_text(encoding="utf-8").partition("\n")[2],
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
# The lockout page (and the API's 429) in plain words: how long, and whom to call (accounts/lockout.py).
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Whom a locked-out user should call, e.g. "县民政局信息科 0532-12345678" (default: "your security administrator").
LOCKOUT_CONTACT = os.environ.get("LOCKOUT_CONTACT", "").strip()
AXES_RESET_ON_SUCCESS = True
# The same client address as the audit log (dibao.middleware.client_ip): X-Forwarded-For is believed only
# when the direct peer is one of TRUSTED_PROXIES (CIDR list, e.g. the nginx host "10.0.0.5/32").
AXES_CLIENT_IP_CALLABLE = "dibao.middleware.client_ip"
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
# Password spraying: failed logins from one address (any usernames) within LOGIN_FAILURE_WINDOW_MINUTES
# before that address is refused until the window passes (page and token endpoint).
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 20)
# The same for one username from any addresses (distributed guessing of one account).
LOGIN_FAILURES_PER_USERNAME = env_int("LOGIN_FAILURES_PER_USERNAME", 30)
LOGIN_FAILURE_WINDOW_MINUTES = env_int("LOGIN_FAILURE_WINDOW_MINUTES", 15)

# API tokens (django-rest-knox): stored hashed, expire after TOKEN_TTL_HOURS (one working day), revoked on
# logout, password change and deactivation; their owner lists and revokes them (/accounts/tokens/).
TOKEN_TTL_HOURS = env_int("TOKEN_TTL_HOURS", 9)
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_MODEL": "accounts.ApiToken",
    "TOKEN_LIMIT_PER_USER": env_int("TOKEN_LIMIT_PER_USER", 20),
}
KNOX_TOKEN_MODEL = "accounts.ApiToken"
# knox's own migrations create its default token table even when the model is swapped (they lack the
# swappable option), and a table no model knows breaks the test database's flush. Its only model is
# swapped for accounts.ApiToken, so knox needs no migrations at all.
MIGRATION_MODULES = {"knox": None}

# Second factor (django-otp, TOTP + single-use recovery codes) for the roles below. On by default in
# production, off with DJANGO_DEBUG=1 (make run, the tests) unless OTP_REQUIRED=1.
OTP_REQUIRED = env_bool("OTP_REQUIRED", not DEBUG)
OTP_REQUIRED_ROLES = ["admin", "security_admin", "audit_admin", "county_officer"]
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "dibao")
OTP_RECOVERY_CODES = 10
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

# Personal data: the purposes a user may pick to see a full ID number or bank account, or to export unmasked.
DISCLOSURE_PURPOSES = ["eligibility_check", "payment", "verification", "audit", "legal_request", "other"]

DATA_RETENTION_EXPORT_HOURS = env_int("EXPORT_EXPIRY_HOURS", 72)
# Hours a registry import's error list is kept after its job ends (it repeats the file's rows).
IMPORT_ERROR_FILE_EXPIRY_HOURS = env_int("IMPORT_ERROR_FILE_EXPIRY_HOURS", 72)
# Exports with fewer rows stream at once; larger ones run as a job (reports.services).
EXPORT_STREAM_MAX_ROWS = env_int("EXPORT_STREAM_MAX_ROWS", 5000)
# Uploaded documents: largest file, and largest image in pixels (a decompression bomb is refused).
DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
DOCUMENT_MAX_IMAGE_PIXELS = env_int("DOCUMENT_MAX_IMAGE_PIXELS", 40_000_000)  # ~ a 7,000 x 5,700 photo
# Largest poverty-registry file an officer may upload.
REGISTRY_IMPORT_MAX_BYTES = env_int("REGISTRY_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
# Largest recipient roster file (go-live import) a county officer may upload.
ROSTER_IMPORT_MAX_BYTES = env_int("ROSTER_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
# A roster dry run nobody confirmed (or discarded) within this many days is discarded by the hourly sweep:
# its staged rows (encrypted ID numbers) and its error list are deleted (golive.services.roster_dry_runs_expire).
ROSTER_DRY_RUN_EXPIRY_DAYS = env_int("ROSTER_DRY_RUN_EXPIRY_DAYS", 7)
# Working days a complaint may take from receipt to its answer.
COMPLAINT_DEADLINE_WORKING_DAYS = env_int("COMPLAINT_DEADLINE_WORKING_DAYS", 15)

# Operations (README: Operations). /metrics answers only with `Authorization: Bearer <METRICS_TOKEN>`
# and not at all (404) while the token is unset. Under gunicorn with several workers, set
# PROMETHEUS_MULTIPROC_DIR to an empty directory so every worker's counts are added up.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
PROMETHEUS_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
PROMETHEUS_METRIC_NAMESPACE = ""
# /readyz fails when the oldest unsent outbox message is older than this (the queue is not draining).
READYZ_OUTBOX_MAX_AGE_SECONDS = env_int("READYZ_OUTBOX_MAX_AGE_SECONDS", 900)
# Error reports go to Sentry (or a compatible server such as GlitchTip) only when a DSN is set; ID
# numbers and personal fields are scrubbed before anything leaves (dibao/sentry.py).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", "production")
# `make backup` writes here (one folder per backup: database dump, files, manifest).
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", VAR_DIR / "backups"))

# Logs: JSON lines on stderr (LOG_FORMAT=text for a terminal), each with the request id of the request
# or task that wrote it (dibao/logs.py). One line per request from the logger dibao.request (INFO).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'json' or 'text', not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "dibao.logs.RequestContextFilter"}},
    "formatters": {
        "json": {"()": "dibao.logs.JsonFormatter"},
        "text": {"()": "dibao.logs.TextFormatter",
                 "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"], "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "dibao": {"level": os.environ.get("LOG_REQUESTS_LEVEL", "INFO")},
        "celery": {"level": "INFO"},
    },
}
# The worker and beat log through LOGGING above (JSON, request ids) instead of Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

if SENTRY_DSN:
    from dibao.ops.sentry import init_sentry

    init_sentry(SENTRY_DSN, environment=SENTRY_ENVIRONMENT)
