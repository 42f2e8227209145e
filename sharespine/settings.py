"""Settings, read from the environment and validated at start-up.

Nothing set: the embedded default (SQLite and Celery's file-based broker under ``var/``) so the
service runs on a fresh machine. ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` switch to the
production parts. Secrets may come from ``NAME_FILE`` variables. See README.md for the list.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from sharespine.envconfig import (
    Config,
    ConfigError,
    ensure_dir,
    random_secret_key,
    read_or_create_secret_file,
    stop,
)

BASE_DIR = Path(__file__).resolve().parent.parent
env = Config()

try:
    VAR_DIR = Path(env.str("VAR_DIR", str(BASE_DIR / "var")))
    DEBUG = env.bool("DEBUG", False)
    SECRET_KEY = env.str("SECRET_KEY") or read_or_create_secret_file(
        VAR_DIR / "secret_key", random_secret_key
    )
    # Fernet keys for secrets at rest (shop passwords, agent secrets); first one encrypts.
    ENCRYPTION_KEYS = env.fernet_keys("ENCRYPTION_KEYS", VAR_DIR / "encryption.key")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])
    _database = env.database("DATABASE_URL")
    REDIS_URL = env.redis_url("REDIS_URL")
    # Behind TLS in production: secure cookies, HSTS and redirects follow this one switch.
    HTTPS = env.bool("HTTPS", False)
    CONN_MAX_AGE = env.int("CONN_MAX_AGE", 60)
    LOG_LEVEL = env.str("LOG_LEVEL", "INFO").upper()
    CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", 2, minimum=1)
    # An item in processing longer than this was left by a dead worker and is re-queued.
    FLOWS_STUCK_AFTER_SECONDS = env.int("FLOWS_STUCK_AFTER_SECONDS", 300, minimum=5)
    # A code plugin's hook that has not answered within this many milliseconds parks its item.
    PLUGIN_TIME_LIMIT_MS = env.int("PLUGIN_TIME_LIMIT_MS", 2000, minimum=10)
    # Login throttling (django-axes): this many wrong passwords for one username, or from one
    # address, lock that username or address out for LOGIN_LOCKOUT_MINUTES.
    LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
    LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
    # Reverse proxies in front of the web process that append to X-Forwarded-For (0: none, the
    # peer's address is the client's; a forged header is then ignored).
    TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", 0)
    # The embedded default keeps its database, broker and cache under VAR_DIR: it must be usable.
    if not _database:
        ensure_dir("VAR_DIR", VAR_DIR)
    if not REDIS_URL:
        for _sub in ("broker/queue", "broker/processed", "broker/control", "cache"):
            ensure_dir("VAR_DIR", VAR_DIR / _sub)
    # Mail (usage warnings and alerts): by SMTP once EMAIL_HOST is set; until then each mail is
    # written to a file under VAR_DIR/mail (the demo), and the admin shows every alert mail sent.
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", True)
    DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "sharespine@localhost")
    # Where people reach this service: the links in alert mails start with it.
    SITE_URL = env.str("SITE_URL", "http://127.0.0.1:8000")
except ConfigError as exc:
    # A clean message naming the variable, then stop: no half-configured process.
    stop(exc)

if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    stop(ConfigError(f"LOG_LEVEL: expected DEBUG, INFO, WARNING or ERROR, got {LOG_LEVEL!r}"))

INSTALLED_APPS = [
    "sharespine.apps.SharespineAdminConfig",  # replaces django.contrib.admin
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "axes",
    "sharespine.customers",
    "sharespine.metering",
    "flows",
    "sharespine.dashboard",
    "reconciliation",
    "sharespine.alerts",  # above flows and reconciliation: it reads both
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sharespine.urls"
WSGI_APPLICATION = "sharespine.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "sharespine" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

if _database:
    DATABASES = {"default": {**_database, "CONN_MAX_AGE": CONN_MAX_AGE, "CONN_HEALTH_CHECKS": True}}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "sharespine.sqlite3",
            # web, worker and beat share the file: WAL lets readers go on while one writes.
            "OPTIONS": {
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if REDIS_URL:
    CACHES: dict[str, dict[str, Any]] = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # File-based so that locks and heartbeats are shared by the web, worker and beat processes.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": VAR_DIR / "cache",
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out username or address before the password is checked,
# on the dashboard's login (/accounts/login/) and the admin's (/admin/login/) alike.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Attempts are kept in the database (SQLite or PostgreSQL), so every web process sees them.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
# Each on its own: one username from many addresses, and one address trying many usernames.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "sharespine.loginlimits.lockout_response"
AXES_CLIENT_IP_CALLABLE = "sharespine.loginlimits.client_ip"
AXES_ENABLE_ADMIN = False  # registered in sharespine/loginlimits.py under the role rules
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = VAR_DIR / "mail"

# Every user-facing page exists in Swedish and English.
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
# Our catalogue first; then Swedish for third-party admin pages that ship none (celery-beat, axes).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "vendor"]
# English dates and times as in Sweden (year first, 24 hours): sharespine/formats/en says why.
FORMAT_MODULE_PATH = ["sharespine.formats"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Security: production sits behind TLS (HTTPS=1); `manage.py check --deploy` passes then.
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Celery: JSON only, two queues. `orders` is latency-critical (orders, status back to the shop),
# `bulk` carries catalogue, initial sync and reconciliation so a big sync never delays an order.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Above the longest countdown/ETA we use, or Redis redelivers a task that is merely waiting.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"visibility_timeout": 3600}
else:
    _broker_dir = VAR_DIR / "broker"  # made above
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Exchange bindings; kombu's default is "control" in the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = "orders"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 600
CELERY_TASK_TIME_LIMIT = 660
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# django-celery-beat's database scheduler, holding the orders queue's polls to one pending run
# per integration and flow.
CELERY_BEAT_SCHEDULER = "flows.engine.beat:Scheduler"
CELERY_BEAT_SCHEDULE = {
    # Nightly at 03:30 Swedish time, when shops are quiet: prune finished sync history.
    "prune-history": {
        "task": "flows.tasks.prune_history",
        "schedule": crontab(hour=3, minute=30),
        "options": {"queue": "bulk", "expire_seconds": 3600},
    },
    # Every minute: re-queue items a dead worker left behind (flows run on their own schedules,
    # made from each integration's configuration in flows/engine/schedules.py).
    "sweep-stuck-items": {
        "task": "flows.tasks.sweep_stuck",
        "schedule": 60.0,
        "options": {"queue": "orders", "expire_seconds": 55},
    },
    # Every ten minutes: warn the consultants about merchants at 80 % or 100 % of a price tier.
    "usage-warnings": {
        "task": "sharespine.metering.tasks.check_usage_warnings",
        "schedule": 600.0,
        "options": {"queue": "bulk", "expire_seconds": 590},
    },
    # Every five minutes: alerts (orders waiting, agent offline, flows failing, payouts held), the
    # digests due and the "resolved" mails; cheap (a few grouped queries), and a mail an hour late
    # is the thing it prevents, so no faster.
    "check-alerts": {
        "task": "sharespine.alerts.tasks.check_alerts",
        "schedule": crontab(minute="*/5"),
        "options": {"queue": "bulk", "expire_seconds": 290},
    },
    # Every minute: each queue proves a worker consumes it; the dashboard shows the age.
    "queue-heartbeat-orders": {
        "task": "flows.tasks.record_queue_heartbeat",
        "schedule": 60.0,
        "args": ("orders",),
        "options": {"queue": "orders", "expire_seconds": 55},
    },
    "queue-heartbeat-bulk": {
        "task": "flows.tasks.record_queue_heartbeat",
        "schedule": 60.0,
        "args": ("bulk",),
        "options": {"queue": "bulk", "expire_seconds": 55},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "sharespine.logredact.RedactingFormatter",
            "fmt": "%(asctime)s %(levelname)s %(processName)s %(name)s %(message)s",
            "zone": TIME_ZONE,
        }
    },
    "filters": {"no_traceback_for_403": {"()": "sharespine.logredact.NoTracebackForRefusals"}},
    # Web, worker and beat all log through this handler (sharespine/celery.py keeps Celery off it).
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["no_traceback_for_403"]},
    },
}
