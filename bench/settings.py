"""Django settings for the benchmarks: the standalone test project on PostgreSQL.

``python -m bench`` creates (and drops) a dedicated ``escalated_bench`` database on
127.0.0.1:5432 unless ``DATABASE_URL`` names one to use instead.
"""

import os

import dj_database_url

from tests.projects.standalone.settings import *  # noqa: F403

#: Name of the throwaway database ``python -m bench`` creates and drops.
BENCH_DB_NAME = os.environ.get("ESCALATED_BENCH_DB", "escalated_bench")

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": BENCH_DB_NAME,
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": "5432",
        }
    }

# Never let DEBUG's query log skew timings; queries are counted by an execute wrapper.
DEBUG = False

# E-mail notifications stay on (NOTIFICATION_CHANNELS keeps its default, ["email"]), so
# the numbers include rendering and sending them; SMTP is outside the machine, so
# Django's in-memory backend stands in for it.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

ESCALATED = {
    "MODE": "self_hosted",
    "ROUTE_PREFIX": "support",
    "SLA": {"ENABLED": True, "BUSINESS_HOURS_ONLY": False},
}
