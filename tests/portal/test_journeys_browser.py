"""The portal's journeys in a real browser: sign in, find data, request it, approve it, see the grant."""

import pytest

from portal.browser import browser, shoot  # noqa: F401  (fixture)
from portal.portal_world import PASSWORD, build_portal_world


@pytest.fixture(scope="module")
def pw(server):
    return build_portal_world(server)


def _sign_in(browser, server, name):  # noqa: F811
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    page.goto("/portal/")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


def test_find_request_approve_and_see_the_grant(browser, server, pw):  # noqa: F811
    backend = "sqlite" if server.settings.metadata_url.startswith("sqlite") else "postgres"
    consumer = _sign_in(browser, server, pw.world.consumer.name)
    assert consumer.get_by_role("heading", level=1).inner_text().startswith("Corporate-")
    shoot(consumer, f"{backend}-01-domain-home")

    consumer.get_by_label("Search the catalog").fill("customer orders")
    consumer.get_by_role("button", name="Search").click()
    assert consumer.locator("mark").first.inner_text().lower() in ("customer", "orders")
    shoot(consumer, f"{backend}-02-search")

    consumer.get_by_role("link", name="Customer orders").click()
    assert consumer.get_by_role("cell", name="order_id").is_visible()
    consumer.get_by_label("Reason").fill("Churn analysis for Q3")
    shoot(consumer, f"{backend}-03-listing")
    consumer.get_by_role("button", name="Request access").click()
    assert consumer.get_by_role("status").inner_text() == "Done: requested."
    shoot(consumer, f"{backend}-04-request-pending")
    request_url = consumer.url.split("?")[0]

    producer = _sign_in(browser, server, pw.world.producer.name)
    producer.get_by_role("link", name="Inbox").click()
    assert producer.get_by_role("cell", name="Churn analysis for Q3").is_visible()
    shoot(producer, f"{backend}-05-inbox")
    producer.get_by_role("link", name="Customer orders").click()
    producer.get_by_label("Comment for the requester (optional)").fill("Approved for Q3")
    producer.get_by_role("button", name="Approve").click()
    assert producer.get_by_role("status").inner_text() == "Done: approved."

    # The grant completes in the background: the subscriber sees it on reload.
    for _ in range(100):
        consumer.goto(request_url)
        if consumer.get_by_role("cell", name="GRANTED").count():
            break
        consumer.wait_for_timeout(100)
    assert consumer.get_by_role("cell", name="readable as customer_orders").is_visible()
    shoot(consumer, f"{backend}-06-granted")

    consumer.keyboard.press("Tab")  # the first stop is the skip link: keyboard users reach the content first
    assert consumer.evaluate("document.activeElement.textContent") == "Skip to content"
