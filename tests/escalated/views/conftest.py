"""Fixtures of the web UI tests: Inertia clients per role, a fake UI bundle, media."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from inertia.settings import settings as inertia_settings

from escalated.services import tickets as svc
from tests import factories as f

FAKE_MANIFEST = {
    "src/app.ts": {
        "file": "assets/app-123.js",
        "src": "src/app.ts",
        "isEntry": True,
        "imports": ["_core-456.js"],
        "css": ["assets/app-123.css"],
    },
    "_core-456.js": {"file": "assets/core-456.js", "css": ["assets/core-456.css"]},
}


def inertia_headers() -> dict[str, str]:
    return {"X-Inertia": "true", "X-Inertia-Version": str(inertia_settings.INERTIA_VERSION)}


class UI:
    """A test client speaking Inertia: ``page()`` returns the page object."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def login(self, user: Any) -> UI:
        # The factories set the password without saving it; the session's auth hash
        # must match the stored one.
        user.save(update_fields=["password"])
        self.client.force_login(user)
        return self

    def get(self, url: str, **kwargs: Any) -> Any:
        headers = {**inertia_headers(), **kwargs.pop("headers", {})}
        return self.client.get(url, headers=headers, **kwargs)

    def page(self, url: str, *, status: int = 200, **kwargs: Any) -> dict[str, Any]:
        response = self.get(url, **kwargs)
        assert response.status_code == status, (response.status_code, response.content[:500])
        assert response["X-Inertia"] == "true"
        return json.loads(response.content)

    def props(self, url: str, **kwargs: Any) -> dict[str, Any]:
        return self.page(url, **kwargs)["props"]

    def post(self, url: str, data: Any = None, *, method: str = "post", **kwargs: Any) -> Any:
        """A JSON body, as Inertia's router sends it."""
        send = getattr(self.client, method)
        return send(
            url,
            data=json.dumps(data or {}),
            content_type="application/json",
            headers={**inertia_headers(), **kwargs.pop("headers", {})},
            **kwargs,
        )

    def post_form(self, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
        """A multipart body (files), as Inertia sends forms with uploads."""
        return self.client.post(
            url, data=data, headers={**inertia_headers(), **kwargs.pop("headers", {})}, **kwargs
        )


@pytest.fixture
def ui(db) -> UI:
    """An anonymous Inertia client."""
    return UI(Client())


@pytest.fixture
def ui_as(db):
    """``ui_as(user)``: an Inertia client signed in as ``user``."""
    return lambda user: UI(Client()).login(user)


@pytest.fixture
def agent_ui(ui_as, agent) -> UI:
    return ui_as(agent)


@pytest.fixture
def admin_ui(ui_as, admin_user) -> UI:
    return ui_as(admin_user)


@pytest.fixture
def customer_ui(ui_as, customer) -> UI:
    return ui_as(customer)


@pytest.fixture
def other_customer(db):
    user = f.UserFactory(username="mallory", email="mallory@example.com")
    f.ContactFactory(email=user.email, name="Mallory", user=user)
    return user


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def bundle(settings, tmp_path) -> Path:
    """A fake built UI: ``escalated/manifest.json`` found by the staticfiles finders
    (DEBUG on) and in ``STATIC_ROOT`` (DEBUG off)."""
    static_dir = tmp_path / "static-src"
    root = tmp_path / "static-root"
    for base in (static_dir, root):
        (base / "escalated").mkdir(parents=True)
        (base / "escalated" / "manifest.json").write_text(json.dumps(FAKE_MANIFEST))
    settings.STATICFILES_DIRS = [str(static_dir)]
    settings.STATIC_ROOT = str(root)
    return static_dir


@pytest.fixture
def ticket(customer, default_policy):
    """A ticket of ``customer`` made through the service (reference, SLA, activity)."""
    return svc.ticket_create(actor=customer, subject="Printer on fire", description="Help!")


def assert_redirect(response: Any, url: str | None = None) -> None:
    assert response.status_code == 303, (response.status_code, response.content[:300])
    if url is not None:
        assert response["Location"] == url


def session_errors(client: Client) -> dict[str, Any]:
    return dict(client.session.get("_escalated_errors") or {})


def settings_version() -> str:
    return str(getattr(settings, "INERTIA_VERSION", "1.0"))
