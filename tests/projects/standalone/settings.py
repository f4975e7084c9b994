"""A minimal host project that uses ``escalated`` alone.

``ESCALATED_TEST_DB=postgres`` (or a ``DATABASE_URL``) runs it on PostgreSQL; the
default is SQLite, as a small host app would use.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "standalone-test-only"
DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "inertia",
    "escalated",
    "tests.projects.standalone.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "inertia.middleware.InertiaMiddleware",
]

ROOT_URLCONF = "tests.projects.standalone.urls"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/support/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
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
            ]
        },
    }
]

_db = os.environ.get("ESCALATED_TEST_DB", "sqlite")
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
elif _db == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("ESCALATED_PG_NAME", "escalated"),
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": "5432",
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("ESCALATED_SQLITE_PATH", str(BASE_DIR / "standalone.sqlite3")),
        }
    }

STATIC_URL = "/static/"
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media"))
MEDIA_URL = "/media/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests read Django's outbox (pytest-django switches to it anyway); `./dev run` prints
# the notification e-mails on its console, so a newcomer sees what goes out.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
DEFAULT_FROM_EMAIL = "support@escalated.localhost"

ESCALATED = {
    "MODE": "self_hosted",
    "ROUTE_PREFIX": "support",
    "TABLE_PREFIX": os.environ.get("ESCALATED_TABLE_PREFIX", "escalated_"),
    # Links in e-mails; `./dev run` sets it to where it serves.
    "PUBLIC_URL": os.environ.get("ESCALATED_PUBLIC_URL", "http://127.0.0.1:8000"),
}
