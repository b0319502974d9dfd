"""EventBridge pattern semantics, case by case from the documented rules (own examples)."""

import json

import pytest

from openzone.events.patterns import InvalidEventPatternError, Pattern, event_matches

EVENT = {
    "version": "0", "id": "e-1", "detail-type": "Subscription Request Created", "source": "aws.datazone",
    "account": "111122223333", "time": "2026-11-28T03:00:00Z", "region": "eu-west-1",
    "resources": ["arn:aws:datazone:eu-west-1:111122223333:domain/dzd_abc"],
    "detail": {
        "metadata": {"id": "req123", "domain": "dzd_abc", "owningProjectId": "proj1", "typeName": "SubscriptionRequestEntityType"},
        "data": {"status": "PENDING", "autoApproved": False, "rows": 250, "ratio": 0.75, "reviewerId": None,
                 "sourceIp": "10.0.4.17", "tags": ["finance", "pii"],
                 "subscribedListings": [{"id": "lst1", "ownerProjectId": "p-a"}, {"id": "lst2", "ownerProjectId": "p-b"}]},
    },
}


def match(pattern: dict) -> bool:
    return Pattern.parse(json.dumps(pattern)).matches(EVENT)


@pytest.mark.parametrize("pattern, expected", [
    ({"source": ["aws.datazone"]}, True),
    ({"source": ["aws.s3", "aws.datazone"]}, True),
    ({"source": ["AWS.datazone"]}, False),                                   # exact match is case-sensitive
    ({"source": ["aws.datazone"], "detail-type": ["Subscription Request Accepted"]}, False),  # fields are AND-ed
    ({"detail": {"metadata": {"domain": ["dzd_abc"]}}}, True),              # nested fields
    ({"detail": {"data": {"rows": [250]}}}, True),
    ({"detail": {"data": {"rows": ["250"]}}}, False),                       # a string never equals a number
    ({"detail": {"data": {"autoApproved": [False]}}}, True),
    ({"detail": {"data": {"reviewerId": [None]}}}, True),                   # null matches null
    ({"detail": {"data": {"tags": ["pii"]}}}, True),                        # arrays: any element
    ({"detail": {"data": {"tags": ["public"]}}}, False),
    ({"resources": [{"prefix": "arn:aws:datazone:"}]}, True),
    ({"detail-type": [{"prefix": "Subscription Grant"}]}, False),
    ({"detail-type": [{"prefix": {"equals-ignore-case": "SUBSCRIPTION request"}}]}, True),
    ({"detail-type": [{"suffix": "Created"}]}, True),
    ({"detail-type": [{"suffix": {"equals-ignore-case": "CREATED"}}]}, True),
    ({"detail-type": [{"equals-ignore-case": "subscription REQUEST created"}]}, True),
    ({"detail-type": [{"wildcard": "Subscription * Created"}]}, True),
    ({"detail-type": [{"wildcard": "*Grant*"}]}, False),
    ({"detail": {"data": {"status": [{"anything-but": "REJECTED"}]}}}, True),
    ({"detail": {"data": {"status": [{"anything-but": ["PENDING", "ACCEPTED"]}]}}}, False),
    ({"detail": {"data": {"rows": [{"anything-but": [100, 200]}]}}}, True),
    ({"detail": {"data": {"status": [{"anything-but": {"prefix": "PEND"}}]}}}, False),
    ({"detail": {"data": {"status": [{"anything-but": {"suffix": "ED"}}]}}}, True),
    ({"detail": {"data": {"status": [{"anything-but": {"equals-ignore-case": ["pending"]}}]}}}, False),
    ({"detail": {"data": {"missing": [{"anything-but": "x"}]}}}, False),    # anything-but needs the field
    ({"detail": {"data": {"rows": [{"numeric": [">", 0, "<=", 250]}]}}}, True),
    ({"detail": {"data": {"rows": [{"numeric": [">", 250]}]}}}, False),
    ({"detail": {"data": {"ratio": [{"numeric": ["=", 0.75]}]}}}, True),
    ({"detail": {"data": {"status": [{"numeric": [">", 0]}]}}}, False),    # numeric only matches numbers
    ({"detail": {"data": {"sourceIp": [{"cidr": "10.0.0.0/16"}]}}}, True),
    ({"detail": {"data": {"sourceIp": [{"cidr": "192.168.0.0/24"}]}}}, False),
    ({"detail": {"data": {"status": [{"exists": True}]}}}, True),
    ({"detail": {"data": {"reviewerId": [{"exists": True}]}}}, True),      # null is present
    ({"detail": {"data": {"nope": [{"exists": True}]}}}, False),
    ({"detail": {"data": {"nope": [{"exists": False}]}}}, True),
    ({"detail": {"data": {"status": [{"exists": False}]}}}, False),
    ({"detail": {"nothing": {"deeper": [{"exists": False}]}}}, True),      # absent parents: still absent
    ({"detail": {"data": {"subscribedListings": [{"exists": True}]}}}, False),  # exists is for leaves
    ({"detail": {"data": {"subscribedListings": {"id": ["lst2"]}}}}, True),    # array of objects
    ({"detail": {"data": {"subscribedListings": {"id": ["lst2"], "ownerProjectId": ["p-b"]}}}}, True),
    ({"detail": {"data": {"subscribedListings": {"id": ["lst1"], "ownerProjectId": ["p-b"]}}}}, False),  # one element
    ({"detail": {"data": {"status": ["ACCEPTED", {"prefix": "PEN"}]}}}, True),  # values in one array are OR-ed
    ({"source": ["aws.datazone"], "$or": [{"detail-type": ["x"]}, {"detail": {"data": {"rows": [{"numeric": [">=", 250]}]}}}]}, True),
    ({"$or": [{"detail-type": ["x"]}, {"region": ["us-east-1"]}]}, False),
    ({"detail": {"$or": [{"metadata": {"id": ["nope"]}}, {"data": {"status": ["PENDING"]}}]}}, True),
])
def test_matching(pattern, expected):
    assert match(pattern) is expected


@pytest.mark.parametrize("pattern, reason", [
    ("not json", "not valid JSON"),
    ("[]", "must be a JSON object"),
    ("{}", "empty"),
    ('{"source": "aws.datazone"}', "must be an object or an array"),
    ('{"source": []}', "empty array"),
    ('{"detail": {}}', "empty object"),
    ('{"source": [{"prefix": 1}]}', "takes a string"),
    ('{"source": [{"regex": "a.*"}]}', "unrecognized match type 'regex'"),
    ('{"source": [{"prefix": "a", "suffix": "b"}]}', "exactly one key"),
    ('{"n": [{"numeric": [">", "1"]}]}', "needs numbers"),
    ('{"n": [{"numeric": ["<", 5, ">", 1]}]}', "lower bound"),
    ('{"n": [{"numeric": [">", 5, "<", 1]}]}', "is empty"),
    ('{"n": [{"numeric": ["~", 5]}]}', "unrecognized numeric operator"),
    ('{"n": [{"numeric": [">", 6e9]}]}', "between -5.0e9 and 5.0e9"),
    ('{"n": [{"exists": "yes"}]}', "true or false"),
    ('{"n": [{"anything-but": [1, "a"]}]}', "not a mix"),
    ('{"n": [{"anything-but": {"numeric": [">", 1]}}]}', "anything-but"),
    ('{"n": [{"wildcard": "a**b"}]}', "consecutive wildcard"),
    ('{"n": [{"cidr": "10.0.0.300/8"}]}', "not a CIDR"),
    ('{"$or": [{"source": ["a"]}]}', "at least two"),
])
def test_invalid_patterns_are_refused_with_a_reason(pattern, reason):
    with pytest.raises(InvalidEventPatternError, match="Event pattern is not valid. Reason:") as caught:
        Pattern.parse(pattern)
    assert reason in caught.value.message


def test_wildcard_escapes_a_literal_star():
    assert event_matches('{"k": [{"wildcard": "a\\\\*b*"}]}', '{"k": "a*bc"}')
    assert not event_matches('{"k": [{"wildcard": "a\\\\*b*"}]}', '{"k": "axbc"}')


def test_event_must_be_a_json_object():
    from openzone.errors import ValidationError

    with pytest.raises(ValidationError):
        event_matches('{"source": ["a"]}', "[1]")
