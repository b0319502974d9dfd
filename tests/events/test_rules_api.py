"""EventBridge's operations on openzone's bus through the unmodified boto3 `events` client."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import wait_for
from events.receiver import Receiver

PATTERN = json.dumps({"source": ["aws.datazone"], "detail-type": ["Project Creation Succeeded"]})


@pytest.fixture(scope="module")
def admin(server):
    return server.user(admin=True)


def code_of(error: ClientError) -> str:
    return error.response["Error"]["Code"]


def test_rule_lifecycle(admin):
    events = admin.client("events")
    arn = events.put_rule(Name="lifecycle", EventPattern=PATTERN, Description="projects")["RuleArn"]
    assert arn.endswith(":rule/lifecycle") and arn.startswith("arn:aws:events:us-east-1:")
    rule = events.describe_rule(Name="lifecycle")
    assert (rule["State"], rule["EventPattern"], rule["Description"], rule["EventBusName"]) == (
        "ENABLED", PATTERN, "projects", "default")
    events.disable_rule(Name="lifecycle")
    assert events.describe_rule(Name="lifecycle")["State"] == "DISABLED"
    events.enable_rule(Name="lifecycle")
    assert "lifecycle" in [r["Name"] for r in events.list_rules(NamePrefix="life")["Rules"]]
    assert events.list_rules(NamePrefix="zzz")["Rules"] == []

    result = events.put_targets(Rule="lifecycle", Targets=[
        {"Id": "hook", "Arn": "http://127.0.0.1:9/hook",
         "HttpParameters": {"HeaderParameters": {"X-Openzone-Signing-Secret": "k", "X-Team": "data"}},
         "RetryPolicy": {"MaximumRetryAttempts": 3}},
        {"Id": "bus", "Arn": "nats://127.0.0.1:4222/datazone.events"},
        {"Id": "bad", "Arn": "arn:aws:sqs:us-east-1:000000000000:queue"},
        {"Id": "input", "Arn": "http://127.0.0.1:9/x", "Input": "{}"}])
    assert result["FailedEntryCount"] == 2
    failures = {f["TargetId"]: f["ErrorMessage"] for f in result["FailedEntries"]}
    assert "http(s):// URL" in failures["bad"] and "Input" in failures["input"]
    targets = {t["Id"]: t for t in events.list_targets_by_rule(Rule="lifecycle")["Targets"]}
    assert set(targets) == {"hook", "bus"}
    # The signing secret is kept but never listed; other headers are.
    assert targets["hook"]["HttpParameters"] == {"HeaderParameters": {"X-Team": "data"}}
    with pytest.raises(ClientError) as caught:
        events.delete_rule(Name="lifecycle")
    assert "has targets" in caught.value.response["Error"]["Message"]
    removed = events.remove_targets(Rule="lifecycle", Ids=["hook", "bus", "nope"])
    assert [f["TargetId"] for f in removed["FailedEntries"]] == ["nope"]
    events.delete_rule(Name="lifecycle")
    with pytest.raises(ClientError) as caught:
        events.describe_rule(Name="lifecycle")
    assert code_of(caught.value) == "ResourceNotFoundException"


def test_invalid_patterns_are_refused_at_creation(admin):
    events = admin.client("events")
    with pytest.raises(ClientError) as caught:
        events.put_rule(Name="broken", EventPattern='{"source": "aws.datazone"}')
    assert code_of(caught.value) == "InvalidEventPatternException"
    assert "must be an object or an array" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        events.put_rule(Name="scheduled", ScheduleExpression="rate(5 minutes)")
    assert "ScheduleExpression is not supported" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        events.put_rule(Name="other-bus", EventPattern=PATTERN, EventBusName="custom")
    assert code_of(caught.value) == "ResourceNotFoundException"


def test_only_administrators_manage_rules(server, admin):
    user = server.user().client("events")
    for call in (lambda: user.put_rule(Name="mine", EventPattern=PATTERN), lambda: user.list_rules(),
                 lambda: user.describe_rule(Name="x"),
                 lambda: user.put_targets(Rule="x", Targets=[{"Id": "a", "Arn": "http://127.0.0.1:9/"}])):
        with pytest.raises(ClientError) as caught:
            call()
        assert code_of(caught.value) == "AccessDeniedException"
    # Testing a pattern reads nothing: anyone signed in may.
    event = json.dumps({"source": "aws.datazone", "detail-type": "Project Creation Succeeded"})
    assert user.test_event_pattern(EventPattern=PATTERN, Event=event)["Result"] is True
    assert user.test_event_pattern(EventPattern='{"source": [{"prefix": "aws.s3"}]}', Event=event)["Result"] is False


def test_a_datazone_change_reaches_a_webhook_signed(server, admin):
    receiver = Receiver(secret="whsec")
    events = admin.client("events")
    events.put_rule(Name="new-projects", EventPattern=PATTERN)
    events.put_targets(Rule="new-projects", Targets=[{"Id": "hook", "Arn": receiver.url, "HttpParameters": {
        "HeaderParameters": {"X-Openzone-Signing-Secret": "whsec"}}}])
    dz = admin.dz
    domain = dz.create_domain(name=f"events-{receiver.port}", domainExecutionRole="arn:aws:iam::000000000000:role/x")["id"]
    project = dz.create_project(domainIdentifier=domain, name="Evented")["id"]
    envelope = wait_for(lambda: next((e for e in receiver.received if e["detail"]["metadata"]["id"] == project), None))
    assert envelope["detail-type"] == "Project Creation Succeeded" and envelope["source"] == "aws.datazone"
    assert receiver.bad_signatures == 0
    events.remove_targets(Rule="new-projects", Ids=["hook"])
    events.delete_rule(Name="new-projects")
