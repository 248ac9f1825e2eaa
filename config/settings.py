"""Settings for the annotation site, driven by environment variables.

A fresh checkout runs in development on SQLite with no variables set.
Production (``DEBUG`` off) refuses to start without ``SECRET_KEY`` and
``ALLOWED_HOSTS``. Every variable is listed in ``.env.example``.
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env file is read when present (never required; never committed), unless
# DJANGO_READ_DOT_ENV is off: the test settings turn it off before importing this
# module, so a developer's .env cannot change what the tests run against.
if env.bool("DJANGO_READ_DOT_ENV", default=True) and (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if not DEBUG else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.syndication",
    "django.contrib.postgres",
    "taggit",
    "django_ratelimit",
    "accounts",
    "articles",
    "annotations",
    "hypothesis_api",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # PostgreSQL restarting: a clean 503 for the requests in flight (config/database_errors.py)
    "config.database_errors.DatabaseUnavailableMiddleware",
    # ETag on every GET response, 304 for If-None-Match / If-Modified-Since
    "django.middleware.http.ConditionalGetMiddleware",
    # anonymous article pages from the cache: no session, auth, query or template (annotations/page_cache.py)
    "annotations.page_cache.AnonymousArticlePageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.middleware.RejectNulBytesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
            ],
        },
    },
]

# Database: SQLite in a file under the project unless DATABASE_URL is set
# (postgres://user:pass@host:5432/name for production).
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers wait for the lock instead of failing ("database is
    # locked"); WAL lets readers go on while one writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections with a health check before reuse.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation: this site's queries are short index lookups, and PostgreSQL's cost estimates
    # switch JIT on for some of them at 1M annotations, adding about 240 ms to a 6 ms query (bench/article_scale.py).
    # DB_JIT=on restores the server's default.
    if not env.bool("DB_JIT", default=False):
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()

# Cache: local memory by default; redis://127.0.0.1:6379/0 in production.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://annotations-site")}
CACHES["default"].setdefault("KEY_PREFIX", env.str("CACHE_KEY_PREFIX", default="annot"))
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # The cache is optional at run time (config/cache.py): with Redis down,
    # reads miss and writes are skipped, pages render from the database.
    # Short socket timeouts so a Redis that hangs costs a request at most ~1s.
    CACHES["default"]["BACKEND"] = "config.cache.ResilientRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {
            "socket_connect_timeout": env.float("CACHE_CONNECT_TIMEOUT", default=0.5),
            "socket_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=1.0),
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "articles:article-list"
LOGOUT_REDIRECT_URL = "articles:article-list"

LANGUAGE_CODE = "en"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
# The site is written in English only: Django's translation machinery off ("for performance", its settings
# reference says), about a tenth of an admin page's time (the changelist at 105k annotations, in-process:
# 24.3 -> 21.9 ms). Dates and numbers are formatted as before (the "en" formats are Django's defaults).
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The Hypothesis client (npm package `hypothesis`, package.json; `make run` installs it): its build/ directory is
# served as static/hypothesis/build/ (collected, hashed and compressed like the rest; its boot script loads the
# other files by their plain names, which whitenoise serves too). Without it the article pages' Hypothesis option
# says how to install it (hypothesis_api).
HYPOTHESIS_CLIENT_BUILD = BASE_DIR / "node_modules" / "hypothesis" / "build"
if HYPOTHESIS_CLIENT_BUILD.is_dir():
    STATICFILES_DIRS.append(("hypothesis/build", HYPOTHESIS_CLIENT_BUILD))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            # whitenoise's CompressedManifestStaticFilesStorage, tolerant of the Hypothesis client's missing fonts
            else "hypothesis_api.staticfiles.StaticFilesStorage"
        )
    },
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)
# django.core.mail.backends.filebased.EmailBackend writes each message to a file in this directory
if env.str("EMAIL_FILE_PATH", default=""):
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="annotations@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The job queue (config/celery.py). E-mail goes through the outbox (notifications/):
# written in the transaction that causes it, delivered by a task after the commit,
# retried by the sweep every MAIL_RETRY_SECONDS with back-off from MAIL_RETRY_BASE_SECONDS
# (doubling), given up after MAIL_MAX_ATTEMPTS. Without a broker URL, tasks run in-process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# A task is acknowledged after it ran, and one on a worker that was killed goes back to the queue;
# delivery is idempotent (a claimed row is never sent by another worker).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A web request never waits long for a broker that is down: no publish retries, short timeouts
# (the outbox sweep delivers what could not be queued).
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1.0, "socket_timeout": 2.0}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
MAIL_RETRY_SECONDS = env.float("MAIL_RETRY_SECONDS", default=60.0)
MAIL_RETRY_BASE_SECONDS = env.int("MAIL_RETRY_BASE_SECONDS", default=60)
MAIL_MAX_ATTEMPTS = env.int("MAIL_MAX_ATTEMPTS", default=8)
MAIL_SENDING_LEASE_SECONDS = env.int("MAIL_SENDING_LEASE_SECONDS", default=600)
# In-memory beat schedule: nothing written to the working directory.
CELERY_BEAT_SCHEDULER = "celery.beat:Scheduler"
# Notices (notifications/notices.py, issue #15): the daily digest is queued at NOTIFICATIONS_DIGEST_HOUR
# o'clock in TIME_ZONE by the beat (or `manage.py send_digests`); unsubscribe links in e-mails are valid
# for NOTIFICATIONS_UNSUBSCRIBE_MAX_AGE seconds.
NOTIFICATIONS_DIGEST_HOUR = env.int("NOTIFICATIONS_DIGEST_HOUR", default=7)
NOTIFICATIONS_UNSUBSCRIBE_MAX_AGE = env.int("NOTIFICATIONS_UNSUBSCRIBE_MAX_AGE", default=180 * 24 * 3600)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "notifications.sweep_outbox", "schedule": MAIL_RETRY_SECONDS},
    "daily-digest": {
        "task": "notifications.send_digests",
        "schedule": crontab(minute=0, hour=NOTIFICATIONS_DIGEST_HOUR),
    },
}

# The organisation that publishes the fact-checks (schema.org ClaimReview author).
SITE_NAME = env.str("SITE_NAME", default="Annotated")
SITE_ORGANIZATION = env.str("SITE_ORGANIZATION", default="Annotated fact-check desk")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Moderation policy (annotations/policy.py): publish every note at once and
# moderate afterwards, instead of holding notes by untrusted annotators.
ANNOTATIONS_NOTES_POST_MODERATION = env.bool("ANNOTATIONS_NOTES_POST_MODERATION", default=False)

# Reader flags: this many open flags hide an approved annotation until a
# moderator decides.
ANNOTATIONS_FLAG_HIDE_THRESHOLD = env.int("ANNOTATIONS_FLAG_HIDE_THRESHOLD", default=3)

# Rate limits on writes (accounts/ratelimits.py), "count/period" with period
# s, m, h or d (optionally with a multiplier, e.g. 10/15m). Per user by trust
# ("new": accounts younger than RATE_LIMIT_NEW_ACCOUNT_AGE seconds), and per IP.
RATE_LIMIT_NEW_ACCOUNT_AGE = env.int("RATE_LIMIT_NEW_ACCOUNT_AGE", default=24 * 3600)
RATE_LIMITS = {
    "annotate": {
        "new": "10/h",
        "member": "60/h",
        "trusted": "300/h",
        "ip": env.str("RATE_LIMIT_ANNOTATE_IP", default="300/h"),
    },
    "edit": {"new": "30/h", "member": "120/h", "trusted": "600/h", "ip": "600/h"},
    "flag": {"new": "5/h", "member": "30/h", "trusted": "60/h", "ip": "100/h"},
    "signup": {"anonymous": "5/h", "ip": "5/h"},
    "login": {"anonymous": "10/15m", "ip": "30/15m", "username": "10/15m"},
    "password_reset": {"anonymous": "5/h", "member": "5/h", "new": "5/h", "trusted": "5/h", "ip": "10/h"},
}
# With the cache (where limits count) unreachable, these limits refuse the
# request with a 503 ("try again in a minute") instead of letting it through
# uncounted: logging in and signing up are what password guessing and sign-up
# spam hit, and a reset sends mail. The others (annotate, edit, flag) fail
# open: they need a logged-in account and go through moderation anyway.
RATE_LIMITS_FAIL_CLOSED = ("login", "signup", "password_reset")
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    # Counting in process memory is right for one development process; use
    # Redis (CACHE_URL) whenever more than one process serves the site.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
elif CACHES["default"]["BACKEND"] == "config.cache.ResilientRedisCache":
    # django-ratelimit lists django-redis, but Django's own Redis backend has
    # the atomic add/incr it needs (the two-app-server test proves limits
    # count across servers).
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
# Behind a proxy, the client address is the first of X-Forwarded-For.
if env.bool("BEHIND_PROXY", default=False):
    RATELIMIT_IP_META_KEY = "accounts.ratelimits.client_ip"

# CORS (django-cors-headers, config/cors.py) on the W3C annotation endpoints only: any origin may read
# them; writes (with a personal API token: cookies are never sent cross-origin) only from the origins
# listed in ANNOTATIONS_CORS_WRITE_ORIGINS (comma-separated, e.g. https://tool.example.org).
INSTALLED_APPS.append("corsheaders")
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "config.cors.AnnotationApiCorsMiddleware"
)
CORS_URLS_REGEX = r"^/(articles/[^/]+/annotations/([0-9]+)?|annotations/[0-9]+\.jsonld)$"
CORS_ALLOWED_ORIGINS = env.list("ANNOTATIONS_CORS_WRITE_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]
CORS_ALLOW_HEADERS = ["accept", "authorization", "content-type", "if-match", "if-none-match", "prefer", "slug"]
CORS_EXPOSE_HEADERS = [
    "Allow",
    "Content-Location",
    "ETag",
    "Link",
    "Location",
    "Preference-Applied",
    "Vary",
    "Accept-Post",
]
# Bodies POSTed or PUT to the annotation protocol are refused (413) above this many bytes, before they are read.
ANNOTATIONS_PROTOCOL_MAX_BODY = env.int("ANNOTATIONS_PROTOCOL_MAX_BODY", default=256 * 1024)

# The h-compatible API for the Hypothesis client (hypothesis_api): user ids are acct:<username>@<authority>;
# a grant token (in the article page of a signed-in reader) is good for HYPOTHESIS_GRANT_TOKEN_SECONDS, the access
# token it is exchanged for HYPOTHESIS_ACCESS_TOKEN_SECONDS, its refresh token HYPOTHESIS_REFRESH_TOKEN_SECONDS.
HYPOTHESIS_AUTHORITY = env.str("HYPOTHESIS_AUTHORITY", default="") or urlsplit(SITE_URL).hostname or "localhost"
HYPOTHESIS_GRANT_TOKEN_SECONDS = env.int("HYPOTHESIS_GRANT_TOKEN_SECONDS", default=600)
HYPOTHESIS_ACCESS_TOKEN_SECONDS = env.int("HYPOTHESIS_ACCESS_TOKEN_SECONDS", default=3600)
HYPOTHESIS_REFRESH_TOKEN_SECONDS = env.int("HYPOTHESIS_REFRESH_TOKEN_SECONDS", default=7 * 24 * 3600)

# Re-anchoring after article revisions: a fuzzy match scoring below this
# (0-100) is never taken; the annotation is marked "needs re-anchoring".
ANNOTATIONS_REANCHOR_MIN_SCORE = env.float("ANNOTATIONS_REANCHOR_MIN_SCORE", default=85.0)

# Whole anonymous article pages are kept in the cache this many seconds (0: off), and shared
# caches (a reverse proxy) may keep them ANNOTATIONS_SHARED_CACHE_SECONDS (0: they must revalidate).
ANNOTATIONS_PAGE_CACHE_SECONDS = env.int("ANNOTATIONS_PAGE_CACHE_SECONDS", default=300)
ANNOTATIONS_SHARED_CACHE_SECONDS = env.int("ANNOTATIONS_SHARED_CACHE_SECONDS", default=30)
# Each process keeps its last served pages in memory too (entries; 0: off): a hit then reads only the
# article's version and the cache's epoch from Redis instead of the whole page.
ANNOTATIONS_PAGE_CACHE_LOCAL_ENTRIES = env.int("ANNOTATIONS_PAGE_CACHE_LOCAL_ENTRIES", default=64)

# Importer: files larger than this are refused.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=2 * 1024 * 1024)

# Security. Secure cookies and HSTS whenever DEBUG is off; SECURE_SSL_REDIRECT
# may be turned off when TLS ends at a proxy that already redirects.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    if env.bool("BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4): no inline script anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

TAGGIT_CASE_INSENSITIVE = True
