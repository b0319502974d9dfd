"""Data sources in the portal: the wizard, run now, run history and a run's activities."""

import re

import pytest

from conftest import wait_for
from portal.portal_world import build_portal_world, csrf, sign_in
from scenario import resource


@pytest.fixture(scope="module")
def pw(server):
    return build_portal_world(server)


def _step(client, url, page_html, **fields):
    return client.post(url, data={"csrf_token": csrf(page_html), **fields})


def test_wizard_creates_a_source_that_runs_and_reports(server, pw):
    producer = sign_in(server, pw.world.producer.name)
    domain = pw.world.domain_id
    url = f"/portal/d/{domain}/sources/new"
    origin = f"env:{pw.world.sales_env['id']}"
    first = producer.get(url)
    assert "Sales / data lake of environment sales_lake" in first.text

    nameless = _step(producer, url, first.text, step="source", go="next", origin=origin, description="Nightly")
    assert nameless.status_code == 400 and "Give the data source a name" in nameless.text
    assert ">Nightly</textarea>" in nameless.text  # nothing typed is lost

    details = _step(producer, url, first.text, step="source", go="next", origin=origin, name="Sales lake",
                    description="Nightly")
    assert "aria-current=\"step\">2. Details" in details.text
    database = resource(pw.world.sales_env, "glueProducerDBName")
    schedule = _step(producer, url, details.text, step="details", go="next", origin=origin, name="Sales lake",
                     description="Nightly", database=database, include="customer_*")
    back = _step(producer, url, schedule.text, step="schedule", go="back", origin=origin, name="Sales lake",
                 description="Nightly", database=database, include="customer_*")
    assert 'value="customer_*"' in back.text  # Back keeps the answers
    review = _step(producer, url, schedule.text, step="schedule", go="next", origin=origin, name="Sales lake",
                   description="Nightly", database=database, include="customer_*", cron="", publish="on")
    assert "<dt>Include</dt><dd>customer_*</dd>" in review.text and "on demand" in review.text
    created = _step(producer, url, review.text, step="review", go="create", origin=origin, name="Sales lake",
                    description="Nightly", database=database, include="customer_*", publish="on")
    assert created.status_code == 303, created.text
    source_url = created.headers["location"].split("?")[0]
    source_page = producer.get(source_url).text
    assert "Never run" in source_page and "Done: data source created." in producer.get(created.headers["location"]).text

    started = producer.post(source_url + "/run", data={"csrf_token": csrf(source_page)})
    assert started.status_code == 303
    finished = wait_for(lambda: "SUCCESS" in (text := producer.get(source_url).text) and text, timeout=60)
    assert "<td>run now</td>" in finished
    run_link = re.search(rf'href="({re.escape(source_url)}/runs/[^"]+)"', finished)[1]
    activities = producer.get(run_link).text
    assert "<code>customer_orders</code>" in activities
    assert "Sales lake" in producer.get(f"/portal/d/{domain}/sources").text


def test_a_consumer_cannot_see_or_run_anothers_source(server, pw):
    consumer = sign_in(server, pw.world.consumer.name)
    sources = pw.world.producer.dz.list_data_sources(domainIdentifier=pw.world.domain_id,
                                                     projectIdentifier=pw.world.sales_id)["items"]
    if not sources:
        pytest.skip("needs the wizard test's source")
    url = f"/portal/d/{pw.world.domain_id}/sources/{sources[0]['dataSourceId']}"
    page = consumer.get(url)
    assert page.status_code in (403, 404) and "Run now" not in page.text
    home = consumer.get(f"/portal/d/{pw.world.domain_id}")
    assert consumer.post(url + "/run", data={"csrf_token": csrf(home.text)}).status_code in (403, 404)
    assert "Sales lake" not in consumer.get(f"/portal/d/{pw.world.domain_id}/sources").text
