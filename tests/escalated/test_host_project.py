"""A fresh host project following only the README's install steps (real subprocesses)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SETTINGS_TAIL = """
INSTALLED_APPS += ["inertia", "escalated"]
MIDDLEWARE += ["inertia.middleware.InertiaMiddleware"]
LOGIN_URL = "/accounts/login/"
ESCALATED = {
    "MODE": "self_hosted",
    "TABLE_PREFIX": "helpdesk_",
    "ROUTE_PREFIX": "support",
    "DEFAULT_PRIORITY": "medium",
    "PUBLIC_URL": "https://support.example.com",
    "SLA": {"ENABLED": True, "BUSINESS_HOURS_ONLY": True,
            "BUSINESS_HOURS": {"START": "09:00", "END": "17:00",
                               "TIMEZONE": "Europe/Berlin", "DAYS": [1, 2, 3, 4, 5]}},
}
"""

URLS = """
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("support/", include("escalated.urls")),
]
"""


def sh(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    base = tmp_path_factory.mktemp("host")
    env = {
        k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")
    }
    django_admin = str(Path(sys.executable).with_name("django-admin"))
    sh(django_admin, "startproject", "hostsite", str(base), cwd=base, env=env)
    settings = base / "hostsite" / "settings.py"
    settings.write_text(settings.read_text() + SETTINGS_TAIL)
    (base / "hostsite" / "urls.py").write_text(URLS)
    sh(sys.executable, "manage.py", "migrate", "-v", "0", cwd=base, env=env)
    return base, env


def test_host_migrates_with_its_table_prefix(host):
    base, env = host
    with sqlite3.connect(base / "db.sqlite3") as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master where type='table'")}
    assert {"helpdesk_tickets", "helpdesk_replies", "helpdesk_sla_policies"} <= tables
    assert not any(t.startswith("escalated_") for t in tables)
    sh(sys.executable, "manage.py", "makemigrations", "--check", "--dry-run", cwd=base, env=env)
    sh(sys.executable, "manage.py", "check", "--fail-level", "WARNING", cwd=base, env=env)


@pytest.mark.parametrize(
    ("command", "summary"),
    [
        (["check_sla"], "SLA check:"),
        (["evaluate_escalations"], "Escalations:"),
        (["close_resolved"], "Close resolved:"),
        (["purge_activities", "--days", "90"], "Purge activities:"),
    ],
)
def test_host_runs_the_four_commands(host, command, summary):
    base, env = host
    out = sh(sys.executable, "manage.py", *command, cwd=base, env=env)
    assert summary in out


def test_host_serves_the_prebuilt_ui(host):
    # given: a host with no Node and no INERTIA_LAYOUT, only the README's steps
    base, env = host
    probe = (
        "from django.test import Client;"
        "r = Client().get('/support/guest/', HTTP_HOST='localhost');"
        "html = r.content.decode();"
        "print(r.status_code, 'data-page=\"app\"' in html, '/static/escalated/assets/' in html)"
    )
    # when
    out = sh(sys.executable, "manage.py", "shell", "-v", "0", "-c", probe, cwd=base, env=env)
    # then: the guest form renders with the bundle from the wheel's static files
    assert out.split() == ["200", "True", "True"]
