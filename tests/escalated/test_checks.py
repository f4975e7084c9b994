from __future__ import annotations

import pytest
from django.test import override_settings

from escalated.checks import check_settings
from escalated.conf import app_settings


def ids(**escalated):
    with override_settings(ESCALATED=escalated):
        return [e.id for e in check_settings()]


def test_defaults_pass_but_warn_that_email_links_need_public_url():
    assert ids() == ["escalated.W002"]


def test_defaults_with_public_url_pass():
    assert ids(PUBLIC_URL="https://support.example.com") == []


def test_no_email_needs_no_public_url():
    assert ids(NOTIFICATION_CHANNELS=[]) == []


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"MODE": "hybrid"}, "escalated.E001"),
        ({"SLA": {"BUSINESS_HOURS": {"START": "17:00", "END": "09:00"}}}, "escalated.E002"),
        ({"SLA": {"BUSINESS_HOURS": {"START": "9am"}}}, "escalated.E002"),
        ({"SLA": {"BUSINESS_HOURS": {"TIMEZONE": "Mars/Olympus"}}}, "escalated.E003"),
        ({"SLA": {"BUSINESS_HOURS": {"DAYS": [0, 1]}}}, "escalated.E004"),
        ({"SLA": {"BUSINESS_HOURS": {"DAYS": [8]}}}, "escalated.E004"),
        ({"SLA": {"BUSINESS_HOURS": {"DAYS": []}}}, "escalated.E004"),
        ({"MAX_ATTACHMENTS": -1}, "escalated.E005"),
        ({"MAX_ATTACHMENT_SIZE_KB": "big"}, "escalated.E005"),
        ({"AUTO_CLOSE_RESOLVED_AFTER_DAYS": -3}, "escalated.E005"),
        ({"DEFAULT_PRIORITY": "normal"}, "escalated.E006"),
        ({"MODE": "synced"}, "escalated.E007"),
        ({"MODE": "cloud", "HOSTED_API_KEY": ""}, "escalated.E007"),
        ({"TABLE_PREFIX": "my-app "}, "escalated.E008"),
        ({"AGENT_CHECK": "nowhere.is_agent"}, "escalated.E009"),
        ({"AGENT_CHECK": "tests.escalated.test_selectors.host_is_agent"}, "escalated.W001"),
        ({"AGENT_USERS": "nowhere.agents"}, "escalated.E009"),
        ({"GUEST_RATE_LIMIT": "10 per hour"}, "escalated.E011"),
        ({"GUEST_RATE_LIMIT": "0/h"}, "escalated.E011"),
        ({"SLA": {"WARNING_THRESHOLD_PERCENT": 100}}, "escalated.E010"),
        ({"NOTIFICATION_CHANNELS": ["email", "sms"]}, "escalated.E012"),
        ({"NOTIFICATION_CHANNELS": "email"}, "escalated.E012"),
        ({"WEBHOOK_URL": "hooks.example.com/escalated"}, "escalated.E013"),
        ({"WEBHOOK_URL": "ftp://hooks.example.com/"}, "escalated.E013"),
        ({"PUBLIC_URL": "support.example.com"}, "escalated.E014"),
        ({"WEBHOOK_SECRET": 1234}, "escalated.E015"),
        ({"LOGOUT_URL": ["logout"]}, "escalated.E016"),
    ],
)
def test_bad_settings_are_reported_with_an_id(settings, expected):
    assert ids(**{"PUBLIC_URL": "https://support.example.com", **settings}) == [expected]


def test_webhook_settings_that_are_fine_pass():
    assert (
        ids(
            PUBLIC_URL="http://localhost:8000",
            WEBHOOK_URL="https://hooks.example.com/escalated?x=1",
            WEBHOOK_SECRET="s3cret",
        )
        == []
    )


def test_a_host_agent_rule_with_its_users_passes():
    assert (
        ids(
            PUBLIC_URL="https://support.example.com",
            AGENT_CHECK="tests.escalated.test_selectors.host_is_agent",
            AGENT_USERS="tests.escalated.test_selectors.host_agents",
        )
        == []
    )


def test_synced_mode_with_key_passes():
    assert ids(MODE="synced", HOSTED_API_KEY="esc_live_abc", NOTIFICATION_CHANNELS=[]) == []


def test_settings_are_read_on_access():
    assert app_settings.MAX_ATTACHMENTS == 5
    with override_settings(
        ESCALATED={"MAX_ATTACHMENTS": 9, "SLA": {"BUSINESS_HOURS": {"END": "18:30"}}}
    ):
        assert app_settings.MAX_ATTACHMENTS == 9
        hours = app_settings.SLA_BUSINESS_HOURS
        assert (hours.start.hour, hours.end.hour, hours.end.minute) == (9, 18, 30)
        assert hours.days == (1, 2, 3, 4, 5)
