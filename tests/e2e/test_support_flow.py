"""One ticket's life through the real UI: customer, agent and admin in their own browsers.

The demo project runs in its own ``runserver`` process (``live_app``); every person
signs in through ``/accounts/login/`` in a fresh browser context. Each main page is
screenshotted (``tests/e2e/screenshots``) on the way.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, expect

LOG_FILE: FilePayload = {
    "name": "error-log.txt",
    "mimeType": "text/plain",
    "buffer": b"E42 printer on fire\n",
}


def sign_in(
    browser: Browser, base: str, username: str, watch: Callable[[Page], object] | None = None
) -> tuple[BrowserContext, Page]:
    """A fresh browser context signed in as ``username``; ``watch(page)`` runs first."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    if watch:
        watch(page)
    page.goto(f"{base}/accounts/login/?next=/support/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(username)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/support/"))
    return context, page


def flash(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def customer_creates_ticket(page: Page, subject: str, screenshot) -> str:
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    page.get_by_role("link", name="New ticket").first.click()
    expect(page.get_by_role("heading", name="New ticket")).to_be_visible()
    screenshot(page, "customer-create")

    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Description").fill("It shows E42 and smells of smoke.")
    page.get_by_label("Priority").select_option(label="High")
    page.get_by_label("Department").select_option(label="Support")
    page.get_by_label("Attachments").set_input_files(LOG_FILE)
    expect(page.get_by_role("list", name="Files to send")).to_contain_text("error-log.txt")
    page.get_by_role("button", name="Submit ticket").click()

    expect(page).to_have_url(re.compile(r"/support/tickets/ESC-\d+/$"))
    flash(page, "was created")
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)
    expect(page.get_by_role("link", name=re.compile("error-log.txt"))).to_be_visible()
    return page.url.rstrip("/").rsplit("/", 1)[1]


def agent_works_ticket(page: Page, subject: str, reference: str, screenshot) -> None:
    page.reload()  # signed in before the ticket existed
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    unassigned = page.get_by_role("region", name=re.compile("^Unassigned"))
    expect(unassigned.get_by_role("link", name=subject)).to_be_visible()
    screenshot(page, "agent-dashboard")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tickets").click()
    page.get_by_role("searchbox", name="Search").fill(subject)
    page.get_by_role("searchbox", name="Search").press("Enter")
    expect(page).to_have_url(re.compile(r"search="))
    rows = page.get_by_role("table", name="Tickets").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(reference)
    screenshot(page, "agent-tickets")

    rows.first.get_by_role("link", name=subject).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)
    expect(page.get_by_role("link", name=re.compile("error-log.txt")).first).to_be_visible()

    page.get_by_label("Reply", exact=True).fill("We are looking into it.")
    page.get_by_role("button", name="Send reply").click()
    flash(page, "Reply sent.")
    conversation = page.get_by_role("list", name="Conversation")
    expect(conversation).to_contain_text("We are looking into it.")

    page.get_by_text("Internal note", exact=True).click()
    page.get_by_label("Internal note (only agents see it)").fill("Customer is on the legacy plan.")
    page.get_by_role("button", name="Add note").click()
    flash(page, "Note added.")
    note = conversation.locator("article[data-kind=note]")
    expect(note).to_contain_text("Customer is on the legacy plan.")
    expect(note).to_contain_text("only agents see it")

    page.get_by_role("button", name="Assign to me").click()
    flash(page, "Assigned to Agent.")
    expect(page.get_by_label("Assignee", exact=True)).to_have_value(re.compile(r"^\d+$"))
    expect(page.get_by_role("button", name="Assign to me")).to_have_count(0)

    page.get_by_label("Status", exact=True).select_option(label="Waiting on customer")
    page.get_by_role("button", name="Save status").click()
    flash(page, "Status is now Waiting on customer.")

    page.get_by_label("Priority", exact=True).select_option(label="Urgent")
    page.get_by_role("button", name="Save priority").click()
    flash(page, "Priority is now Urgent.")
    header = page.locator("main h1 + div")
    expect(header).to_contain_text("Waiting on customer")
    expect(header).to_contain_text("Urgent")
    activity = page.get_by_role("region", name="Activity")
    expect(activity).to_contain_text("changed the priority from High to Urgent")
    screenshot(page, "agent-ticket")


def customer_follows_up(page: Page, subject: str, screenshot) -> None:
    page.reload()
    conversation = page.get_by_role("list", name="Conversation")
    expect(conversation).to_contain_text("We are looking into it.")
    expect(page.get_by_text("Customer is on the legacy plan.")).to_have_count(0)
    # Not hidden but absent: the note is not even in the page's JSON.
    assert "legacy plan" not in page.content()
    screenshot(page, "customer-ticket")

    page.get_by_role("button", name="Close ticket").click()
    dialog = page.get_by_role("alertdialog", name="Close this ticket?")
    dialog.get_by_role("button", name="Close ticket").click()
    flash(page, "The ticket was closed.")
    expect(page.locator("main h1 + div")).to_contain_text("Closed")
    expect(page.get_by_role("group", name="How did we do?")).to_be_visible()

    page.get_by_role("button", name="Reopen ticket").click()
    page.get_by_role("alertdialog", name="Reopen this ticket?").get_by_role(
        "button", name="Reopen ticket"
    ).click()
    flash(page, "The ticket was reopened.")
    expect(page.locator("main h1 + div")).to_contain_text("Reopened")
    expect(page.get_by_role("button", name="Close ticket")).to_be_visible()

    page.get_by_role("link", name="My tickets").first.click()
    row = page.get_by_role("list", name="Tickets").get_by_role("listitem").filter(has_text=subject)
    expect(row).to_contain_text("Reopened")
    screenshot(page, "customer-tickets")


def admin_configures_desk(page: Page, screenshot) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()
    expect(page.get_by_text("SLA breach rate")).to_be_visible()
    expect(page.get_by_role("img", name="Tickets created and resolved per day")).to_be_visible()
    expect(page.locator("canvas")).to_have_count(3)
    screenshot(page, "admin-reports")
    admin_nav = page.get_by_role("navigation", name="Admin")

    admin_nav.get_by_role("link", name="Departments").click()
    page.get_by_role("link", name="New department").first.click()
    page.get_by_label("Name").fill("Escalations Team")
    page.get_by_role("checkbox", name=re.compile("^Agent")).check()
    page.get_by_role("button", name="Save").click()
    flash(page, "Department created.")
    expect(page.get_by_role("row", name=re.compile("Escalations Team"))).to_contain_text("Agent")
    screenshot(page, "admin-departments")

    admin_nav.get_by_role("link", name="SLA policies").click()
    page.get_by_role("link", name="New SLA policy").first.click()
    page.get_by_label("Name").fill("Gold")
    for priority, first, resolution in (("Urgent", "1", "4"), ("Critical", "0.5", "2")):
        page.get_by_role("spinbutton", name=f"{priority} First response (h)").fill(first)
        page.get_by_role("spinbutton", name=f"{priority} Resolution (h)").fill(resolution)
    page.get_by_label("Custom schedule for this policy").check()
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_label("Day starts").fill("08:00")
    page.get_by_label("Day ends").fill("18:00")
    page.get_by_role("button", name="Add holiday").click()
    page.get_by_label("Date").fill("2027-01-01")
    page.get_by_label("Name", exact=True).last.fill("New Year")
    page.get_by_role("button", name="Save").click()
    flash(page, "SLA policy created.")
    gold = page.get_by_role("row", name=re.compile("Gold"))
    expect(gold).to_contain_text("Mon\u2013Fri 08:00\u201318:00 (Europe/Paris)")
    expect(gold).to_contain_text("1 holiday")
    screenshot(page, "admin-sla-policies")

    admin_nav.get_by_role("link", name="Escalation rules").click()
    page.get_by_role("link", name="New rule").first.click()
    page.get_by_label("Name").fill("Stale first response")
    page.get_by_role("button", name="Save").click()
    flash(page, "Escalation rule created.")
    rule = page.get_by_role("row", name=re.compile("Stale first response"))
    expect(rule).to_contain_text("Hours without first response")
    expect(rule).to_contain_text("Escalate")
    screenshot(page, "admin-escalation-rules")

    admin_nav.get_by_role("link", name="Tags").click()
    page.get_by_role("link", name="New tag").first.click()
    page.get_by_label("Name").fill("vip")
    page.get_by_label("Colour", exact=True).fill("#9333ea")
    page.get_by_role("button", name="Save").click()
    flash(page, "Tag created.")
    expect(page.get_by_role("row", name=re.compile("vip"))).to_be_visible()
    screenshot(page, "admin-tags")

    admin_nav.get_by_role("link", name="Canned responses").click()
    page.get_by_role("link", name="New canned response").first.click()
    page.get_by_label("Title").fill("On it")
    page.get_by_role("textbox", name="Text", exact=True).fill(
        "Hi {{ requester_name }}, thanks for your patience: we are on it."
    )
    page.get_by_role("button", name="Save").click()
    flash(page, "Canned response created.")
    expect(page.get_by_role("row", name=re.compile("On it"))).to_be_visible()
    screenshot(page, "admin-canned-responses")

    admin_nav.get_by_role("link", name="Macros").click()
    expect(page.get_by_role("row", name=re.compile("Ask for details"))).to_be_visible()  # seeded
    screenshot(page, "admin-macros")


def agent_uses_configuration(page: Page) -> None:
    page.reload()
    page.get_by_label("Canned response").select_option(label="On it")
    page.get_by_role("button", name="Insert").click()
    expect(page.get_by_label("Reply", exact=True)).to_have_value(
        "Hi Customer, thanks for your patience: we are on it."
    )

    page.get_by_label("Tag to add").select_option(label="vip")
    page.get_by_role("button", name="Add", exact=True).click()
    flash(page, "Tags updated.")
    expect(page.get_by_role("list", name="Tags on this ticket")).to_contain_text("vip")

    page.get_by_label("Department", exact=True).select_option(label="Escalations Team")
    page.get_by_role("button", name="Save department").click()
    flash(page, "Department changed.")
    expect(page.get_by_role("region", name="Activity")).to_contain_text(
        "moved the ticket to Escalations Team"
    )


def signs_out(page: Page, base: str) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.goto(f"{base}/support/tickets/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))  # the session is gone


def test_ticket_from_customer_to_agent_and_back_with_admin_configuration(
    live_app: str, browser: Browser, screenshot
) -> None:
    subject = "Printer on fire in room 4"
    customer_ctx, customer = sign_in(browser, live_app, "customer")
    agent_ctx, agent = sign_in(browser, live_app, "agent")
    admin_ctx, admin = sign_in(browser, live_app, "admin")
    try:
        reference = customer_creates_ticket(customer, subject, screenshot)
        agent_works_ticket(agent, subject, reference, screenshot)
        customer_follows_up(customer, subject, screenshot)
        admin_configures_desk(admin, screenshot)
        agent_uses_configuration(agent)
        signs_out(customer, live_app)
    finally:
        for context in (customer_ctx, agent_ctx, admin_ctx):
            context.close()
