"""Settings read from the environment; with nothing set, an embedded SQLite demo runs."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Where people reach the platform (absolute links in emails, which have no request to build them from).
# The development server's address by default; production defaults to https:// and the first ALLOWED_HOSTS.
PORT = os.environ.get("PORT", "8000")
SITE_URL = os.environ.get("SITE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")


def env_int(name: str, default: int = 0) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


# Reverse proxies in front of the application (engine/client_ip.py): X-Forwarded-For is read only as
# far as they vouch for it. Addresses or networks (TRUSTED_PROXIES) take precedence over a count.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

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
    "knox",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "notifications",
    "engine",
    "partners",
    "workflows.sample",
    "notify",
    "api",
    "workflows.outcomes",
    "workflows.accession",
    "workflows.partnership",
    "textsearch",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Before anything reads a body: an oversized one is refused from its Content-Length.
    "portal.body_limit.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "api.middleware.ApiMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.UserLanguageMiddleware",
    "portal.middleware.MethodNotAllowedPageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into portal/lockout.py's answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    }
]

# Content-Security-Policy (django-csp): only our own files run or style the pages, no inline script or
# style anywhere in the portal; the API viewers widen it per view (api/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap draws its form controls' icons with data: SVG images.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Permissions-Policy (django-permissions-policy): the portal needs no device or sensor.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    )
}

# Database: SQLite by default; PostgreSQL (psycopg 3) when DATABASE_URL is set.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "db.sqlite3")),
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of
            # failing half-way with "database is locked".
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out sign-in before any password is checked (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login lockout (django-axes) on every sign-in surface: the portal's form, /admin/login/ and the API
# token endpoint. Failures are counted per username *and* client address together, so an attacker is
# stopped without letting anyone lock a colleague out from elsewhere; the API's throttles add per-address
# and per-username rates. `manage.py axes_reset` / `axes_reset_username NAME` unlock (README).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
# Public sign-ups per client address (workflows.accession); "none" turns the limit off.
SIGN_UP_RATE = (
    None if os.environ.get("SIGN_UP_RATE", "").lower() == "none" else os.environ.get("SIGN_UP_RATE", "10/hour")
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "engine.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "portal.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "ar")
LANGUAGES = [("ar", _("Arabic")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Beirut"
FORMAT_MODULE_PATH = ["portal.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
# Without collectstatic (the demo, tests) whitenoise serves straight from the apps' static folders.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", default=True)
try:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
except OSError:
    pass
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Request bodies: every body but a multipart upload is refused over DATA_UPLOAD_MAX_MEMORY_SIZE, which
# is also the API's JSON limit; an upload (one document of at most 10 MB and its form) over
# REQUEST_MAX_UPLOAD_BYTES. portal/body_limit.py answers 413 from Content-Length, before reading.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)
API_MAX_BODY_BYTES = DATA_UPLOAD_MAX_MEMORY_SIZE
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # larger files are spooled to a temporary file, not held in memory
REQUEST_MAX_UPLOAD_BYTES = env_int("REQUEST_MAX_UPLOAD_BYTES", 11 * 1024 * 1024)
# Office documents (zip containers): refused when they would inflate past these (engine/uploads.py).
UPLOAD_MAX_EXPANDED_BYTES = env_int("UPLOAD_MAX_EXPANDED_BYTES", 100 * 1024 * 1024)
UPLOAD_MAX_COMPRESSION_RATIO = env_int("UPLOAD_MAX_COMPRESSION_RATIO", 100)

LOGIN_URL = "portal:sign_in"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Email
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "dialogue@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: a real broker when REDIS_URL is set; otherwise tasks run in-process after commit.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_TIMEZONE = TIME_ZONE
# beat remembers when each periodic task last ran here (never in the source tree).
CELERY_BEAT_SCHEDULE_FILENAME = os.environ.get("CELERY_BEAT_SCHEDULE_FILENAME", str(VAR_DIR / "celerybeat-schedule"))
CELERY_BEAT_SCHEDULE = {
    "sla-scan": {"task": "engine.tasks.sla_scan_task", "schedule": 300.0},
    "notify-sweep": {"task": "notify.tasks.sweep_outbox", "schedule": 60.0},
    "notify-digests": {"task": "notify.tasks.send_due_digests", "schedule": 3600.0},
    "notify-reminders": {"task": "notify.tasks.scan_reminders", "schedule": 900.0},
    "accession-charter-reminders": {"task": "workflows.accession.tasks.charter_reminders_task", "schedule": 3600.0},
    # GET /api/v1/audit/verify/ answers from the newest stored run.
    "audit-verify": {"task": "engine.tasks.audit_verify_task", "schedule": 3600.0},
}

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The engine
ENGINE = {
    # Business calendar: ISO weekday numbers of the weekend (Mon=1 ... Sun=7).
    "WEEKEND": (6, 7),
    "HOLIDAY_COUNTRY": "LB",
    # Working day in local time; due times fall at its end.
    "WORKDAY_START": "08:00",
    "WORKDAY_END": "16:00",
    "SLA_WARNING_RATIO": 0.75,
    "CHECKPOINT_KEY_PATH": os.environ.get("AUDIT_SIGNING_KEY", str(VAR_DIR / "keys" / "audit_ed25519.pem")),
    "CHECKPOINT_DIR": os.environ.get("AUDIT_CHECKPOINT_DIR", str(VAR_DIR / "checkpoints")),
    # Expands an engine event into per-recipient outbox rows (the notify app installs it).
    "OUTBOX_ROUTER": os.environ.get("ENGINE_OUTBOX_ROUTER", "notify.routing.route_events"),
    # Called after commit with the new outbox row ids (the notify app installs its Celery task).
    "OUTBOX_DISPATCHER": os.environ.get("ENGINE_OUTBOX_DISPATCHER", "notify.tasks.dispatch_outbox"),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    # Our throttles ask engine.client_ip; DRF's own reading (any other throttle) must not trust the
    # header whole, which is what its default (None) does.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
# API tokens (django-rest-knox): hashed at rest, each with its own expiry; `Authorization: Token <token>`.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env_int("API_TOKEN_TTL_HOURS", 10)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Partnership Dialogue API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No REDOC_UI_SETTINGS: they make the stock template add an inline script, which the CSP refuses;
    # api/templates/api/redoc.html drops the outside font host and api/docs.css sets system fonts.
    # Choice sets that share a field name ("decision", "status") get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "VoteDecisionEnum": "workflows.partnership.models.Vote.Choice",
        "RequestDecisionEnum": "workflows.partnership.models.DialogueRequest.Decision",
        "DecidingDecisionEnum": "workflows.partnership.forms.DECISION_CHOICES",
        "ActionItemStatusEnum": "workflows.partnership.models.ActionItem.Status",
        "ApplicationKindEnum": "workflows.accession.models.Application.Kind",
        "SideEnum": "partners.models.Side",
        "MeetingStatusEnum": "workflows.partnership.models.Meeting.Status",
        "SessionKindEnum": "workflows.partnership.models.Meeting.Kind",
    },
}

# Everything goes to the root logger's one console handler. Django's own "django" logger would print
# its records a second time under DEBUG (its console handler, then propagation to the root): it gets
# no handler of its own here. The development server's request lines ("django.server") print once.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {"django": {"handlers": [], "propagate": True}},
}
