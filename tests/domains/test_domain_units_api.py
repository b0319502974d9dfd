"""Domain units through boto3: every domain's root unit, child units, who may create them."""

import uuid

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

from openzone.db.session import session_scope
from openzone.events.models import OutboxEvent


def error_code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def setup(server):
    admin, member, stranger = server.user(admin=True), server.user(), server.user()
    domain = admin.dz.create_domain(name=f"Units-{uuid.uuid4().hex[:8]}", description="units",
                                    domainExecutionRole="arn:aws:iam::000000000000:role/dz")
    admin.dz.create_user_profile(domainIdentifier=domain["id"], userIdentifier=member.arn)
    return admin, member, stranger, domain


def user_id(admin, domain_id, caller) -> str:
    return admin.dz.get_user_profile(domainIdentifier=domain_id, userIdentifier=caller.arn)["id"]


def test_a_domain_has_a_root_unit_named_like_it_owned_by_its_creator(setup):
    admin, member, _, domain = setup
    root_id = admin.dz.get_domain(identifier=domain["id"])["rootDomainUnitId"]
    assert root_id == domain["rootDomainUnitId"]
    root = member.dz.get_domain_unit(domainIdentifier=domain["id"], identifier=root_id)
    assert root["id"] == root_id and root["domainId"] == domain["id"] and root["name"] == domain["name"]
    assert "parentDomainUnitId" not in root and root["description"] == "units"
    assert root["owners"] == [{"user": {"userId": user_id(admin, domain["id"], admin)}}]


def events(server, domain_id: str) -> list[dict]:
    with session_scope(server.settings.metadata_url) as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.domain_id == domain_id)
                               .order_by(OutboxEvent.seq))
        return [row.envelope for row in rows]


def test_root_owner_creates_child_units_and_lists_them(server, setup):
    admin, member, _, domain = setup
    root_id = domain["rootDomainUnitId"]
    child = admin.dz.create_domain_unit(domainIdentifier=domain["id"], parentDomainUnitIdentifier=root_id,
                                        name="Finance", description="money")
    assert child["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert child["parentDomainUnitId"] == root_id and child["ancestorDomainUnitIds"] == [root_id]
    grandchild = admin.dz.create_domain_unit(domainIdentifier=domain["id"], parentDomainUnitIdentifier=child["id"],
                                             name="Payroll")
    assert grandchild["ancestorDomainUnitIds"] == [root_id, child["id"]]
    listed = member.dz.list_domain_units_for_parent(domainIdentifier=domain["id"], parentDomainUnitIdentifier=root_id)
    assert {"id": child["id"], "name": "Finance"} in listed["items"]
    assert grandchild["id"] not in [item["id"] for item in listed["items"]]
    fetched = member.dz.get_domain_unit(domainIdentifier=domain["id"], identifier=grandchild["id"])
    assert fetched["parentDomainUnitId"] == child["id"]
    assert error_code(admin.dz.create_domain_unit, domainIdentifier=domain["id"],
                      parentDomainUnitIdentifier=root_id, name="Finance") == "ConflictException"
    created = [e["detail"] for e in events(server, domain["id"]) if e["detail-type"] == "Domain Unit Created"]
    assert [(d["metadata"]["id"], d["data"]["parentDomainUnitId"]) for d in created][:2] == [
        (child["id"], root_id), (grandchild["id"], child["id"])]


def test_only_owners_create_units_and_only_domain_users_read_them(setup):
    admin, member, stranger, domain = setup
    root_id = domain["rootDomainUnitId"]
    assert error_code(member.dz.create_domain_unit, domainIdentifier=domain["id"],
                      parentDomainUnitIdentifier=root_id, name="Rogue") == "AccessDeniedException"
    assert error_code(stranger.dz.get_domain_unit, domainIdentifier=domain["id"],
                      identifier=root_id) == "ResourceNotFoundException"
    assert error_code(member.dz.get_domain_unit, domainIdentifier=domain["id"],
                      identifier="nosuchunit") == "ResourceNotFoundException"


def test_listing_children_pages(setup):
    admin, _, _, domain = setup
    parent = admin.dz.create_domain_unit(domainIdentifier=domain["id"], name=f"P{uuid.uuid4().hex[:6]}",
                                         parentDomainUnitIdentifier=domain["rootDomainUnitId"])
    for n in range(3):
        admin.dz.create_domain_unit(domainIdentifier=domain["id"], parentDomainUnitIdentifier=parent["id"],
                                    name=f"Child {n}")
    pages = admin.dz.get_paginator("list_domain_units_for_parent").paginate(
        domainIdentifier=domain["id"], parentDomainUnitIdentifier=parent["id"], PaginationConfig={"PageSize": 2})
    assert [item["name"] for page in pages for item in page["items"]] == ["Child 0", "Child 1", "Child 2"]
