"""Request access with a reason, decide in the inbox, follow the request's state and its grant."""

import pytest

from conftest import wait_for
from portal.portal_world import build_portal_world, csrf, sign_in


@pytest.fixture(scope="module")
def pw(server):
    return build_portal_world(server)


def test_request_approve_and_revoke_through_the_pages(server, pw):
    consumer, producer = sign_in(server, pw.world.consumer.name), sign_in(server, pw.world.producer.name)
    domain = pw.world.domain_id
    listing_page = consumer.get(f"/portal/d/{domain}/listings/{pw.listing_id}")
    token = csrf(listing_page.text.split('/request"')[1])

    # A request without a reason keeps the page and says what to do.
    empty = consumer.post(f"/portal/d/{domain}/listings/{pw.listing_id}/request",
                          data={"csrf_token": token, "project": pw.world.analytics_id, "reason": "  "})
    assert empty.status_code == 400 and "Say why your project needs this data" in empty.text

    made = consumer.post(f"/portal/d/{domain}/listings/{pw.listing_id}/request",
                         data={"csrf_token": token, "project": pw.world.analytics_id, "reason": "Churn <analysis>"})
    assert made.status_code == 303
    request_url = made.headers["location"].split("?")[0]
    page = consumer.get(request_url)
    assert "Pending" in page.text and "Churn &lt;analysis&gt;" in page.text and "Approve" not in page.text

    # A second request while one is pending: the API's conflict, shown on the form with the reason kept.
    again = consumer.post(f"/portal/d/{domain}/listings/{pw.listing_id}/request",
                          data={"csrf_token": token, "project": pw.world.analytics_id, "reason": "Again"})
    assert again.status_code == 400 and "already has a pending request" in again.text and ">Again</textarea>" in again.text

    inbox = producer.get(f"/portal/d/{domain}/inbox")
    assert "Churn &lt;analysis&gt;" in inbox.text and request_url in inbox.text
    decision_page = producer.get(request_url)
    decided = producer.post(request_url + "/decision", data={"csrf_token": csrf(decision_page.text.split('/decision"')[1]),
                                                             "decision": "accept", "comment": "Go ahead"})
    assert decided.status_code == 303
    granted = wait_for(lambda: "GRANTED" in (t := consumer.get(request_url).text) and t)
    assert "Approved" in granted and "Go ahead" in granted and "readable as customer_orders" in granted
    assert "Approved" in consumer.get(f"/portal/d/{domain}/requested").text
    assert "No request is waiting" in producer.get(f"/portal/d/{domain}/inbox").text

    owner_view = producer.get(request_url)
    revoke_form = owner_view.text.split('/revoke"')[1]
    subscription_path = owner_view.text.split('/subscriptions/')[1].split('/revoke"')[0]
    assert producer.post(f"/portal/d/{domain}/subscriptions/{subscription_path}/revoke",
                         data={"csrf_token": csrf(revoke_form)}).status_code == 303
    assert "Revoked" in consumer.get(f"/portal/d/{domain}/requested").text
    history = producer.get(f"/portal/d/{domain}/assets/{pw.asset_id}").text.split('id="history"')[1]
    assert "Churn &lt;analysis&gt;" in history and "Go ahead" in history and "revoke" in history


def test_the_subscriber_cannot_decide_its_own_request(server, pw):
    consumer = sign_in(server, pw.world.consumer.name)
    domain = pw.world.domain_id
    requests = pw.world.consumer.dz.list_subscription_requests(domainIdentifier=domain)["items"]
    home = consumer.get(f"/portal/d/{domain}")
    answer = consumer.post(f"/portal/d/{domain}/requests/{requests[0]['id']}/decision",
                           data={"csrf_token": csrf(home.text), "decision": "accept"})
    assert answer.status_code in (403, 409) and "Something went wrong" in answer.text


def test_a_request_with_a_filter_and_an_end_date(server, pw):
    from datetime import date, timedelta

    from scenario import query_rows, resource
    world, domain = pw.world, pw.world.domain_id
    big = world.producer.dz.create_asset_filter(
        domainIdentifier=domain, assetIdentifier=pw.asset_id, name="Big orders", configuration={
            "rowConfiguration": {"rowFilter": {"expression": {"greaterThan": {"columnName": "amount", "value": "15"}}}}})
    consumer, producer = sign_in(server, world.consumer.name), sign_in(server, world.producer.name)
    listing_page = consumer.get(f"/portal/d/{domain}/listings/{pw.listing_id}").text
    assert "Big orders" in listing_page and "amount" in listing_page
    until = (date.today() + timedelta(days=30)).isoformat()
    made = consumer.post(f"/portal/d/{domain}/listings/{pw.listing_id}/request", data={
        "csrf_token": csrf(listing_page.split('/request"')[1]), "project": world.analytics_id,
        "reason": "Only the big ones", "asset": pw.asset_id, "filter:1": big["id"], "until": until})
    assert made.status_code == 303, made.text
    request_id = made.headers["location"].split("/requests/")[1].split("?")[0]
    request = world.consumer.dz.get_subscription_request_details(domainIdentifier=domain, identifier=request_id)
    assert request["subscribedListings"][0]["item"]["assetListing"]["assetScope"]["filterIds"] == [big["id"]]
    assert f"{until}T23:59:59Z" in request["metadataForms"][0]["content"]
    page = producer.get(f"/portal/d/{domain}/requests/{request_id}").text
    producer.post(f"/portal/d/{domain}/requests/{request_id}/decision",
                  data={"csrf_token": csrf(page.split('/decision"')[1]), "decision": "accept"})
    wait_for(lambda: "GRANTED" in consumer.get(f"/portal/d/{domain}/requests/{request_id}").text)
    rows = query_rows(world.consumer, world.analytics_env["id"],
                      f"SELECT customer FROM {resource(world.analytics_env, 'glueConsumerDBName')}.customer_orders")
    assert rows == [["bob"]]  # only the order over 15
