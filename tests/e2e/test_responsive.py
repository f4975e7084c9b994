"""The main pages fit a 375 px wide phone: no sideways scrolling.

Each person signs in once (``/accounts/login/``) in a 375 by 800 px browser context;
every page is then screenshotted as ``<name>-375.png`` next to the support-flow
screenshots and checked for ``document.documentElement.scrollWidth <=
window.innerWidth``, and for no table scrolling sideways inside its card either.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

PHONE = {"width": 375, "height": 800}

# Elements whose right edge lies past the viewport, for a readable failure message.
OVERFLOWING_JS = """() => {
  const width = window.innerWidth
  const out = []
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect()
    if (box.width > 0 && box.right > width + 0.5) {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (typeof el.className === 'string' && el.className
          ? '.' + el.className.trim().split(/\\s+/).slice(0, 3).join('.') : '')
      out.push(`${name} (right edge ${Math.round(box.right)} px)`)
    }
  }
  return out.slice(-8)
}"""

# Boxes in <main> that scroll sideways themselves (a table wider than its card).
SCROLLING_BOXES_JS = """() => [...document.querySelectorAll('main *')]
  .filter((el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX))
  .filter((el) => el.scrollWidth > el.clientWidth + 1)
  .map((el) => `${el.tagName}.${el.className}: ${el.scrollWidth} > ${el.clientWidth} px`)
"""


@pytest.fixture(scope="module")
def phone(live_app: str, browser: Browser) -> Iterator[Callable[[str], Page]]:
    """``phone("agent")``: a page of that demo user, signed in, on a 375 px screen."""
    contexts: dict[str, tuple[BrowserContext, Page]] = {}

    def signed_in(username: str) -> Page:
        if username not in contexts:
            context = browser.new_context(viewport=PHONE)
            page = context.new_page()
            page.goto(f"{live_app}/accounts/login/?next=/support/")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(username)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(re.compile(r"/support/"))
            contexts[username] = (context, page)
        return contexts[username][1]

    yield signed_in
    for context, _ in contexts.values():
        context.close()


def assert_no_sideways_scroll(page: Page) -> None:
    scroll_width, inner_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, (
        f"{page.url} scrolls sideways at {inner_width} px: the page is {scroll_width} px wide; "
        f"overflowing: {page.evaluate(OVERFLOWING_JS)}"
    )
    # Not a page scroll, but just as awkward on a phone: a table scrolling in its card.
    assert page.evaluate(SCROLLING_BOXES_JS) == []


def open_first_agent_ticket(page: Page, base: str) -> None:
    page.goto(f"{base}/support/agent/tickets/")
    first = page.get_by_role("table", name="Tickets").locator("tbody tr").first
    first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/support/agent/tickets/[^/]+/$"))


PAGES = [
    # (user, path or None for the first ticket of the agent list, screenshot name)
    ("agent", "/support/agent/", "agent-dashboard"),
    ("agent", "/support/agent/tickets/", "agent-tickets"),
    ("agent", None, "agent-ticket"),
    ("customer", "/support/tickets/", "customer-tickets"),
    ("customer", "/support/tickets/create/", "customer-create"),
    ("admin", "/support/admin/departments/", "admin-departments"),
    ("admin", "/support/admin/sla-policies/", "admin-sla-policies"),
    ("admin", "/support/admin/escalation-rules/", "admin-escalation-rules"),
]


@pytest.mark.parametrize(("username", "path", "name"), PAGES, ids=[p[2] for p in PAGES])
def test_page_fits_a_375px_phone_without_sideways_scrolling(
    live_app: str,
    phone: Callable[[str], Page],
    screenshot,
    username: str,
    path: str | None,
    name: str,
) -> None:
    # given
    page = phone(username)

    # when
    if path is None:
        open_first_agent_ticket(page, live_app)
    else:
        page.goto(f"{live_app}{path}")
    expect(page.locator("main h1")).to_be_visible()

    # then
    screenshot(page, f"{name}-375")
    assert_no_sideways_scroll(page)


def test_bulk_selection_works_on_a_375px_phone(live_app: str, phone: Callable[[str], Page]) -> None:
    # given
    page = phone("agent")
    page.goto(f"{live_app}/support/agent/tickets/")
    rows = page.get_by_role("table", name="Tickets").locator("tbody tr")
    expect(rows.first).to_be_visible()

    # when
    page.get_by_label("Select all tickets on this page").check()
    bar = page.get_by_role("region", name=re.compile(r"tickets? selected$"))
    expect(bar).to_be_visible()
    rows.first.get_by_role("checkbox").uncheck()

    # then
    count = rows.count()
    expect(bar.get_by_role("heading")).to_have_text(
        f"{count - 1} ticket{'' if count == 2 else 's'} selected"
    )
    assert_no_sideways_scroll(page)
    bar.get_by_role("button", name="Clear selection").click()
    expect(bar).to_have_count(0)
