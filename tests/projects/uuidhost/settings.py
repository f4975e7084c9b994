"""The standalone project, but the host's user model is keyed by a UUID.

``accounts.User`` has ``id = UUIDField(primary_key=True)``; everything else (URLs,
templates, the ``seed_demo`` app) is the standalone project's. Only the end-to-end
tests load it (``tests/e2e/test_uuid_host.py``), in their own server process.
"""

import os
from pathlib import Path

from tests.projects.standalone.settings import *  # noqa: F403
from tests.projects.standalone.settings import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.projects.uuidhost.accounts"]
AUTH_USER_MODEL = "accounts.User"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get(
                "ESCALATED_SQLITE_PATH", str(Path(__file__).resolve().parent / "uuidhost.sqlite3")
            ),
        }
    }
