"""Business glossaries and glossary terms through boto3: CRUD, visibility, ownership, relations, delete rules."""

import uuid
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError

from conftest import Caller
from scenario import World, build_world


def error_code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"]


@dataclass
class Glossaries:
    world: World
    viewer: Caller  # PROJECT_CATALOG_VIEWER of Sales: may read, may not change
    stranger: Caller  # no profile in the domain

    @property
    def domain(self) -> str:
        return self.world.domain_id

    def glossary(self, caller: Caller | None = None, **kwargs) -> dict:
        params = {"name": f"G-{uuid.uuid4().hex[:8]}", "owningProjectIdentifier": self.world.sales_id, **kwargs}
        return (caller or self.world.producer).dz.create_glossary(domainIdentifier=self.domain, **params)

    def term(self, glossary_id: str, caller: Caller | None = None, **kwargs) -> dict:
        params = {"name": f"T-{uuid.uuid4().hex[:8]}", **kwargs}
        return (caller or self.world.producer).dz.create_glossary_term(domainIdentifier=self.domain,
                                                                       glossaryIdentifier=glossary_id, **params)


@pytest.fixture(scope="module")
def g(server) -> Glossaries:
    world = build_world(server)
    viewer = server.user()
    world.admin.dz.create_user_profile(domainIdentifier=world.domain_id, userIdentifier=viewer.arn)
    world.producer.dz.create_project_membership(domainIdentifier=world.domain_id, projectIdentifier=world.sales_id,
                                                member={"userIdentifier": viewer.arn},
                                                designation="PROJECT_CATALOG_VIEWER")
    return Glossaries(world, viewer, server.user())


def user_id(g: Glossaries, caller: Caller) -> str:
    return g.world.admin.dz.get_user_profile(domainIdentifier=g.domain, userIdentifier=caller.arn)["id"]


# Glossaries


def test_create_and_get_a_glossary(g):
    created = g.glossary(description="Words of the business", usageRestrictions=["ASSET_GOVERNED_TERMS"])
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["domainId"] == g.domain and created["owningProjectId"] == g.world.sales_id
    assert created["status"] == "ENABLED" and created["usageRestrictions"] == ["ASSET_GOVERNED_TERMS"]
    assert len(created["id"]) == 14 and created["description"] == "Words of the business"
    fetched = g.world.producer.dz.get_glossary(domainIdentifier=g.domain, identifier=created["id"])
    assert {k: fetched[k] for k in ("id", "name", "description", "status", "usageRestrictions")} == {
        k: created[k] for k in ("id", "name", "description", "status", "usageRestrictions")}
    assert fetched["createdBy"] == user_id(g, g.world.producer)
    assert 0 <= (fetched["updatedAt"] - fetched["createdAt"]).total_seconds() < 1 and fetched["createdAt"].year >= 2024
    assert "updatedBy" not in fetched


def test_a_glossary_can_start_disabled_without_restrictions(g):
    created = g.glossary(status="DISABLED")
    assert created["status"] == "DISABLED" and "usageRestrictions" not in created and "description" not in created


def test_update_a_glossary(g):
    created = g.glossary()
    name = f"Renamed-{uuid.uuid4().hex[:6]}"
    updated = g.world.producer.dz.update_glossary(domainIdentifier=g.domain, identifier=created["id"], name=name,
                                                  description="new", status="DISABLED")
    assert (updated["name"], updated["description"], updated["status"]) == (name, "new", "DISABLED")
    fetched = g.world.producer.dz.get_glossary(domainIdentifier=g.domain, identifier=created["id"])
    assert fetched["name"] == name and fetched["status"] == "DISABLED"
    assert fetched["updatedBy"] == user_id(g, g.world.producer) and fetched["updatedAt"] >= fetched["createdAt"]
    kept = g.world.producer.dz.update_glossary(domainIdentifier=g.domain, identifier=created["id"], status="ENABLED")
    assert kept["name"] == name and kept["description"] == "new" and kept["status"] == "ENABLED"


def test_glossary_names_are_unique_per_domain(g):
    first, second = g.glossary(), g.glossary()
    assert error_code(g.world.producer.dz.create_glossary, domainIdentifier=g.domain, name=first["name"],
                      owningProjectIdentifier=g.world.sales_id) == "ConflictException"
    # the same name in another project of the domain still conflicts
    assert error_code(g.world.consumer.dz.create_glossary, domainIdentifier=g.domain, name=first["name"],
                      owningProjectIdentifier=g.world.analytics_id) == "ConflictException"
    assert error_code(g.world.producer.dz.update_glossary, domainIdentifier=g.domain, identifier=second["id"],
                      name=first["name"]) == "ConflictException"
    same = g.world.producer.dz.update_glossary(domainIdentifier=g.domain, identifier=first["id"], name=first["name"])
    assert same["name"] == first["name"]


def test_client_token_replays_a_create(g):
    params = dict(domainIdentifier=g.domain, name=f"G-{uuid.uuid4().hex[:8]}",
                  owningProjectIdentifier=g.world.sales_id, clientToken=uuid.uuid4().hex)
    first = g.world.producer.dz.create_glossary(**params)
    again = g.world.producer.dz.create_glossary(**params)
    assert again["id"] == first["id"]


def test_only_owners_and_contributors_of_the_owning_project_change_a_glossary(g):
    for caller in (g.world.consumer, g.viewer):
        assert error_code(caller.dz.create_glossary,
                          domainIdentifier=g.domain, name=f"G-{uuid.uuid4().hex[:8]}",
                          owningProjectIdentifier=g.world.sales_id) == "AccessDeniedException"
    created = g.glossary()
    for caller in (g.world.consumer, g.viewer):
        assert error_code(caller.dz.update_glossary, domainIdentifier=g.domain, identifier=created["id"],
                          description="mine") == "AccessDeniedException"
        assert error_code(caller.dz.delete_glossary, domainIdentifier=g.domain,
                          identifier=created["id"]) == "AccessDeniedException"
    assert error_code(g.stranger.dz.create_glossary, domainIdentifier=g.domain, name="x",
                      owningProjectIdentifier=g.world.sales_id) == "ResourceNotFoundException"
    assert "description" not in g.world.producer.dz.get_glossary(domainIdentifier=g.domain, identifier=created["id"])


def test_contributors_of_the_owning_project_change_glossaries_and_terms(g, server):
    contributor = server.user()
    g.world.admin.dz.create_user_profile(domainIdentifier=g.domain, userIdentifier=contributor.arn)
    g.world.producer.dz.create_project_membership(domainIdentifier=g.domain, projectIdentifier=g.world.sales_id,
                                                  member={"userIdentifier": contributor.arn},
                                                  designation="PROJECT_CONTRIBUTOR")
    glossary = g.glossary(contributor)
    term = g.term(glossary["id"], caller=contributor)
    assert contributor.dz.update_glossary_term(domainIdentifier=g.domain, identifier=term["id"],
                                               shortDescription="edited")["shortDescription"] == "edited"
    # and they change what other members of the project made
    theirs = g.glossary()
    assert contributor.dz.update_glossary(domainIdentifier=g.domain, identifier=theirs["id"],
                                          description="edited")["description"] == "edited"


def test_enabled_glossaries_are_readable_by_every_domain_user(g):
    created = g.glossary()
    for caller in (g.world.consumer, g.viewer, g.world.admin):
        assert caller.dz.get_glossary(domainIdentifier=g.domain, identifier=created["id"])["id"] == created["id"]
    assert error_code(g.stranger.dz.get_glossary, domainIdentifier=g.domain,
                      identifier=created["id"]) == "ResourceNotFoundException"


def test_disabled_glossaries_are_seen_only_by_the_owning_project(g):
    created = g.glossary(status="DISABLED")
    assert g.viewer.dz.get_glossary(domainIdentifier=g.domain, identifier=created["id"])["status"] == "DISABLED"
    assert error_code(g.world.consumer.dz.get_glossary, domainIdentifier=g.domain,
                      identifier=created["id"]) == "ResourceNotFoundException"
    assert error_code(g.world.consumer.dz.update_glossary, domainIdentifier=g.domain, identifier=created["id"],
                      status="ENABLED") == "ResourceNotFoundException"


def test_unknown_glossary_and_bad_input(g):
    assert error_code(g.world.producer.dz.get_glossary, domainIdentifier=g.domain,
                      identifier="nothere1234567") == "ResourceNotFoundException"
    assert error_code(g.world.producer.dz.create_glossary, domainIdentifier=g.domain, name="x",
                      owningProjectIdentifier="nothere1234567") == "ResourceNotFoundException"
    assert error_code(g.world.producer.dz.create_glossary, domainIdentifier=g.domain, name="x",
                      owningProjectIdentifier=g.world.sales_id, status="ARCHIVED") == "ValidationException"
    assert error_code(g.world.producer.dz.create_glossary, domainIdentifier=g.domain, name="x",
                      owningProjectIdentifier=g.world.sales_id,
                      usageRestrictions=["EVERYTHING"]) == "ValidationException"


def test_delete_a_glossary_only_when_disabled_and_empty(g):
    dz = g.world.producer.dz
    created = g.glossary()
    term = g.term(created["id"])
    assert error_code(dz.delete_glossary, domainIdentifier=g.domain, identifier=created["id"]) == "ConflictException"
    dz.update_glossary(domainIdentifier=g.domain, identifier=created["id"], status="DISABLED")
    assert error_code(dz.delete_glossary, domainIdentifier=g.domain, identifier=created["id"]) == "ConflictException"
    dz.delete_glossary_term(domainIdentifier=g.domain, identifier=term["id"])
    deleted = dz.delete_glossary(domainIdentifier=g.domain, identifier=created["id"])
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_code(dz.get_glossary, domainIdentifier=g.domain, identifier=created["id"]) == "ResourceNotFoundException"
    assert error_code(dz.delete_glossary, domainIdentifier=g.domain, identifier=created["id"]) == "ResourceNotFoundException"
    # the name is free again
    assert g.glossary(name=created["name"])["name"] == created["name"]


# Terms


def test_create_and_get_a_term(g):
    glossary = g.glossary(usageRestrictions=["ASSET_GOVERNED_TERMS"])
    created = g.term(glossary["id"], shortDescription="short", longDescription="long")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["glossaryId"] == glossary["id"] and created["domainId"] == g.domain
    assert created["status"] == "ENABLED" and created["usageRestrictions"] == ["ASSET_GOVERNED_TERMS"]
    assert (created["shortDescription"], created["longDescription"]) == ("short", "long")
    assert "termRelations" not in created
    fetched = g.world.producer.dz.get_glossary_term(domainIdentifier=g.domain, identifier=created["id"])
    assert {k: fetched[k] for k in ("id", "name", "glossaryId", "status", "shortDescription", "longDescription")} == {
        k: created[k] for k in ("id", "name", "glossaryId", "status", "shortDescription", "longDescription")}
    assert fetched["createdBy"] == user_id(g, g.world.producer) and "createdAt" in fetched


def test_term_names_are_unique_per_glossary(g):
    first_glossary, other_glossary = g.glossary(), g.glossary()
    term = g.term(first_glossary["id"])
    assert error_code(g.world.producer.dz.create_glossary_term, domainIdentifier=g.domain,
                      glossaryIdentifier=first_glossary["id"], name=term["name"]) == "ConflictException"
    assert g.term(other_glossary["id"], name=term["name"])["name"] == term["name"]
    second = g.term(first_glossary["id"])
    assert error_code(g.world.producer.dz.update_glossary_term, domainIdentifier=g.domain, identifier=second["id"],
                      name=term["name"]) == "ConflictException"


def test_update_a_term(g):
    glossary = g.glossary()
    created = g.term(glossary["id"], shortDescription="short")
    updated = g.world.producer.dz.update_glossary_term(domainIdentifier=g.domain, identifier=created["id"],
                                                       name="Revenue", longDescription="Money in", status="DISABLED")
    assert (updated["name"], updated["shortDescription"], updated["longDescription"], updated["status"]) == (
        "Revenue", "short", "Money in", "DISABLED")
    fetched = g.world.producer.dz.get_glossary_term(domainIdentifier=g.domain, identifier=created["id"])
    assert fetched["name"] == "Revenue" and fetched["updatedBy"] == user_id(g, g.world.producer)


def test_a_term_moves_to_another_glossary(g):
    source, target = g.glossary(), g.glossary()
    term = g.term(source["id"])
    moved = g.world.producer.dz.update_glossary_term(domainIdentifier=g.domain, identifier=term["id"],
                                                     glossaryIdentifier=target["id"])
    assert moved["glossaryId"] == target["id"]
    clash = g.term(source["id"], name=term["name"])
    assert error_code(g.world.producer.dz.update_glossary_term, domainIdentifier=g.domain, identifier=clash["id"],
                      glossaryIdentifier=target["id"]) == "ConflictException"
    theirs = g.glossary(g.world.consumer, owningProjectIdentifier=g.world.analytics_id)
    assert error_code(g.world.producer.dz.update_glossary_term, domainIdentifier=g.domain, identifier=term["id"],
                      glossaryIdentifier=theirs["id"]) == "AccessDeniedException"


def test_terms_cannot_be_added_to_a_disabled_glossary(g):
    glossary = g.glossary(status="DISABLED")
    assert error_code(g.world.producer.dz.create_glossary_term, domainIdentifier=g.domain,
                      glossaryIdentifier=glossary["id"], name="Anything") == "ConflictException"
    g.world.producer.dz.update_glossary(domainIdentifier=g.domain, identifier=glossary["id"], status="ENABLED")
    assert g.term(glossary["id"])["glossaryId"] == glossary["id"]


def test_only_owners_and_contributors_of_the_owning_project_change_terms(g):
    glossary = g.glossary()
    term = g.term(glossary["id"])
    for caller in (g.world.consumer, g.viewer):
        assert error_code(caller.dz.create_glossary_term, domainIdentifier=g.domain,
                          glossaryIdentifier=glossary["id"], name="Mine") == "AccessDeniedException"
        assert error_code(caller.dz.update_glossary_term, domainIdentifier=g.domain, identifier=term["id"],
                          shortDescription="mine") == "AccessDeniedException"
        assert error_code(caller.dz.delete_glossary_term, domainIdentifier=g.domain,
                          identifier=term["id"]) == "AccessDeniedException"


def test_terms_follow_the_visibility_of_their_glossary(g):
    glossary = g.glossary()
    enabled, disabled = g.term(glossary["id"]), g.term(glossary["id"], status="DISABLED")
    assert g.world.consumer.dz.get_glossary_term(domainIdentifier=g.domain, identifier=enabled["id"])["id"] == enabled["id"]
    assert g.viewer.dz.get_glossary_term(domainIdentifier=g.domain, identifier=disabled["id"])["status"] == "DISABLED"
    assert error_code(g.world.consumer.dz.get_glossary_term, domainIdentifier=g.domain,
                      identifier=disabled["id"]) == "ResourceNotFoundException"
    g.world.producer.dz.update_glossary(domainIdentifier=g.domain, identifier=glossary["id"], status="DISABLED")
    assert error_code(g.world.consumer.dz.get_glossary_term, domainIdentifier=g.domain,
                      identifier=enabled["id"]) == "ResourceNotFoundException"
    assert g.world.producer.dz.get_glossary_term(domainIdentifier=g.domain, identifier=enabled["id"])["id"] == enabled["id"]
    assert error_code(g.stranger.dz.get_glossary_term, domainIdentifier=g.domain,
                      identifier=enabled["id"]) == "ResourceNotFoundException"


# Relations


def test_term_relations_round_trip(g):
    glossary, other = g.glossary(), g.glossary(g.world.consumer, owningProjectIdentifier=g.world.analytics_id)
    customer = g.term(glossary["id"], name="Customer")
    retail, business = g.term(glossary["id"], name="Retail customer"), g.term(glossary["id"], name="Business customer")
    party = g.term(other["id"], name="Party", caller=g.world.consumer)  # another project's glossary, same domain
    made = g.term(glossary["id"], name="Buyer", termRelations={"isA": [customer["id"], party["id"]],
                                                              "classifies": [business["id"], retail["id"]]})
    assert made["termRelations"] == {"isA": [customer["id"], party["id"]], "classifies": [business["id"], retail["id"]]}
    fetched = g.world.consumer.dz.get_glossary_term(domainIdentifier=g.domain, identifier=made["id"])
    assert fetched["termRelations"] == made["termRelations"]
    # termRelations replaces every relation of the term; {} clears them
    updated = g.world.producer.dz.update_glossary_term(domainIdentifier=g.domain, identifier=made["id"],
                                                       termRelations={"isA": [customer["id"]]})
    assert updated["termRelations"] == {"isA": [customer["id"]]}
    untouched = g.world.producer.dz.update_glossary_term(domainIdentifier=g.domain, identifier=made["id"], name="Buyer")
    assert untouched["termRelations"] == {"isA": [customer["id"]]}
    cleared = g.world.producer.dz.update_glossary_term(domainIdentifier=g.domain, identifier=made["id"],
                                                       termRelations={})
    assert "termRelations" not in cleared


def test_related_terms_must_be_visible_terms_of_the_domain(g):
    glossary = g.glossary()
    term = g.term(glossary["id"])
    dz = g.world.producer.dz
    assert error_code(dz.create_glossary_term, domainIdentifier=g.domain, glossaryIdentifier=glossary["id"],
                      name="Orphan", termRelations={"isA": ["nothere1234567"]}) == "ValidationException"
    assert error_code(dz.create_glossary_term, domainIdentifier=g.domain, glossaryIdentifier=glossary["id"],
                      name="Orphan", termRelations={"classifies": [glossary["id"]]}) == "ValidationException"
    assert error_code(dz.update_glossary_term, domainIdentifier=g.domain, identifier=term["id"],
                      termRelations={"isA": [term["id"]]}) == "ValidationException"
    # a term of another domain is not a term of this one
    admin = g.world.admin
    elsewhere = admin.dz.create_domain(name=f"Other-{uuid.uuid4().hex[:6]}",
                                       domainExecutionRole="arn:aws:iam::000000000000:role/dz")["id"]
    project = admin.dz.create_project(domainIdentifier=elsewhere, name="Governance")["id"]
    foreign_glossary = admin.dz.create_glossary(domainIdentifier=elsewhere, name="Foreign",
                                                owningProjectIdentifier=project)["id"]
    foreign = admin.dz.create_glossary_term(domainIdentifier=elsewhere, glossaryIdentifier=foreign_glossary,
                                            name="Foreign term")["id"]
    assert error_code(dz.update_glossary_term, domainIdentifier=g.domain, identifier=term["id"],
                      termRelations={"isA": [foreign]}) == "ValidationException"
    assert error_code(admin.dz.get_glossary_term, domainIdentifier=g.domain,
                      identifier=foreign) == "ResourceNotFoundException"
    # a disabled term of someone else's glossary is invisible, so it cannot be related to either
    theirs = g.glossary(g.world.consumer, owningProjectIdentifier=g.world.analytics_id)
    hidden = g.term(theirs["id"], caller=g.world.consumer, status="DISABLED")
    assert error_code(dz.update_glossary_term, domainIdentifier=g.domain, identifier=term["id"],
                      termRelations={"isA": [hidden["id"]]}) == "ValidationException"
    assert "termRelations" not in dz.get_glossary_term(domainIdentifier=g.domain, identifier=term["id"])


def test_relations_cannot_loop(g):
    glossary = g.glossary()
    parent = g.term(glossary["id"])
    child = g.term(glossary["id"], termRelations={"isA": [parent["id"]]})
    dz = g.world.producer.dz
    assert error_code(dz.update_glossary_term, domainIdentifier=g.domain, identifier=parent["id"],
                      termRelations={"isA": [child["id"]]}) == "ValidationException"
    grandchild = g.term(glossary["id"], termRelations={"isA": [child["id"]]})
    assert error_code(dz.update_glossary_term, domainIdentifier=g.domain, identifier=parent["id"],
                      termRelations={"isA": [grandchild["id"]]}) == "ValidationException"
    assert error_code(dz.update_glossary_term, domainIdentifier=g.domain, identifier=grandchild["id"],
                      termRelations={"isA": [child["id"]], "classifies": [parent["id"]]}) == "ValidationException"
    assert error_code(dz.update_glossary_term, domainIdentifier=g.domain, identifier=child["id"],
                      termRelations={"isA": [parent["id"]], "classifies": [parent["id"]]}) == "ValidationException"
    # the failed updates changed nothing
    assert dz.get_glossary_term(domainIdentifier=g.domain, identifier=child["id"])["termRelations"] == {
        "isA": [parent["id"]]}
    assert "termRelations" not in dz.get_glossary_term(domainIdentifier=g.domain, identifier=parent["id"])
    # turning the hierarchy upside down is no loop: a term's own relations are replaced, not added to
    flipped = dz.update_glossary_term(domainIdentifier=g.domain, identifier=child["id"],
                                      termRelations={"classifies": [parent["id"]]})
    assert flipped["termRelations"] == {"classifies": [parent["id"]]}


def test_a_related_term_cannot_be_deleted(g):
    glossary = g.glossary()
    parent = g.term(glossary["id"])
    child = g.term(glossary["id"], termRelations={"isA": [parent["id"]]})
    dz = g.world.producer.dz
    assert error_code(dz.delete_glossary_term, domainIdentifier=g.domain, identifier=parent["id"]) == "ConflictException"
    assert error_code(dz.delete_glossary_term, domainIdentifier=g.domain, identifier=child["id"]) == "ConflictException"
    dz.update_glossary_term(domainIdentifier=g.domain, identifier=child["id"], termRelations={})
    deleted = dz.delete_glossary_term(domainIdentifier=g.domain, identifier=parent["id"])
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_code(dz.get_glossary_term, domainIdentifier=g.domain, identifier=parent["id"]) == "ResourceNotFoundException"
    dz.delete_glossary_term(domainIdentifier=g.domain, identifier=child["id"])
    assert error_code(dz.delete_glossary_term, domainIdentifier=g.domain, identifier=child["id"]) == "ResourceNotFoundException"
