"""A fresh host project whose user model's primary key is not an integer (a UUID, or
text), run end to end in real subprocesses: migrations, the customer's and the agent's
pages and posts through the test client, and the commands.

The display queries are compiled once with placeholders standing for the run-time
values (``escalated.selectors._compiled``): a user id is one of them, so these hosts
prove the placeholders of user ids match the user model's primary key.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SETTINGS_TAIL = """
INSTALLED_APPS += ["inertia", "escalated", "accounts"]
MIDDLEWARE += ["inertia.middleware.InertiaMiddleware"]
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/accounts/login/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ESCALATED = {"MODE": "self_hosted", "ROUTE_PREFIX": "support"}
"""

PG_SETTINGS = """
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "uuid_host",
                         "USER": "postgres", "HOST": "127.0.0.1", "PORT": "5432"}}
"""

URLS = """
from django.urls import include, path

urlpatterns = [path("support/", include("escalated.urls"))]
"""

MODELS = {
    "uuid": """
import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
""",
    "char": """
import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models


def new_id():
    return "u-" + uuid.uuid4().hex[:12]


class User(AbstractUser):
    id = models.CharField(primary_key=True, max_length=40, default=new_id, editable=False)
""",
}

#: Run in the host project (``python probe.py``): every step asserts its effect.
PROBE = r"""
import json
import os

import django

django.setup()

from django.core import mail, management
from django.test import Client
from django.test.utils import setup_test_environment
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from inertia.settings import settings as inertia_settings

from accounts.models import User
from escalated.models import Department, EscalationRule, Reply, Ticket, TicketActivity
from escalated.notifications.webhooks import Event, event_payload

setup_test_environment()  # the locmem mail backend, "testserver" allowed
H = {"X-Inertia": "true", "X-Inertia-Version": str(inertia_settings.INERTIA_VERSION)}

agent = User.objects.create_user("agent", "agent@example.com", "pw", is_staff=True,
                                 is_superuser=True, first_name="Ada", last_name="Agent")
other = User.objects.create_user("other", "other@example.com", "pw", is_staff=True)
customer = User.objects.create_user("cust", "cust@example.com", "pw", first_name="Cy")
assert not isinstance(agent.pk, int), agent.pk


def client(user):
    c = Client()
    c.force_login(user)
    return c


def page(c, url):
    r = c.get(url, headers=H)
    assert r.status_code == 200, (url, r.status_code, r.content[:800])
    return json.loads(r.content)["props"]


def post(c, url, data=None):
    r = c.post(url, data=json.dumps(data or {}), content_type="application/json", headers=H)
    assert r.status_code in (302, 303), (url, r.status_code, r.content[:800])
    return r


def no_errors(c, url):
    props = page(c, url)
    assert props["errors"] == {}, props["errors"]
    return props


# the customer creates a ticket, then finds it in their list and opens it
cc = client(customer)
r = post(cc, "/support/tickets/", {"subject": "VPN down", "description": "Since 9am",
                                   "priority": "high"})
ticket = Ticket.objects.get()
assert ticket.requester.user_id == customer.pk
assert r["Location"] == f"/support/tickets/{ticket.reference}/", r["Location"]
mine = page(cc, "/support/tickets/")["tickets"]["data"]
assert [t["reference"] for t in mine] == [ticket.reference], mine
shown = no_errors(cc, r["Location"])["ticket"]
assert shown["subject"] == "VPN down", shown
# another user's ticket stays hidden from this customer
intruder = client(User.objects.create_user("intruder", "i@example.com", "pw"))
assert intruder.get(r["Location"], headers=H).status_code == 404
assert page(intruder, "/support/tickets/")["tickets"]["data"] == []

# the agent lists tickets, with and without an assignee filter
ac = client(agent)
listed = page(ac, "/support/agent/tickets/")["tickets"]["data"]
assert [t["reference"] for t in listed] == [ticket.reference], listed
assert page(ac, f"/support/agent/tickets/?assignee={agent.pk}")["tickets"]["data"] == []
assert page(ac, "/support/agent/tickets/?assignee=me")["tickets"]["data"] == []
show = f"/support/agent/tickets/{ticket.reference}/"
props = no_errors(ac, show)
assert props["ticket"]["requester"]["email"] == "cust@example.com", props["ticket"]
agent_ids = {str(a["id"]) for a in props["agents"]}
assert {str(agent.pk), str(other.pk)} <= agent_ids, agent_ids

# assign to themself by id, then the filters find it
post(ac, f"{show}assign/", {"agent_id": str(agent.pk)})
no_errors(ac, show)
ticket.refresh_from_db()
assert ticket.assignee_id == agent.pk
for assignee in (agent.pk, "me"):
    found = page(ac, f"/support/agent/tickets/?assignee={assignee}")["tickets"]["data"]
    assert [t["reference"] for t in found] == [ticket.reference], (assignee, found)
assert page(ac, f"/support/agent/tickets/?assignee={other.pk}")["tickets"]["data"] == []
# a malformed or unknown agent id is a field error, not a 500
post(ac, f"{show}assign/", {"agent_id": "not-an-id"})  # a valid text key, no valid UUID
errors = page(ac, show)["errors"]
assert errors in ({"agent_id": "Unknown agent."}, {"agent_id": "Expected a user id."}), errors
post(ac, f"{show}assign/", {"agent_id": str(customer.pk)})
assert page(ac, show)["errors"] == {"agent_id": "This user is not an agent."}
ticket.refresh_from_db()
assert ticket.assignee_id == agent.pk
r = ac.get("/support/agent/tickets/?assignee=not-an-id", headers=H)
assert r.status_code in (200, 302), r.status_code

# reply and an internal note
post(ac, f"{show}reply/", {"body": "Restarting the VPN."})
post(ac, f"{show}note/", {"body": "Customer is on the old client."})
replies = list(Reply.objects.filter(ticket=ticket).order_by("id").values_list(
    "author_id", "is_internal", "body"))
assert [(a, i) for a, i, _ in replies] == [(agent.pk, False), (agent.pk, True)], replies
thread = no_errors(ac, show)
bodies = json.dumps(thread)
assert "Restarting the VPN." in bodies and "old client" in bodies
cust_view = json.dumps(page(cc, f"/support/tickets/{ticket.reference}/"))
assert "Restarting the VPN." in cust_view and "old client" not in cust_view
assert any("Restarting the VPN." in m.body for m in mail.outbox), [m.subject for m in mail.outbox]

# admin: a department with the agent, a private canned response, a macro assigning
post(ac, "/support/admin/departments/", {"name": "Network", "agent_ids": [str(agent.pk)]})
dept = Department.objects.get()
assert list(dept.agents.all()) == [agent]
edit = no_errors(ac, f"/support/admin/departments/{dept.pk}/edit/")
assert [a["id"] for a in edit["agents"] if a["id"] == str(agent.pk)] == [str(agent.pk)], edit
post(ac, "/support/admin/departments/", {"name": "Bad", "agent_ids": ["nope", 3]})
assert page(ac, "/support/admin/departments/")["errors"], "a bad user id is a field error"
assert Department.objects.count() == 1
post(ac, "/support/admin/canned-responses/", {"title": "Mine", "body": "Hi", "is_shared": False})
post(ac, "/support/admin/macros/", {
    "name": "To other", "is_shared": False,
    "actions": [{"type": "assign", "value": str(other.pk)}],
})
props = no_errors(ac, show)
assert [c["title"] for c in props["canned_responses"]] == ["Mine"], props["canned_responses"]
[macro] = props["macros"]
assert page(client(other), show)["canned_responses"] == []  # another agent's own
post(ac, f"{show}macro/", {"macro_id": macro["id"]})
no_errors(ac, show)
ticket.refresh_from_db()
assert ticket.assignee_id == other.pk

# a webhook's payload carries user ids as JSON text
doc = json.loads(json.dumps(event_payload(Event(
    "e1", "ticket.assigned", timezone.now(), ticket, agent, {"agent": agent, "n": 1}
)), cls=DjangoJSONEncoder))
assert doc["ticket"]["assignee"]["id"] == str(other.pk), doc
assert doc["actor"]["id"] == doc["data"]["agent"]["id"] == str(agent.pk), doc

# bulk-assign to "me", then to the other agent by id
post(ac, "/support/agent/tickets/bulk/", {"ids": [ticket.pk], "action": "assign",
                                          "value": "me"})
ticket.refresh_from_db()
assert ticket.assignee_id == agent.pk
post(ac, "/support/agent/tickets/bulk/", {"ids": [ticket.pk], "action": "assign",
                                          "value": str(other.pk)})
ticket.refresh_from_db()
assert ticket.assignee_id == other.pk
post(ac, "/support/agent/tickets/bulk/", {"ids": [ticket.pk], "action": "assign",
                                          "value": "nobody-like-this"})
errors = page(ac, "/support/agent/tickets/")["errors"]
assert errors in ({"value": "Unknown agent."}, {"value": "Expected a user id."}), errors
ticket.refresh_from_db()
assert ticket.assignee_id == other.pk

# a rule assigning to the agent by id, then the commands
post(ac, "/support/admin/escalation-rules/", {
    "name": "High to Ada",
    "conditions": [{"field": "priority", "operator": "in", "value": ["high"]}],
    "actions": [{"type": "assign", "value": str(agent.pk)}, {"type": "escalate"}],
})
rule = EscalationRule.objects.get()
assert rule.actions[0]["value"] == str(agent.pk), rule.actions
post(ac, "/support/admin/escalation-rules/", {
    "name": "Bad", "conditions": [{"field": "priority", "operator": "in", "value": ["low"]}],
    "actions": [{"type": "assign", "value": {"x": 1}}],
})
assert EscalationRule.objects.count() == 1
management.call_command("check_sla")
management.call_command("evaluate_escalations")
ticket.refresh_from_db()
assert ticket.assignee_id == agent.pk and ticket.status == "escalated", (
    ticket.assignee_id, ticket.status)
assert page(ac, f"/support/agent/tickets/?assignee={agent.pk}")["tickets"]["data"]
# the timeline keeps the assignees (their ids as JSON text) and the rule's firing
assigned = TicketActivity.objects.filter(ticket=ticket, type="assigned").order_by("id")
expected = [str(agent.pk), str(other.pk), str(agent.pk), str(other.pk)]
assert [a.data["agent"]["id"] for a in assigned] == expected, [a.data for a in assigned]
assert {a.actor_id for a in assigned} == {agent.pk}
fired = TicketActivity.objects.get(ticket=ticket, type="rule_fired")
assert fired.data["actions"] == ["assign", "escalate"], fired.data
assert "High to Ada" in json.dumps(no_errors(ac, show))
assert "Ada Agent" in json.dumps(no_errors(ac, "/support/admin/reports/"))
print("PROBE OK")
"""


def sh(*args: str, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _pg_available() -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    try:
        psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(
        "host=127.0.0.1 user=postgres dbname=postgres", autocommit=True, connect_timeout=3
    ) as db:
        db.execute(sql)


def _build_host(base: Path, pk: str, *, postgres: bool) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")
    }
    django_admin = str(Path(sys.executable).with_name("django-admin"))
    sh(django_admin, "startproject", "hostsite", str(base), cwd=base, env=env)
    accounts = base / "accounts"
    (accounts / "migrations").mkdir(parents=True)
    (accounts / "__init__.py").write_text("")
    (accounts / "migrations" / "__init__.py").write_text("")
    (accounts / "models.py").write_text(MODELS[pk])
    settings = base / "hostsite" / "settings.py"
    tail = SETTINGS_TAIL + (PG_SETTINGS if postgres else "")
    settings.write_text(settings.read_text() + tail)
    (base / "hostsite" / "urls.py").write_text(URLS)
    (base / "probe.py").write_text(PROBE)
    sh(sys.executable, "manage.py", "makemigrations", "accounts", "-v", "0", cwd=base, env=env)
    sh(sys.executable, "manage.py", "migrate", "-v", "0", cwd=base, env=env)
    env["DJANGO_SETTINGS_MODULE"] = "hostsite.settings"
    return env


def _run(tmp_path: Path, pk: str, *, postgres: bool) -> None:
    env = _build_host(tmp_path, pk, postgres=postgres)
    # no migration missing for escalated with this user model
    sh(sys.executable, "manage.py", "makemigrations", "--check", "--dry-run", cwd=tmp_path, env=env)
    out = sh(sys.executable, "probe.py", cwd=tmp_path, env=env)
    assert "PROBE OK" in out


@pytest.mark.parametrize("pk", ["uuid", "char"])
def test_host_with_a_non_integer_user_pk_on_sqlite(tmp_path, pk):
    _run(tmp_path, pk, postgres=False)


@pytest.mark.skipif(
    os.environ.get("ESCALATED_TEST_DB") != "postgres", reason="the PostgreSQL suite runs it"
)
@pytest.mark.parametrize("pk", ["uuid", "char"])
def test_host_with_a_non_integer_user_pk_on_postgresql(tmp_path, pk):
    if not _pg_available():
        pytest.skip("no PostgreSQL at 127.0.0.1")
    _pg_admin("DROP DATABASE IF EXISTS uuid_host")
    _pg_admin("CREATE DATABASE uuid_host")
    try:
        _run(tmp_path, pk, postgres=True)
    finally:
        _pg_admin("DROP DATABASE IF EXISTS uuid_host WITH (FORCE)")
