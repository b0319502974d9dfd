"""More journeys in a real browser: query editor, data source wizard with live status, project members,
glossary, and an administrator's users; a screenshot of each page."""

import pytest

from portal.browser import browser, shoot  # noqa: F401  (fixture)
from portal.portal_world import PASSWORD, build_portal_world
from scenario import resource


@pytest.fixture(scope="module")
def pw(server):
    return build_portal_world(server)


def _sign_in(browser, server, name):  # noqa: F811
    page = browser.new_context(base_url=server.url, accept_downloads=True).new_page()
    page.goto("/portal/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


def _backend(server) -> str:
    return "sqlite" if server.settings.metadata_url.startswith("sqlite") else "postgres"


def test_query_editor_runs_pages_and_downloads(browser, server, pw):  # noqa: F811
    page = _sign_in(browser, server, pw.world.producer.name)
    page.get_by_role("link", name="Query").click()
    page.get_by_label("SQL").fill("SELECT customer, amount FROM customer_orders ORDER BY amount")
    page.get_by_label("SQL").press("Control+Enter")  # the editor's shortcut
    page.get_by_role("heading", name="Query succeeded").wait_for()
    assert page.get_by_role("cell", name="alice").is_visible()
    assert page.get_by_role("columnheader", name="amount").inner_text().startswith("amount")
    shoot(page, f"{_backend(server)}-10-query-results")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.path().read_text().splitlines()[0] == "customer,amount"


def test_data_source_wizard_and_live_run(browser, server, pw):  # noqa: F811
    page = _sign_in(browser, server, pw.world.producer.name)
    page.get_by_role("link", name="Data sources").click()
    page.get_by_role("link", name="Create a data source").click()
    page.get_by_label("Name", exact=True).fill("Sales lake")
    page.get_by_label("Import from").select_option(f"env:{pw.world.sales_env['id']}")
    shoot(page, f"{_backend(server)}-11-source-wizard")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Database").fill(resource(pw.world.sales_env, "glueProducerDBName"))
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Next").click()
    assert page.get_by_text("on demand").first.is_visible()
    page.get_by_role("button", name="Create data source").click()
    page.get_by_role("button", name="Run now").click()
    # The page follows the run by itself (live status) until it ends.
    page.get_by_role("cell", name="SUCCESS").wait_for(timeout=60_000)
    shoot(page, f"{_backend(server)}-12-source-runs")


def test_owner_adds_a_member_and_creates_a_glossary(browser, server, pw):  # noqa: F811
    page = _sign_in(browser, server, pw.world.producer.name)
    page.get_by_role("link", name="Projects").click()
    page.get_by_role("link", name="Sales").click()
    page.get_by_label("Add a user (name or ARN)").fill(pw.world.consumer.name)
    page.get_by_label("Designation", exact=True).select_option("PROJECT_CATALOG_VIEWER")
    page.get_by_role("button", name="Add member").click()
    assert page.get_by_role("status").inner_text() == "Done: member saved."
    assert page.get_by_role("cell", name=pw.world.consumer.name, exact=True).is_visible()
    shoot(page, f"{_backend(server)}-13-project")
    page.get_by_role("link", name="Glossaries").click()
    page.get_by_label("Name").fill("Finance")
    page.get_by_role("button", name="Create glossary").click()
    page.get_by_label("Term").fill("Revenue")
    page.get_by_label("Short description").fill("Income from sales")
    page.get_by_role("button", name="Add term").click()
    assert page.get_by_text("Income from sales").is_visible()
    shoot(page, f"{_backend(server)}-14-glossary")


def test_admin_creates_a_user(browser, server, pw):  # noqa: F811
    page = _sign_in(browser, server, pw.world.admin.name)
    page.goto("/portal/admin/users")
    page.get_by_label("User name").fill(f"analyst-{_backend(server)}")
    page.get_by_label("Password (at least 8 characters)").fill("a good long password")
    page.get_by_role("button", name="Create user").click()
    assert page.get_by_role("status").inner_text().startswith("Done: user analyst-")
    shoot(page, f"{_backend(server)}-15-users")
