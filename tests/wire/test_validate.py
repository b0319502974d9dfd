"""Input validation against the real botocore DataZone model, with AWS's ValidationException wording."""

import pytest

from openzone.errors import ValidationError
from openzone.wire.model import service_model
from openzone.wire.validate import validate_input

DOMAIN = "dzd_bc8e1ez8r2a6xz"
PROJECT = "6oy92hwk937pgn"


def shape(operation: str):
    return service_model("datazone").operation_model(operation).input_shape


def error(operation: str, params: dict) -> str:
    with pytest.raises(ValidationError) as raised:
        validate_input(shape(operation), params)
    assert raised.value.code == "ValidationException" and raised.value.status == 400
    return raised.value.message


def membership(**overrides) -> dict:
    return {"domainIdentifier": DOMAIN, "projectIdentifier": PROJECT, "member": {"userIdentifier": "alice"},
            "designation": "PROJECT_CONTRIBUTOR", **overrides}


def test_valid_input_passes():
    validate_input(shape("CreateProject"), {"domainIdentifier": DOMAIN, "name": "Sales - EMEA_2"})
    validate_input(shape("CreateProjectMembership"), membership())
    validate_input(shape("ListDomains"), {})
    validate_input(shape("ListDomains"), {"maxResults": 25, "status": "AVAILABLE"})


def test_domain_identifier_pattern_uses_aws_wording():
    assert error("GetProject", {"domainIdentifier": "bad!", "identifier": PROJECT}) == (
        "1 validation error detected: Value at 'domainIdentifier' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: dzd[-_][a-zA-Z0-9_-]{1,36}")


def test_pattern_must_match_the_whole_value():
    # `dzd_abc` followed by junk matches at the start but not as a whole.
    message = error("GetDomain", {"identifier": "dzd_abc/../x"})
    assert message.startswith("1 validation error detected: Value at 'identifier'")


def test_enum_lists_the_allowed_values_in_model_order():
    assert error("CreateProjectMembership", membership(designation="PROJECT_BOSS")) == (
        "1 validation error detected: Value at 'designation' failed to satisfy constraint: "
        "Member must satisfy enum value set: [PROJECT_OWNER, PROJECT_CONTRIBUTOR, PROJECT_CATALOG_VIEWER, "
        "PROJECT_CATALOG_CONSUMER, PROJECT_CATALOG_STEWARD, USER_CREATED_DESIGNATION]")


def test_enum_is_case_sensitive():
    assert "enum value set" in error("ListDomains", {"status": "available"})


def test_maximum_length():
    assert error("CreateProject", {"domainIdentifier": DOMAIN, "name": "a" * 65}) == (
        "1 validation error detected: Value at 'name' failed to satisfy constraint: "
        "Member must have length less than or equal to 64")
    validate_input(shape("CreateProject"), {"domainIdentifier": DOMAIN, "name": "a" * 64})


def test_minimum_length():
    message = error("CreateSubscriptionRequest", {
        "domainIdentifier": DOMAIN, "subscribedPrincipals": [{"project": {"identifier": PROJECT}}],
        "subscribedListings": [{"identifier": "abc"}], "requestReason": ""})
    assert message == ("1 validation error detected: Value at 'requestReason' failed to satisfy constraint: "
                       "Member must have length greater than or equal to 1")


def test_list_length():
    message = error("CreateSubscriptionRequest", {
        "domainIdentifier": DOMAIN, "subscribedPrincipals": [{"project": {"identifier": PROJECT}}],
        "subscribedListings": [], "requestReason": "why"})
    assert "Value at 'subscribedListings' failed to satisfy constraint: " \
           "Member must have length greater than or equal to 1" in message


def test_integer_range():
    assert error("ListDomains", {"maxResults": 26}) == (
        "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 25")
    assert "greater than or equal to 1" in error("ListDomains", {"maxResults": 0})


def test_wrong_types():
    assert "Member must be of type Integer" in error("ListDomains", {"maxResults": "10"})
    assert "Member must be of type Integer" in error("ListDomains", {"maxResults": True})
    assert "Member must be of type String" in error("CreateProject", {"domainIdentifier": DOMAIN, "name": 7})
    assert "Member must be of type List" in error("CreateSubscriptionRequest", {
        "domainIdentifier": DOMAIN, "subscribedPrincipals": {"project": {"identifier": PROJECT}},
        "subscribedListings": [{"identifier": "abc"}], "requestReason": "why"})


def test_required_member_missing_is_value_null():
    assert error("CreateProject", {"domainIdentifier": DOMAIN}) == (
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: "
        "Member must not be null")


def test_required_member_sent_as_null_is_value_null():
    assert "Value null at 'name'" in error("CreateProject", {"domainIdentifier": DOMAIN, "name": None})


def test_nested_members_are_named_by_their_path():
    message = error("CreateSubscriptionRequest", {
        "domainIdentifier": DOMAIN, "subscribedPrincipals": [{"project": {"identifier": PROJECT}}],
        "subscribedListings": [{"identifier": "not valid!"}], "requestReason": "why"})
    assert message == ("1 validation error detected: Value at 'subscribedListings.1.member.identifier' failed to "
                       "satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]{1,36}")


def test_union_with_no_member_set():
    assert error("CreateProjectMembership", membership(member={})) == (
        "1 validation error detected: Value at 'member' failed to satisfy constraint: "
        "Member must have exactly one member set")


def test_union_with_two_members_set():
    message = error("CreateProjectMembership", membership(member={"userIdentifier": "a", "groupIdentifier": "g"}))
    assert "Value at 'member' failed to satisfy constraint: Member must have exactly one member set" in message


def test_union_null_siblings_do_not_count():
    validate_input(shape("CreateProjectMembership"), membership(member={"userIdentifier": "a", "groupIdentifier": None}))


def test_every_problem_is_reported_and_counted():
    message = error("CreateProject", {"domainIdentifier": "bad!", "name": "a" * 65})
    assert message.startswith("2 validation errors detected: ")
    assert "Value at 'domainIdentifier' failed to satisfy constraint" in message
    assert "Value at 'name' failed to satisfy constraint: Member must have length less than or equal to 64" in message
    assert message.count("; ") == 1


def test_three_errors_across_required_enum_and_pattern():
    message = error("CreateProjectMembership", {"domainIdentifier": "x", "projectIdentifier": PROJECT,
                                                "member": {"userIdentifier": "a"}, "designation": "BOSS"})
    assert message.startswith("2 validation errors detected: ")
    message = error("CreateProjectMembership", {"domainIdentifier": "x", "designation": "BOSS",
                                                "member": {"userIdentifier": "a"}})
    assert message.startswith("3 validation errors detected: ")
    assert "Value null at 'projectIdentifier'" in message


def test_members_the_model_does_not_know_are_ignored():
    # botocore never sends them; a newer SDK might. They are not an error.
    validate_input(shape("CreateProject"), {"domainIdentifier": DOMAIN, "name": "Sales", "futureField": 1})
