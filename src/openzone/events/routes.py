"""EventBridge's operations (AWS JSON 1.1, X-Amz-Target: AWSEvents.<Operation>) on openzone's event bus."""

from openzone.events import rules
from openzone.events.patterns import event_matches
from openzone.wire.pagination import decode_token, page
from openzone.wire.registry import Call, events


def _rule_out(rule) -> dict:
    return {"Name": rule.name, "Arn": rules.rule_arn(rule.name), "EventPattern": rule.event_pattern,
            "State": rule.state, "Description": rule.description, "EventBusName": rules.DEFAULT_BUS}


def _defaults(call: Call) -> tuple[int, int]:
    return call.settings.events_max_attempts, call.settings.events_max_age_seconds


@events("PutRule")
def put_rule(call: Call, p: dict) -> dict:
    rule = rules.put_rule(call.session, call.principal, p)
    return {"RuleArn": rules.rule_arn(rule.name)}


@events("DescribeRule")
def describe_rule(call: Call, p: dict) -> dict:
    rule = rules.get_rule(call.session, call.principal, p["Name"], p.get("EventBusName"))
    return {**_rule_out(rule), "CreatedBy": call.settings.account_id}


@events("ListRules")
def list_rules(call: Call, p: dict) -> dict:
    rules.check_bus(p.get("EventBusName"))
    offset, limit = decode_token(p.get("NextToken")), p.get("Limit") or 100
    items, token = page(rules.list_rules(call.session, call.principal, p.get("NamePrefix"), offset, limit),
                         offset, limit)
    return {"Rules": [_rule_out(r) for r in items], "NextToken": token}


@events("DeleteRule")
def delete_rule(call: Call, p: dict) -> None:
    rules.delete_rule(call.session, call.principal, p["Name"], p.get("EventBusName"))


@events("EnableRule")
def enable_rule(call: Call, p: dict) -> None:
    rules.set_state(call.session, call.principal, p["Name"], p.get("EventBusName"), "ENABLED")


@events("DisableRule")
def disable_rule(call: Call, p: dict) -> None:
    rules.set_state(call.session, call.principal, p["Name"], p.get("EventBusName"), "DISABLED")


@events("PutTargets")
def put_targets(call: Call, p: dict) -> dict:
    failed = rules.put_targets(call.session, call.principal, p["Rule"], p.get("EventBusName"), p["Targets"],
                               _defaults(call))
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


@events("ListTargetsByRule")
def list_targets_by_rule(call: Call, p: dict) -> dict:
    offset, limit = decode_token(p.get("NextToken")), p.get("Limit") or 100
    items, token = page(rules.targets_of(call.session, call.principal, p["Rule"], p.get("EventBusName"),
                                          offset, limit), offset, limit)
    return {"Targets": [t.spec for t in items], "NextToken": token}


@events("RemoveTargets")
def remove_targets(call: Call, p: dict) -> dict:
    failed = rules.remove_targets(call.session, call.principal, p["Rule"], p.get("EventBusName"), p["Ids"])
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


@events("TestEventPattern")
def test_event_pattern(call: Call, p: dict) -> dict:
    # Any signed-in user may test a pattern: it reads nothing but its own input.
    return {"Result": event_matches(p["EventPattern"], p["Event"])}
