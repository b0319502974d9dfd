"""The query editor: run SQL in an environment, page typed results, CSV, save a table and publish it."""

import csv
import io

import pytest

from conftest import wait_for
from portal.portal_world import build_portal_world, csrf, sign_in


@pytest.fixture(scope="module")
def pw(server):
    return build_portal_world(server)


@pytest.fixture(scope="module")
def producer(server, pw):
    return sign_in(server, pw.world.producer.name)


def _run(client, pw, sql, environment=None):
    editor = client.get(f"/portal/d/{pw.world.domain_id}/query")
    answer = client.post(f"/portal/d/{pw.world.domain_id}/query", data={
        "csrf_token": csrf(editor.text), "sql": sql, "environment": environment or pw.world.sales_env["id"]})
    return answer


def _finished(client, url):
    return wait_for(lambda: "Running" not in (text := client.get(url).text) and text, timeout=30)


def test_run_page_and_download(pw, producer):
    editor = producer.get(f"/portal/d/{pw.world.domain_id}/query")
    assert "Sales / sales_lake" in editor.text and '<label for="sql">' in editor.text
    started = _run(producer, pw, "SELECT range AS n, 'v' || range AS label, '=cmd()' AS formula FROM range(250)")
    assert started.status_code == 303
    url = started.headers["location"]
    page = _finished(producer, url)
    assert "Query succeeded" in page and "n <span class=\"muted\">bigint</span>" in page
    assert "<td>0</td>" in page and "<td>99</td>" in page and "<td>100</td>" not in page
    second = producer.get(url, params={"page": 2}).text
    assert "<td>100</td>" in second and "<td>199</td>" in second and "Next" in second
    assert "Next" not in producer.get(url, params={"page": 3}).text

    download = producer.get(url + "/results.csv")
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == ["n", "label", "formula"] and len(rows) == 251 and rows[250][:2] == ["249", "v249"]
    assert rows[1][2] == "'=cmd()"  # a spreadsheet will not run it


def test_a_failing_query_says_why(pw, producer):
    url = _run(producer, pw, "SELECT * FROM no_such_table").headers["location"]
    page = _finished(producer, url)
    assert "Query failed" in page and "no_such_table" in page and "Edit and run again" in page


def test_empty_sql_and_foreign_environment_are_refused_and_keep_the_text(pw, producer):
    empty = _run(producer, pw, "  ")
    assert empty.status_code == 400 and "Write a SQL statement" in empty.text
    foreign = _run(producer, pw, "SELECT 42", environment=pw.world.analytics_env["id"])
    assert foreign.status_code in (403, 404) and "SELECT 42</textarea>" in foreign.text


def test_save_results_as_a_table_and_publish_it(pw, producer, server):
    url = _run(producer, pw, "SELECT customer, amount FROM customer_orders WHERE amount > 15").headers["location"]
    page = _finished(producer, url)
    bad = producer.post(url + "/table", data={"csrf_token": csrf(page.split('/table"')[1]), "name": "Big Orders;"})
    assert bad.status_code == 400 and "lower-case letters" in bad.text
    made = producer.post(url + "/table", data={"csrf_token": csrf(page.split('/table"')[1]), "name": "big_orders"})
    assert made.status_code == 303 and "publish=big_orders" in made.headers["location"]
    ctas = _finished(producer, made.headers["location"])
    assert "Publish big_orders" in ctas
    published = producer.post(made.headers["location"].split("?")[0] + "/publish", data={
        "csrf_token": csrf(ctas.split('/publish"')[1]), "name": "big_orders", "title": "Big orders",
        "description": "Orders over 15"})
    assert published.status_code == 303 and "/assets/" in published.headers["location"]
    asset_page = producer.get(published.headers["location"]).text
    assert "Done: table published." in asset_page and "<code>customer</code>" in asset_page and "ACTIVE" in asset_page
    found = pw.world.consumer.dz.search_listings(domainIdentifier=pw.world.domain_id, searchText="big orders")
    assert [i["assetListing"]["name"] for i in found["items"]] == ["Big orders"]
