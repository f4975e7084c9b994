"""First page loads: Escalated's own layout, the bundle's tags, the LAYOUT setting."""

from __future__ import annotations

import json
import os
import re

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client

from escalated.templatetags import escalated_tags
from escalated.templatetags.escalated_tags import BundleNotFound, load_manifest

pytestmark = pytest.mark.django_db


def page_json(html: str) -> dict:
    match = re.search(r'<script data-page="app" type="application/json">(.*?)</script>', html, re.S)
    assert match, html[:500]
    return json.loads(match.group(1))


def test_first_load_renders_escalateds_layout_with_the_bundle(settings, bundle, agent):
    # given: a host without INERTIA_LAYOUT, DEBUG on (manifest from the finders)
    settings.DEBUG = True
    assert not hasattr(settings, "INERTIA_LAYOUT")
    client = Client()
    agent.save(update_fields=["password"])
    client.force_login(agent)
    # when
    response = client.get("/support/agent/tickets/")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert '<div id="app"></div>' in html
    assert page_json(html)["component"] == "Escalated/Agent/Tickets/Index"
    assert '<script type="module" src="/static/escalated/assets/app-123.js"></script>' in html
    assert '<link rel="stylesheet" href="/static/escalated/assets/app-123.css">' in html
    assert '<link rel="stylesheet" href="/static/escalated/assets/core-456.css">' in html
    assert '<link rel="modulepreload" href="/static/escalated/assets/core-456.js">' in html


def test_first_load_with_debug_off_reads_the_manifest_from_static_root(settings, bundle, agent):
    settings.DEBUG = False
    settings.STATIC_URL = "https://cdn.example.com/s/"
    client = Client()
    agent.save(update_fields=["password"])
    client.force_login(agent)

    html = client.get("/support/agent/").content.decode()

    assert 'src="https://cdn.example.com/s/escalated/assets/app-123.js"' in html
    assert page_json(html)["component"] == "Escalated/Agent/Dashboard"


def test_missing_bundle_fails_with_a_clear_error(settings, tmp_path):
    settings.DEBUG = False
    settings.STATIC_ROOT = str(tmp_path / "empty")

    with pytest.raises(BundleNotFound) as exc:
        load_manifest()

    assert "escalated/manifest.json" in str(exc.value)
    assert "collectstatic" in str(exc.value)
    assert 'ESCALATED["LAYOUT"]' in str(exc.value)


def test_missing_static_root_is_reported_as_a_missing_bundle(settings):
    settings.DEBUG = False
    settings.STATIC_ROOT = None

    with pytest.raises(BundleNotFound) as exc:
        load_manifest()

    assert "escalated/manifest.json" in str(exc.value)
    assert 'ESCALATED["LAYOUT"]' in str(exc.value)


def test_missing_bundle_in_debug_names_the_build_command(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setattr(escalated_tags.finders, "find", lambda path: None)

    with pytest.raises(BundleNotFound) as exc:
        Template("{% load escalated_tags %}{% escalated_vite_assets %}").render(Context())

    assert "npm --prefix escalated/frontend" in str(exc.value)


def test_manifest_without_the_entry_is_reported(settings, bundle):
    settings.DEBUG = True
    (bundle / "escalated" / "manifest.json").write_text(json.dumps({"other.ts": {}}))

    with pytest.raises(BundleNotFound, match=r"no entry 'src/app\.ts'"):
        escalated_tags.escalated_vite_assets()


def test_manifest_is_cached_until_the_file_changes(settings, bundle):
    settings.DEBUG = True
    path = bundle / "escalated" / "manifest.json"
    first = load_manifest()
    assert load_manifest() is first

    rebuilt = {"src/app.ts": {"file": "assets/app-999.js"}}
    path.write_text(json.dumps(rebuilt))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))

    assert load_manifest() == rebuilt


def test_layout_setting_replaces_the_root_template(settings, tmp_path, agent):
    # given: a host layout of its own (its own bundle), named in ESCALATED["LAYOUT"]
    templates = tmp_path / "templates"
    (templates / "host").mkdir(parents=True)
    (templates / "host" / "desk.html").write_text(
        "<html><head>{% block inertia_head %}{% endblock %}<!-- host bundle --></head>"
        "<body>{% block inertia %}{% endblock %}</body></html>"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [str(templates), *settings.TEMPLATES[0]["DIRS"]]}
    ]
    settings.ESCALATED = {**settings.ESCALATED, "LAYOUT": "host/desk.html"}
    client = Client()
    agent.save(update_fields=["password"])
    client.force_login(agent)

    html = client.get("/support/agent/").content.decode()

    assert "<!-- host bundle -->" in html
    assert page_json(html)["component"] == "Escalated/Agent/Dashboard"


def test_page_json_cannot_break_out_of_its_script_tag(bundle, ui_as, customer, default_policy):
    from escalated.services import tickets as svc

    svc.ticket_create(actor=customer, subject="</script><script>alert(1)</script>", description="x")
    client = Client()
    customer.save(update_fields=["password"])
    client.force_login(customer)

    html = client.get("/support/tickets/").content.decode()

    assert "<script>alert(1)" not in html
    assert page_json(html)["props"]["tickets"]["data"][0]["subject"].startswith("</script>")


def test_layout_default_is_documented_in_settings():
    from escalated.conf import app_settings

    assert app_settings.LAYOUT == "escalated/app.html"
    assert settings.ESCALATED.get("LAYOUT") is None


def test_pages_carry_the_sign_out_url(ui_as, customer):
    # the standalone project includes django.contrib.auth.urls: "logout" resolves
    assert ui_as(customer).props("/support/tickets/")["auth"]["logout_url"] == "/accounts/logout/"


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("/bye/", "/bye/"),
        ("no-such-url-name", None),
        (None, None),
        ("admin:logout", "/admin/logout/"),
    ],
)
def test_logout_url_setting(ui_as, customer, setting, expected):
    from django.test import override_settings

    with override_settings(ESCALATED={"LOGOUT_URL": setting}):
        props = ui_as(customer).props("/support/tickets/")
    assert props["auth"]["logout_url"] == expected


def test_signing_out_with_the_posted_form_ends_the_session(bundle, customer):
    client = Client(enforce_csrf_checks=True)
    customer.save(update_fields=["password"])
    client.force_login(customer)
    client.get("/support/tickets/")  # sets the CSRF cookie, as the page does
    token = client.cookies["csrftoken"].value
    response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert client.get("/support/tickets/").status_code == 302  # back to the login page
