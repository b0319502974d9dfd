"""Domains and user profiles through boto3: who may create, see and join a domain."""

import uuid

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/dz"


def error_code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"]


def new_domain(admin, **extra) -> dict:
    return admin.dz.create_domain(name=f"Domain-{uuid.uuid4().hex[:8]}", domainExecutionRole=ROLE, **extra)


@pytest.fixture(scope="module")
def admin(server):
    return server.user(admin=True)


def test_create_domain_echoes_input_and_is_available(server, admin):
    created = new_domain(admin, description="Our data", tags={"team": "data"})
    assert created["id"].startswith("dzd_") and len(created["id"]) == 18
    assert created["status"] == "AVAILABLE" and created["description"] == "Our data"
    assert created["arn"] == f"arn:aws:datazone:us-east-1:{server.settings.account_id}:domain/{created['id']}"
    assert created["domainExecutionRole"] == ROLE and created["tags"] == {"team": "data"}
    fetched = admin.dz.get_domain(identifier=created["id"])
    assert fetched["name"] == created["name"] and fetched["rootDomainUnitId"] == created["rootDomainUnitId"]
    assert fetched["createdAt"] is not None


def test_non_admin_cannot_create_a_domain(server):
    user = server.user()
    assert error_code(user.dz.create_domain, name=f"Nope-{uuid.uuid4().hex[:6]}",
                      domainExecutionRole=ROLE) == "AccessDeniedException"


def test_duplicate_domain_name_conflicts(admin):
    name = f"Dup-{uuid.uuid4().hex[:6]}"
    admin.dz.create_domain(name=name, domainExecutionRole=ROLE)
    assert error_code(admin.dz.create_domain, name=name, domainExecutionRole=ROLE) == "ConflictException"


def test_a_user_without_a_profile_sees_no_domain(server, admin):
    domain = new_domain(admin)
    outsider = server.user()
    assert error_code(outsider.dz.get_domain, identifier=domain["id"]) == "ResourceNotFoundException"
    assert outsider.dz.list_domains()["items"] == []


def test_missing_domain_is_not_found(admin):
    assert error_code(admin.dz.get_domain, identifier="dzd_doesnotexist00") == "ResourceNotFoundException"


def test_a_user_sees_exactly_the_domains_they_belong_to(server, admin):
    mine, other = new_domain(admin), new_domain(admin)
    user = server.user()
    admin.dz.create_user_profile(domainIdentifier=mine["id"], userIdentifier=user.arn)
    assert [d["id"] for d in user.dz.list_domains()["items"]] == [mine["id"]]
    assert user.dz.get_domain(identifier=mine["id"])["name"] == mine["name"]
    assert error_code(user.dz.get_domain, identifier=other["id"]) == "ResourceNotFoundException"
    summary = user.dz.list_domains()["items"][0]
    assert summary["arn"] == mine["arn"] and summary["status"] == "AVAILABLE"
    assert summary["managedAccountId"] == server.settings.account_id


def test_list_domains_pages_with_max_results_and_next_token(server, admin):
    user = server.user()
    created = [new_domain(admin)["id"] for _ in range(3)]
    for domain_id in created:
        admin.dz.create_user_profile(domainIdentifier=domain_id, userIdentifier=user.arn)
    seen, token, pages = [], None, 0
    while True:
        page = user.dz.list_domains(maxResults=1, **({"nextToken": token} if token else {}))
        assert len(page["items"]) <= 1
        seen += [d["id"] for d in page["items"]]
        pages += 1
        token = page.get("nextToken")
        if not token:
            break
    assert sorted(seen) == sorted(created) and pages == 3
    # The paginator does the same walk.
    walked = [d["id"] for p in user.dz.get_paginator("list_domains").paginate(PaginationConfig={"PageSize": 2})
              for d in p["items"]]
    assert sorted(walked) == sorted(created)


def test_a_garbage_next_token_is_a_validation_error(admin):
    assert error_code(admin.dz.list_domains, nextToken="not-a-token") == "ValidationException"


def test_create_user_profile_by_name_and_by_arn(server, admin):
    domain = new_domain(admin)
    by_name, by_arn = server.user(), server.user()
    created = admin.dz.create_user_profile(domainIdentifier=domain["id"], userIdentifier=by_name.name)
    assert created["details"]["iam"]["arn"] == by_name.arn and created["type"] == "IAM"
    assert created["domainId"] == domain["id"]
    created_arn = admin.dz.create_user_profile(domainIdentifier=domain["id"], userIdentifier=by_arn.arn)
    assert created_arn["details"]["iam"]["arn"] == by_arn.arn
    assert created_arn["id"] != created["id"]
    for user in (by_name, by_arn):
        assert user.dz.get_domain(identifier=domain["id"])["id"] == domain["id"]


def test_create_user_profile_twice_is_the_same_profile(server, admin):
    domain, user = new_domain(admin), server.user()
    first = admin.dz.create_user_profile(domainIdentifier=domain["id"], userIdentifier=user.arn)
    again = admin.dz.create_user_profile(domainIdentifier=domain["id"], userIdentifier=user.name)
    assert again["id"] == first["id"]


def test_get_user_profile_returns_the_iam_arn(server, admin):
    domain, user = new_domain(admin), server.user()
    created = admin.dz.create_user_profile(domainIdentifier=domain["id"], userIdentifier=user.arn)
    for identifier in (user.arn, user.name, created["id"]):
        profile = admin.dz.get_user_profile(domainIdentifier=domain["id"], userIdentifier=identifier)
        assert profile["id"] == created["id"] and profile["details"]["iam"]["arn"] == user.arn
    # A member may look up another member.
    assert user.dz.get_user_profile(domainIdentifier=domain["id"], userIdentifier=admin.arn)["details"]["iam"]["arn"] \
        == admin.arn


def test_get_user_profile_of_a_non_member_is_not_found(server, admin):
    domain, stranger = new_domain(admin), server.user()
    assert error_code(admin.dz.get_user_profile, domainIdentifier=domain["id"],
                      userIdentifier=stranger.arn) == "ResourceNotFoundException"


def test_profile_for_an_unknown_user_or_account_is_not_found(admin):
    domain = new_domain(admin)
    assert error_code(admin.dz.create_user_profile, domainIdentifier=domain["id"],
                      userIdentifier="nobody-by-this-name") == "ResourceNotFoundException"
    assert error_code(admin.dz.create_user_profile, domainIdentifier=domain["id"],
                      userIdentifier=f"arn:aws:iam::999999999999:user/{admin.name}") == "ResourceNotFoundException"


def test_a_member_who_does_not_own_the_domain_cannot_add_users(server, admin):
    domain, member, newcomer = new_domain(admin), server.user(), server.user()
    admin.dz.create_user_profile(domainIdentifier=domain["id"], userIdentifier=member.arn)
    assert error_code(member.dz.create_user_profile, domainIdentifier=domain["id"],
                      userIdentifier=newcomer.arn) == "AccessDeniedException"
    assert newcomer.dz.list_domains()["items"] == []


def test_an_outsider_cannot_add_themselves(server, admin):
    domain, outsider = new_domain(admin), server.user()
    code = error_code(outsider.dz.create_user_profile, domainIdentifier=domain["id"], userIdentifier=outsider.arn)
    assert code in ("ResourceNotFoundException", "AccessDeniedException")
    assert outsider.dz.list_domains()["items"] == []


def test_v2_domain_without_execution_role_still_sends_the_required_member(admin):
    created = admin.dz.create_domain(name=f"V2-{uuid.uuid4().hex[:6]}", domainVersion="V2",
                                     serviceRole="arn:aws:iam::000000000000:role/service")
    fetched = admin.dz.get_domain(identifier=created["id"])
    # GetDomainOutput requires domainExecutionRole; SDKs that check required members would fail without it.
    assert fetched["domainExecutionRole"] == ""
    assert fetched["domainVersion"] == "V2" and fetched["serviceRole"].endswith("role/service")


def test_user_names_with_every_iam_punctuation_sign_and_verify(server, admin):
    # The ARN travels percent-encoded in the signed path (%2B, %3D, %2C, %40): signing and lookup must agree.
    domain = new_domain(admin)
    odd = server.user(name=f"svc+bot=1,x.y@corp-{uuid.uuid4().hex[:4]}")
    admin.dz.create_user_profile(domainIdentifier=domain["id"], userIdentifier=odd.arn)
    assert admin.dz.get_user_profile(domainIdentifier=domain["id"],
                                     userIdentifier=odd.arn)["details"]["iam"]["arn"] == odd.arn
    assert [d["id"] for d in odd.dz.list_domains()["items"]] == [domain["id"]]
