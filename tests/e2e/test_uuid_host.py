"""The desk's UI in a host whose user model is keyed by a UUID (``tests/projects/uuidhost``).

User ids reach the browser as JSON strings there; every place the UI turns a select's
value or a query parameter into a user id is driven once: the assignee filter, the bulk
assign, the ticket's assignee form and an escalation rule's "assign" action. Any browser
console error, uncaught page error or 5xx response fails the test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, Response, expect

from .test_support_flow import flash, sign_in

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
UNASSIGNED = ("I cannot log in", "Invoice shows the wrong address")
ASSIGNED_TO_AGENT = "Export to CSV times out"


@pytest.fixture
def problems() -> Iterator[list[str]]:
    """What went wrong in the pages watched with ``watch(page, problems)``; empty at the end."""
    found: list[str] = []
    yield found
    assert found == [], "\n".join(found)


def watch(page: Page, problems: list[str]) -> Page:
    def console(msg: ConsoleMessage) -> None:
        url = msg.location.get("url", "")
        # The test host serves no favicon: Chromium's own request for it is no UI error.
        if msg.type == "error" and not url.endswith("/favicon.ico"):
            problems.append(f"console error: {msg.text} ({url})")

    def response(r: Response) -> None:
        if r.status >= 500:
            problems.append(f"{r.status} {r.request.method} {r.url}")

    page.on("console", console)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("response", response)
    return page


def option_value(select: Locator, label: str) -> str:
    value = select.locator("option", has_text=re.compile(f"^{label}$")).get_attribute("value")
    assert value is not None and UUID.match(value), (label, value)
    return value


def assignee_cell(rows: Locator, subject: str) -> Locator:
    row = rows.filter(has=rows.page.get_by_role("link", name=subject))
    return assignee_of(row)


def assignee_of(row: Locator) -> Locator:
    # Checkbox, Ticket, Status, Priority, SLA, Assignee: the 6th cell; its last span is
    # the name (the first, "Assignee: ", shows on phones only).
    return row.locator("td").nth(5).locator("span").last


def test_uuid_keyed_host(uuid_live_app: str, browser: Browser, problems: list[str]) -> None:
    base = uuid_live_app
    context, page = sign_in(browser, base, "agent", lambda p: watch(p, problems))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # The assignee filter: an agent's UUID goes into the URL and filters the list.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tickets").click()
    expect(page.get_by_role("heading", name="Tickets", exact=True)).to_be_visible()
    filter_select = page.get_by_label("Assignee", exact=True)
    agent_id = option_value(filter_select, "Agent")
    admin_id = option_value(filter_select, "Admin")
    assert agent_id != admin_id
    rows = page.get_by_role("table", name="Tickets").locator("tbody tr")
    expect(rows.filter(has_text=UNASSIGNED[0])).to_have_count(1)

    filter_select.select_option(label="Agent")
    expect(page).to_have_url(re.compile(rf"[?&]assignee={agent_id}(&|$)"))
    expect(filter_select).to_have_value(agent_id)
    expect(rows.filter(has_text=ASSIGNED_TO_AGENT)).to_have_count(1)
    for subject in UNASSIGNED:
        expect(rows.filter(has_text=subject)).to_have_count(0)
    assert rows.count() > 0
    for i in range(rows.count()):
        expect(assignee_of(rows.nth(i))).to_have_text("Agent")

    page.get_by_role("button", name=re.compile("^Clear filters")).click()
    expect(page).not_to_have_url(re.compile("assignee="))
    expect(filter_select).to_have_value("")
    expect(rows.filter(has_text=UNASSIGNED[0])).to_have_count(1)

    # Bulk assign two unassigned tickets to the other agent (Admin) by UUID.
    for subject in UNASSIGNED:
        expect(assignee_cell(rows, subject)).to_have_text("Unassigned")
        rows.filter(has_text=subject).get_by_role("checkbox").check()
    bar = page.locator("section").filter(has=page.get_by_role("heading", name="2 tickets selected"))
    expect(bar).to_be_visible()
    bar.get_by_label("Action", exact=True).select_option(label="Assign to")
    bar.get_by_label("Value").select_option(label="Admin")
    expect(bar.get_by_label("Value")).to_have_value(admin_id)
    bar.get_by_role("button", name="Apply").click()
    for subject in UNASSIGNED:
        expect(assignee_cell(rows, subject)).to_have_text("Admin")
    expect(bar).to_have_count(0)  # the selection was cleared

    # The ticket page: reassign to yourself with the assignee select.
    rows.get_by_role("link", name=UNASSIGNED[0]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(UNASSIGNED[0])
    assignee = page.get_by_label("Assignee", exact=True)
    expect(assignee).to_have_value(admin_id)
    expect(page.get_by_role("button", name="Assign to me")).to_be_visible()
    assignee.select_option(label="Agent")
    page.get_by_role("button", name="Save assignee").click()
    flash(page, "Assigned to Agent.")
    expect(assignee).to_have_value(agent_id)
    # The page knows the assignee is the signed-in user (ids compared as UUID text).
    expect(page.get_by_role("button", name="Assign to me")).to_have_count(0)
    activity = page.get_by_role("region", name="Activity")
    expect(activity).to_contain_text("assigned the ticket to Admin")
    expect(activity).to_contain_text("assigned the ticket to Agent")
    context.close()

    # An escalation rule that assigns to an agent by UUID.
    context, page = sign_in(browser, base, "admin", lambda p: watch(p, problems))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    admin_nav = page.get_by_role("navigation", name="Admin")
    admin_nav.get_by_role("link", name="Escalation rules").click()
    page.get_by_role("link", name="New rule").first.click()
    page.get_by_label("Name").fill("Hand over to Agent")
    page.get_by_role("button", name="Add action").click()
    action = page.get_by_test_id("action-row").last
    action.get_by_label("Action", exact=True).select_option(label="Assign to")
    action.get_by_label("Agent", exact=True).select_option(label="Agent")
    expect(action.get_by_label("Agent", exact=True)).to_have_value(agent_id)
    page.get_by_role("button", name="Save").click()
    flash(page, "Escalation rule created.")
    rule = page.get_by_role("row", name=re.compile("Hand over to Agent"))
    expect(rule).to_contain_text("Assign to")

    # Reopened, the rule still names that agent.
    rule.get_by_role("link", name=re.compile("^Edit")).click()
    expect(page.get_by_label("Name")).to_have_value("Hand over to Agent")
    saved = page.get_by_test_id("action-row").filter(has=page.get_by_label("Agent", exact=True))
    expect(saved.get_by_label("Agent", exact=True)).to_have_value(agent_id)
    context.close()
