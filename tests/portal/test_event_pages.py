"""Event rules in the portal: administrators create, disable and delete them; others are refused."""

import pytest

from portal.portal_world import csrf, set_password, sign_in


@pytest.fixture(scope="module")
def admin(server):
    caller = server.user(admin=True)
    set_password(server, caller.name)
    return sign_in(server, caller.name), caller


def test_admin_manages_rules_that_boto3_sees(admin):
    client, caller = admin
    page = client.get("/portal/admin/events")
    assert page.status_code == 200 and "No rule yet" in page.text
    bad = client.post("/portal/admin/events", data={"csrf_token": csrf(page.text), "name": "grants",
                                                    "pattern": '{"source": "aws.datazone"}',
                                                    "target": "https://127.0.0.1:9/hook"})
    assert bad.status_code == 400 and "https://127.0.0.1:9/hook" in bad.text  # the error keeps the form
    made = client.post("/portal/admin/events", data={
        "csrf_token": csrf(page.text), "name": "grants", "target": "https://127.0.0.1:9/hook",
        "pattern": '{"source": ["aws.datazone"], "detail-type": [{"prefix": "Subscription Grant"}]}'})
    assert made.status_code == 303
    rule = caller.client("events").describe_rule(Name="grants")
    assert rule["State"] == "ENABLED" and "Subscription Grant" in rule["EventPattern"]
    assert caller.client("events").list_targets_by_rule(Rule="grants")["Targets"][0]["Arn"] == "https://127.0.0.1:9/hook"
    listed = client.get("/portal/admin/events").text
    client.post("/portal/admin/events/change", data={"csrf_token": csrf(listed), "name": "grants", "action": "disable"})
    assert caller.client("events").describe_rule(Name="grants")["State"] == "DISABLED"
    client.post("/portal/admin/events/change", data={"csrf_token": csrf(listed), "name": "grants", "action": "delete"})
    assert "No rule yet" in client.get("/portal/admin/events").text


def test_rules_are_for_administrators_only(server):
    caller = server.user()
    set_password(server, caller.name)
    client = sign_in(server, caller.name)
    page = client.get("/portal/admin/events")
    assert page.status_code == 403 and "Create a rule" not in page.text
