"""Home, catalog search, listing and asset pages, rendered from the same operations as the API."""

import re

import pytest

from portal.portal_world import build_portal_world, csrf, sign_in


@pytest.fixture(scope="module")
def pw(server):
    return build_portal_world(server)


@pytest.fixture(scope="module")
def consumer(server, pw):
    return sign_in(server, pw.world.consumer.name)


@pytest.fixture(scope="module")
def producer(server, pw):
    return sign_in(server, pw.world.producer.name)


def test_domain_home_shows_projects_tasks_and_recent_assets(pw, consumer):
    home = consumer.get(f"/portal/d/{pw.world.domain_id}")
    assert home.status_code == 200
    assert "<h2 id=\"projects\">My projects</h2>" in home.text and "Analytics" in home.text
    assert "Sales" not in home.text.split('id="projects"')[1].split("</section>")[0]  # not the consumer's project
    assert f"/listings/{pw.listing_id}\">Customer orders</a>" in home.text
    assert "Nothing to review." in home.text


def test_search_highlights_matches_and_offers_facets(pw, consumer):
    page = consumer.get(f"/portal/d/{pw.world.domain_id}/catalog", params={"q": "orders"})
    assert page.status_code == 200
    assert "1 result for “orders”" in page.text
    assert "Customer <mark>orders</mark>" in page.text
    assert "GlueTableAssetType" in page.text and "Asset type" in page.text
    assert "· project Sales" in page.text  # the owning project by name, though the consumer is not a member
    filtered = consumer.get(f"/portal/d/{pw.world.domain_id}/catalog",
                            params={"q": "orders", "type": "NoSuchType"})
    assert "0 results" in filtered.text and "Nothing matches" in filtered.text


def test_search_escapes_what_the_user_typed(pw, consumer):
    page = consumer.get(f"/portal/d/{pw.world.domain_id}/catalog", params={"q": "<script>alert(1)</script>"})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text


def test_listing_page_shows_schema_and_request_form(pw, consumer):
    page = consumer.get(f"/portal/d/{pw.world.domain_id}/listings/{pw.listing_id}")
    assert page.status_code == 200
    assert "<code>order_id</code>" in page.text and "<code>customer</code>" in page.text
    assert '<label for="reason">Reason</label>' in page.text and "Analytics" in page.text


def test_asset_page_is_for_the_owning_project_only(pw, consumer, producer):
    page = producer.get(f"/portal/d/{pw.world.domain_id}/assets/{pw.asset_id}")
    assert page.status_code == 200
    assert "Unpublish" in page.text and "<code>amount</code>" in page.text and "Revision 1" in page.text
    refused = consumer.get(f"/portal/d/{pw.world.domain_id}/assets/{pw.asset_id}")
    assert refused.status_code == 404
    assert "not be a member of the project that owns it" in refused.text and "Unpublish" not in refused.text


def test_unpublish_then_publish_from_the_asset_page(pw, producer, consumer):
    url = f"/portal/d/{pw.world.domain_id}/assets/{pw.asset_id}"
    token = csrf(producer.get(url).text.split('/publish"')[1])
    done = producer.post(url + "/publish", data={"csrf_token": token, "action": "UNPUBLISH"})
    assert done.status_code == 303
    assert "Done: unpublished." in producer.get(done.headers["location"]).text
    assert "0 results" in consumer.get(f"/portal/d/{pw.world.domain_id}/catalog", params={"q": "orders"}).text
    producer.post(url + "/publish", data={"csrf_token": token, "action": "PUBLISH"})
    assert "1 result" in consumer.get(f"/portal/d/{pw.world.domain_id}/catalog", params={"q": "orders"}).text


def test_a_stranger_to_the_domain_is_refused(server, pw):
    from portal.portal_world import set_password
    stranger = server.user()
    set_password(server, stranger.name)
    client = sign_in(server, stranger.name)
    page = client.get(f"/portal/d/{pw.world.domain_id}/catalog")
    assert page.status_code in (403, 404) and "Customer orders" not in page.text


def test_search_pages_through_results(pw, consumer):
    from scenario import glue_asset
    world = pw.world
    for number in range(21):
        asset = glue_asset(world.producer, world, "customer_orders", f"Paging item {number:02d}")
        world.producer.dz.create_listing_change_set(domainIdentifier=world.domain_id, entityIdentifier=asset["id"],
                                                    entityType="ASSET", action="PUBLISH")
    url = f"/portal/d/{world.domain_id}/catalog"
    first = consumer.get(url, params={"q": "paging", "sort": "name"}).text
    assert "21 results" in first and "Page 1 of 2" in first and "<mark>Paging</mark> item 19" in first
    assert "item 20" not in first and ">Next</a>" in first
    second = consumer.get(url, params={"q": "paging", "sort": "name", "page": 2}).text
    assert "Page 2 of 2" in second and "<mark>Paging</mark> item 20" in second and "item 00" not in second
    assert ">Previous</a>" in second and ">Next</a>" not in second


def test_suggestions_are_accepted_as_edited_or_rejected(server, pw, producer):
    import json

    from scenario import resource
    content = json.dumps({"databaseName": resource(pw.world.sales_env, "glueProducerDBName"),
                          "tableName": "customer_orders"})
    asset = pw.world.producer.dz.create_asset(
        domainIdentifier=pw.world.domain_id, owningProjectIdentifier=pw.world.sales_id, name="cust_ord_tbl",
        typeIdentifier="amazon.datazone.GlueTableAssetType",
        predictionConfiguration={"businessNameGeneration": {"enabled": True}},
        formsInput=[{"formName": "GlueTableForm", "typeIdentifier": "amazon.datazone.GlueTableFormType",
                     "content": content}])
    url = f"/portal/d/{pw.world.domain_id}/assets/{asset['id']}"
    page = producer.get(url).text
    assert "Suggested business names" in page
    targets = dict(re.findall(r'name="use:(\d+)" value="([^"]+)"', page))
    by_target = {t: i for i, t in targets.items()}
    assert {"asset:name", "customer"} <= set(by_target)
    fields = {"csrf_token": csrf(page), "decision": "accept"}
    for target in ("asset:name", "customer"):  # only these two: the others stay pending
        i = by_target[target]
        fields.update({f"use:{i}": target, f"choice:{i}": re.search(rf'name="choice:{i}" value="(\d+)"', page)[1],
                       f"offered:{i}": re.search(rf'name="offered:{i}" value="([^"]*)"', page)[1],
                       f"value:{i}": re.search(rf'name="offered:{i}" value="([^"]*)"', page)[1]})
    fields[f"value:{by_target['asset:name']}"] = "Customer orders (edited)"
    assert producer.post(url + "/predictions", data=fields).status_code == 303
    got = pw.world.producer.dz.get_asset(domainIdentifier=pw.world.domain_id, identifier=asset["id"])
    assert got["name"] == "Customer orders (edited)"
    after = producer.get(url).text
    assert "<h1>Customer orders (edited)</h1>" in after and "Done: suggestions accepted." in producer.get(
        url + "?notice=suggestions+accepted").text
    remaining = set(re.findall(r'name="use:\d+" value="([^"]+)"', after))
    assert remaining and not remaining & {"asset:name", "customer"}
    assert producer.post(url + "/predictions", data={"csrf_token": csrf(after), "decision": "reject"}).status_code == 303
    assert "Suggested business names" not in producer.get(url).text
