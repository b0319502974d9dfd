"""GetAsset's one-query read path (catalog/asset_view.py) against the entity-by-entity path it replaces.

For every case the two paths must give the same output, field for field (forms, read-only forms with the
predictions' SuggestionForm, glossary and governed terms, listing status, revisions), or the same refusal.
"""

import json
import uuid

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

from openzone.catalog import assets, routes
from openzone.catalog.asset_view import asset_view
from openzone.db.session import session_scope
from openzone.enrichment import predictions
from openzone.errors import OpenzoneError
from openzone.identity.models import User
from scenario import build_world


@pytest.fixture(scope="module")
def world(server):
    world = build_world(server)
    dz, domain = world.producer.dz, world.domain_id
    restricted = dz.create_glossary(domainIdentifier=domain, name=f"Classification-{uuid.uuid4().hex[:6]}",
                                    owningProjectIdentifier=world.sales_id, usageRestrictions=["ASSET_GOVERNED_TERMS"])
    business = dz.create_glossary(domainIdentifier=domain, name=f"Business-{uuid.uuid4().hex[:6]}",
                                  owningProjectIdentifier=world.sales_id)
    world.governed = [dz.create_glossary_term(domainIdentifier=domain, glossaryIdentifier=restricted["id"],
                                              name=name)["id"] for name in ("PII", "PCI", "Confidential")]
    world.term = dz.create_glossary_term(domainIdentifier=domain, glossaryIdentifier=business["id"],
                                         name="Revenue")["id"]
    world.outsider = server.user()
    other = world.admin.dz.create_domain(name=f"other-{uuid.uuid4().hex[:6]}",
                                         domainExecutionRole="arn:aws:iam::123456789012:role/dz")
    world.other_domain = other["id"]
    return world


def redshift_asset(world, predicted: bool = True, **extra) -> dict:
    content = {"databaseName": "dev", "schemaName": "public", "tableName": "store_sales",
               "columns": [{"columnName": c, "dataType": "int"} for c in ("ss_item_sk", "ss_net_paid")]}
    params = {"domainIdentifier": world.domain_id, "owningProjectIdentifier": world.sales_id,
              "name": f"sales-{uuid.uuid4().hex[:6]}", "typeIdentifier": "amazon.datazone.RedshiftTableAssetType",
              "formsInput": [{"formName": "RedshiftTableForm", "content": json.dumps(content)}], **extra}
    if predicted:
        params["predictionConfiguration"] = {"businessNameGeneration": {"enabled": True}}
    return world.producer.dz.create_asset(**params)


def both_paths(server, caller_name: str, domain_id: str, asset_id: str, revision: str | None = None):
    """(old, new): each the rendered asset, or the (error class, message) it was refused with."""
    results = []
    for path in ("entities", "view"):
        with session_scope(server.settings.metadata_url) as session:
            actor = session.scalar(select(User).where(User.name == caller_name))
            try:
                if path == "entities":
                    results.append(routes._asset(*assets.get_asset(session, actor, domain_id, asset_id, revision)))
                else:
                    view = asset_view(session, actor, domain_id, asset_id, revision)
                    results.append(routes._render(view.asset, view.revision, view.listing,
                                                  predictions.suggestion_forms(view.predictions),
                                                  view.governed_terms))
            except OpenzoneError as error:
                results.append((type(error).__name__, error.message))
    return results


def assert_same(server, caller, domain_id, asset_id, revision=None) -> dict:
    old, new = both_paths(server, caller.name, domain_id, asset_id, revision)
    assert new == old
    return new


def test_every_field_matches_the_entity_path(server, world):
    dz, domain = world.producer.dz, world.domain_id
    asset = redshift_asset(world, glossaryTerms=[world.term], description="sales by item")
    # Governed terms in an order that is not their ids' order: the output keeps the order they were attached in.
    for term in (world.governed[2], world.governed[0], world.governed[1]):
        dz.associate_governed_terms(domainIdentifier=domain, entityType="ASSET", entityIdentifier=asset["id"],
                                    governedGlossaryTerms=[term])
    dz.create_listing_change_set(domainIdentifier=domain, entityIdentifier=asset["id"], entityType="ASSET",
                                 action="PUBLISH")
    dz.create_asset_revision(domainIdentifier=domain, identifier=asset["id"], name="sales v2",
                             predictionConfiguration={"businessNameGeneration": {"enabled": False}})
    for caller in (world.producer, world.admin):
        latest = assert_same(server, caller, domain, asset["id"])
        first = assert_same(server, caller, domain, asset["id"], "1")
        assert latest["revision"] == "2" and first["revision"] == "1"
    assert first["governedGlossaryTerms"] == [world.governed[2], world.governed[0], world.governed[1]]
    assert first["glossaryTerms"] == [world.term] and first["listing"]["listingStatus"] == "ACTIVE"
    assert [f["formName"] for f in first["readOnlyFormsOutput"]] == ["SuggestionForm"]
    assert latest["readOnlyFormsOutput"] is None  # generation was off for revision 2
    # What boto3 gets is that same output.
    fetched = dz.get_asset(domainIdentifier=domain, identifier=asset["id"], revision="1")
    assert fetched["governedGlossaryTerms"] == first["governedGlossaryTerms"]
    assert fetched["readOnlyFormsOutput"][0]["content"] == first["readOnlyFormsOutput"][0]["content"]
    assert fetched["formsOutput"] == first["formsOutput"]

    dz.create_listing_change_set(domainIdentifier=domain, entityIdentifier=asset["id"], entityType="ASSET",
                                 action="UNPUBLISH")
    assert assert_same(server, world.producer, domain, asset["id"])["listing"]["listingStatus"] == "INACTIVE"
    dz.delete_listing(domainIdentifier=domain, identifier=first["listing"]["listingId"])
    assert assert_same(server, world.producer, domain, asset["id"])["listing"] is None


def test_a_bare_asset_matches_too(server, world):
    asset = redshift_asset(world, predicted=False)
    view = assert_same(server, world.producer, world.domain_id, asset["id"])
    assert view["listing"] is None and view["governedGlossaryTerms"] is None and view["readOnlyFormsOutput"] is None


def test_refusals_are_the_same(server, world):
    asset = redshift_asset(world, predicted=False)
    domain, asset_id = world.domain_id, asset["id"]
    cases = [
        (world.consumer, domain, asset_id, None, "NotFoundError"),  # a domain user, not a member of Sales
        (world.outsider, domain, asset_id, None, "NotFoundError"),  # not a user of the domain
        (world.producer, "dzd_nothere", asset_id, None, "NotFoundError"),
        (world.producer, domain, "nothere", None, "NotFoundError"),
        (world.admin, world.other_domain, asset_id, None, "NotFoundError"),  # the asset is in another domain
        (world.producer, domain, asset_id, "abc", "ValidationError"),
        (world.producer, domain, asset_id, "9", "NotFoundError"),
        (world.consumer, domain, asset_id, "abc", "NotFoundError"),  # the checks come before the revision's
    ]
    for caller, domain_id, identifier, revision, kind in cases:
        refusal = assert_same(server, caller, domain_id, identifier, revision)
        assert refusal[0] == kind, (caller.name, domain_id, identifier, revision)
    # A revision beyond an INTEGER column (the entity path failed on it with a database error): not found.
    with pytest.raises(ClientError) as raised:
        world.producer.dz.get_asset(domainIdentifier=domain, identifier=asset_id, revision="1" * 30)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    # Through boto3: the stranger and the non-member get the same ResourceNotFound as before.
    for caller in (world.consumer, world.outsider):
        with pytest.raises(ClientError) as raised:
            caller.dz.get_asset(domainIdentifier=domain, identifier=asset_id)
        assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
