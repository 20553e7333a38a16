"""Django settings for a Tangguh node. Every value comes from ``tangguh.config.load_config``."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from tangguh.config import load_config

CONFIG = load_config()
BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = CONFIG.allowed_hosts
CSRF_TRUSTED_ORIGINS = CONFIG.csrf_trusted_origins
TANGGUH_ENV = CONFIG.env
TANGGUH_DATA_DIR = CONFIG.data_dir
TANGGUH_NODE_NAME = CONFIG.node_name
TANGGUH_OCDS_PREFIX = CONFIG.ocds_prefix
TANGGUH_SIGNING_KEY_DIR = CONFIG.signing_key_dir
TANGGUH_CLOCK_START = CONFIG.clock_start
# Backups (docs/operations.md "Backups"): the offline recovery recipients (age1…, separated by
# commas or spaces) that `tangguh backup create` encrypts to when none is given.
TANGGUH_BACKUP_RECIPIENTS = (
    os.environ.get("TANGGUH_BACKUP_RECIPIENTS", "").replace(",", " ").split()
)
# Outages (docs/operations.md "Outages"): beat every TANGGUH_HEARTBEAT_SECONDS; a longer gap
# than TANGGUH_OUTAGE_GAP_SECONDS is an outage; upstream services named in
# TANGGUH_OUTAGE_UPSTREAM_COUNTS are ones participants depend on, so their outages extend too.
TANGGUH_HEARTBEAT_SECONDS = int(os.environ.get("TANGGUH_HEARTBEAT_SECONDS", "60"))
TANGGUH_OUTAGE_GAP_SECONDS = int(os.environ.get("TANGGUH_OUTAGE_GAP_SECONDS", "300"))
TANGGUH_OUTAGE_UPSTREAM_COUNTS = [
    name.strip().lower()
    for name in os.environ.get("TANGGUH_OUTAGE_UPSTREAM_COUNTS", "").split(",")
    if name.strip()
]
# Open data (docs/opendata.md): the public base URL written into OCDS document and package
# links, and the folder of official OCDS schema files (../shared/ocds) that lets
# `tangguh ocds validate` run offline; without it libcoveocds downloads them as it normally does.
TANGGUH_PUBLIC_URL = os.environ.get("TANGGUH_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
TANGGUH_OCDS_SCHEMA_DIR = os.environ.get("TANGGUH_OCDS_SCHEMA_DIR") or None
# National services (docs/operations.md "National services"): each adapter's base URL; unset
# means not connected. `tangguh hub push` / `hub pull` (cron) talk to them, never a request.
TANGGUH_HUB_URL = os.environ.get("TANGGUH_HUB_URL", "")
TANGGUH_SIKAP_URL = os.environ.get("TANGGUH_SIKAP_URL", "")
TANGGUH_BLACKLIST_URL = os.environ.get("TANGGUH_BLACKLIST_URL", "")
TANGGUH_SIRUP_URL = os.environ.get("TANGGUH_SIRUP_URL", "")
TANGGUH_HUB_TIMEOUT = float(os.environ.get("TANGGUH_HUB_TIMEOUT", "10"))
# Vendor credentials for other nodes (docs/vendors.md): their lifetime in days.
TANGGUH_CREDENTIAL_DAYS = int(os.environ.get("TANGGUH_CREDENTIAL_DAYS", "7"))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "tangguh.core",
    "tangguh.audit",
    "tangguh.organizations",
    "tangguh.accounts",
    "tangguh.vendors",
    "tangguh.planning",
    "tangguh.tenders",
    "tangguh.bids",
    "tangguh.evaluation",
    "tangguh.awards",
    "tangguh.clarification",
    "tangguh.notifications",
    "tangguh.qualification",
    "tangguh.participation",
    "tangguh.search",
    "tangguh.opendata",
    "tangguh.backups",
    "tangguh.outages",
    "tangguh.hub",
    "tangguh.integrity",
    "tangguh.offline",
    "tangguh.web",
    "tangguh.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tangguh.web.middleware.NodeLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tangguh.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tangguh.urls"
WSGI_APPLICATION = "tangguh.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tangguh.web.context.node",
            ],
        },
    },
]


def _database(url: str) -> dict:
    # Keep connections open between requests (a new PostgreSQL connection costs more than a
    # typical search); health checks drop a connection the server has closed.
    db = dj_database_url.parse(
        url,
        conn_max_age=int(os.environ.get("TANGGUH_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    if db["ENGINE"] == "django.db.backends.sqlite3":
        Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        db["OPTIONS"] = {
            # Every transaction takes the write lock at BEGIN, so the audit head row is read
            # and extended by one writer at a time (the SQLite equivalent of SELECT FOR UPDATE).
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            # WAL for concurrent readers; synchronous=FULL so a committed write survives a
            # power cut (NORMAL in WAL mode may lose the last transactions).
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            ),
        }
        # Tests use a file too, so several processes can share it (concurrency tests) and the
        # suite runs on the same journal mode as a node.
        db["TEST"] = {"NAME": str(Path(db["NAME"]).with_name("test-" + Path(db["NAME"]).name))}
    db.setdefault("TEST", {})
    return db


DATABASES = {"default": _database(CONFIG.database_url)}

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"

LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = CONFIG.time_zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = CONFIG.data_dir / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(CONFIG.data_dir / "files")},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files are served from the app directories directly, so no collectstatic step is
# needed on an embedded node.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_SECURE = CONFIG.https
CSRF_COOKIE_SECURE = CONFIG.https
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if CONFIG.https:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Mail goes through SMTP when a host is configured; otherwise every message is kept as a file
# in <data>/mail, so a node without a mail server loses nothing and prints nothing.
if os.environ.get("TANGGUH_SMTP_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["TANGGUH_SMTP_HOST"]
    EMAIL_PORT = int(os.environ.get("TANGGUH_SMTP_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("TANGGUH_SMTP_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("TANGGUH_SMTP_PASSWORD", "")
    EMAIL_USE_TLS = os.environ.get("TANGGUH_SMTP_TLS", "1") == "1"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(CONFIG.data_dir / "mail")
DEFAULT_FROM_EMAIL = os.environ.get("TANGGUH_MAIL_FROM", "lpse@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
