"""The search index lives in the metadata database and changes in the same transaction as the listing."""

import json
import uuid

import pytest
from sqlalchemy import select, text, update

from openzone.catalog import service as catalog
from openzone.catalog.models import Asset, AssetRevision, Listing
from openzone.db.session import get_engine, session_scope
from openzone.domains.models import Domain
from openzone.glossary.models import Glossary, GlossaryTerm
from openzone.identity.models import User
from openzone.projects.models import Project, ProjectMember
from openzone.search import index
from openzone.search import service as search
from openzone.search.models import SearchAttribute, SearchDocument


class Boom(Exception):
    pass


@pytest.fixture(scope="module")
def url(isolated_database_url):
    return isolated_database_url


@pytest.fixture(scope="module")
def world(url):
    """A user owning a project in a domain (rows written directly: the catalog service is what we exercise)."""
    suffix = uuid.uuid4().hex[:10]
    with session_scope(url) as session:
        user = User(id=f"u{suffix}", name=f"indexer-{suffix}", is_admin=True)
        session.add(user)
        session.flush()
        domain = Domain(id=f"dzd_{suffix}", name=f"d-{suffix}", root_domain_unit_id="root", created_by=user.id)
        session.add(domain)
        session.flush()
        project = Project(id=f"p{suffix}", domain_id=domain.id, name="Sales", created_by=user.id)
        session.add(project)
        session.flush()
        session.add(ProjectMember(project_id=project.id, user_id=user.id, designation="PROJECT_OWNER"))
    return {"user": user, "domain": domain.id, "project": project.id}


def _form(table: str, columns: list[str]) -> dict:
    content = {"databaseName": "sales_db", "tableName": table, "tableDescription": "",
               "columns": [{"columnName": c, "dataType": "string"} for c in columns]}
    return {"formName": "GlueTableForm", "typeName": "amazon.datazone.GlueTableFormType", "typeRevision": "1",
            "content": json.dumps(content)}


def make_asset(session, world, name: str, table: str, columns: list[str], description: str = "",
               terms: list[str] | None = None) -> Asset:
    asset = Asset(id=uuid.uuid4().hex[:14], domain_id=world["domain"], owning_project_id=world["project"],
                  type_identifier="amazon.datazone.GlueTableAssetType", type_revision="1", revision=1,
                  created_by=world["user"].id)
    session.add(asset)
    session.flush()
    session.add(AssetRevision(asset_id=asset.id, revision=1, name=name, description=description,
                              forms=[_form(table, columns)], glossary_terms=terms, created_by=world["user"].id))
    session.flush()
    return asset


def new_revision(session, asset: Asset, name: str, table: str, columns: list[str], user_id: str) -> None:
    asset = session.get(Asset, asset.id)
    asset.revision += 1
    session.add(AssetRevision(asset_id=asset.id, revision=asset.revision, name=name, description="",
                              forms=[_form(table, columns)], created_by=user_id))
    session.flush()


def change(session, world, asset_id: str, action: str = "PUBLISH") -> Listing:
    return catalog.change_listing(session, world["user"], world["domain"],
                                  {"entityType": "ASSET", "entityIdentifier": asset_id, "action": action})


def document(url, listing_id: str) -> SearchDocument | None:
    with session_scope(url) as session:
        return session.scalar(select(SearchDocument).where(SearchDocument.kind == "LISTING",
                                                           SearchDocument.entity_id == listing_id))


def found(url, world, query: str) -> list[str]:
    with session_scope(url) as session:
        result = search.search_listings(session, world["user"], world["domain"], search.Request(text=query, limit=100))
        return [hit.entity_id for hit in result.hits]


def verify(url) -> list[str]:
    with session_scope(url) as session:
        return index.verify(session.connection())


def test_published_republished_and_unpublished_listing_document_follows(url, world):
    with session_scope(url) as session:
        asset = make_asset(session, world, "Market Loss by Month", "mkt_loss_mth_table", ["mtm_loss_amt", "desk_cd"],
                           "Monthly write-downs")
        listing_id = change(session, world, asset.id).id
    doc = document(url, listing_id)
    assert doc.status == "ACTIVE" and doc.name == "Market Loss by Month" and doc.domain_id == world["domain"]
    assert doc.technical_terms.split()[:4] == ["mkt", "loss", "mth", "table"] and "market" in doc.technical_terms
    assert "mtm" in doc.column_terms.split() and "write" in doc.description_terms.split()
    assert "sales" in doc.form_terms.split()  # the database name is form text, not part of the name
    assert found(url, world, "market loss") == [listing_id]

    with session_scope(url) as session:
        new_revision(session, asset, "Loss Ledger", "loss_ledger", ["ledger_amt"], world["user"].id)
        assert change(session, world, asset.id).revision == 2
    doc = document(url, listing_id)
    assert doc.name == "Loss Ledger" and doc.technical_terms.split()[:2] == ["loss", "ledger"]
    assert "mtm" not in doc.column_terms.split() and found(url, world, "ledger") == [listing_id]
    assert found(url, world, "mtm") == []

    with session_scope(url) as session:
        change(session, world, asset.id, "UNPUBLISH")
    assert document(url, listing_id).status == "INACTIVE" and found(url, world, "ledger") == []
    with session_scope(url) as session:
        change(session, world, asset.id)
    assert document(url, listing_id).status == "ACTIVE" and found(url, world, "ledger") == [listing_id]
    assert verify(url) == []


def test_a_rolled_back_change_leaves_the_index_as_it_was(url, world):
    with session_scope(url) as session:
        asset = make_asset(session, world, "Quarterly Zorbl Figures", "zorbl_qtr", ["zorbl_amt"])
        listing_id = change(session, world, asset.id).id
    before = document(url, listing_id)

    # A republish under a new name that fails later in the same transaction.
    with pytest.raises(Boom), session_scope(url) as session:
        new_revision(session, asset, "Renamed Snargle", "snargle", ["snargle_amt"], world["user"].id)
        change(session, world, asset.id)
        # Inside the transaction the index already says the new thing (same connection, same transaction).
        assert document_in(session, listing_id).name == "Renamed Snargle"
        result = search.search_listings(session, world["user"], world["domain"], search.Request(text="snargle"))
        assert [hit.entity_id for hit in result.hits] == [listing_id]
        raise Boom
    after = document(url, listing_id)
    assert (after.id, after.name, after.name_terms, after.column_terms) == (
        before.id, before.name, before.name_terms, before.column_terms)
    assert found(url, world, "snargle") == [] and found(url, world, "zorbl") == [listing_id]

    # A first publish that rolls back leaves no document at all.
    with session_scope(url) as session:
        fresh = make_asset(session, world, "Never Published Wibble", "wibble", ["wibble_id"])
    with pytest.raises(Boom), session_scope(url) as session:
        change(session, world, fresh.id)
        raise Boom
    with session_scope(url) as session:
        assert session.scalar(select(Listing).where(Listing.asset_id == fresh.id)) is None
        assert session.scalar(select(SearchDocument).where(SearchDocument.kind == "LISTING",
                                                           SearchDocument.name == "Never Published Wibble")) is None
    assert found(url, world, "wibble") == [] and verify(url) == []


def document_in(session, listing_id: str) -> SearchDocument:
    return session.execute(select(SearchDocument.name).where(SearchDocument.kind == "LISTING",
                                                              SearchDocument.entity_id == listing_id)).one()


def test_a_deleted_listing_takes_its_document_along(url, world):
    with session_scope(url) as session:
        asset = make_asset(session, world, "Ephemeral Quokka", "quokka", ["quokka_id"])
        listing_id = change(session, world, asset.id).id
    assert document(url, listing_id) is not None
    with session_scope(url) as session:
        session.delete(session.get(Listing, listing_id))
    assert document(url, listing_id) is None and found(url, world, "quokka") == [] and verify(url) == []


def test_verify_finds_a_tampered_index_and_reindex_repairs_it(url, world):
    with session_scope(url) as session:
        asset = make_asset(session, world, "Tamper Target Numbat", "numbat", ["numbat_amt"])
        listing_id = change(session, world, asset.id).id
    assert verify(url) == []
    with session_scope(url) as session:  # the document says something the listing does not
        session.execute(update(SearchDocument).where(SearchDocument.kind == "LISTING", SearchDocument.entity_id == listing_id)
                        .values(name_terms="bogus", status="INACTIVE"))
    problems = verify(url)
    assert any(listing_id in p and "name_terms" in p for p in problems)
    assert any(listing_id in p and "status" in p for p in problems)
    assert found(url, world, "numbat") == []  # what a drifted index does: hides the listing
    with session_scope(url) as session:
        assert index.reindex(session.connection()) >= 1
    assert verify(url) == [] and found(url, world, "numbat") == [listing_id]

    # The engine index itself drifts from the documents (written around the triggers).
    engine = get_engine(url)
    with engine.begin() as connection:
        row = connection.execute(select(SearchDocument.__table__).where(SearchDocument.kind == "LISTING", SearchDocument.entity_id == listing_id)).mappings().one()
        if engine.dialect.name == "sqlite":
            values = ", ".join(f":{f}" for f in index.FTS_COLUMNS)
            connection.execute(text(f"INSERT INTO search_documents_fts(search_documents_fts, rowid, {', '.join(index.FTS_COLUMNS)}) "
                                    f"VALUES ('delete', :id, {values})"), dict(row))
        else:
            connection.execute(text("ALTER TABLE search_documents DISABLE TRIGGER search_documents_vector"))
            connection.execute(text("UPDATE search_documents SET search_vector = to_tsvector('simple', 'junk') "
                                    "WHERE id = :id"), {"id": row["id"]})
            connection.execute(text("ALTER TABLE search_documents ENABLE TRIGGER search_documents_vector"))
    assert verify(url) != [] and found(url, world, "numbat") == []
    with session_scope(url) as session:
        index.reindex(session.connection())
    assert verify(url) == [] and found(url, world, "numbat") == [listing_id]


def test_a_missing_document_is_reported(url, world):
    with session_scope(url) as session:
        asset = make_asset(session, world, "Forgotten Pangolin", "pangolin", ["pangolin_id"])
        listing_id = change(session, world, asset.id).id
        session.flush()
    with get_engine(url).begin() as connection:
        connection.execute(text("DELETE FROM search_documents WHERE entity_id = :id"), {"id": listing_id})
    assert any("missing document" in p and listing_id in p for p in verify(url))
    with session_scope(url) as session:
        index.reindex(session.connection())
    assert verify(url) == []


def test_glossary_term_names_are_indexed_and_follow_a_rename(url, world):
    with session_scope(url) as session:
        glossary = Glossary(id=uuid.uuid4().hex[:14], domain_id=world["domain"], owning_project_id=world["project"],
                            name=f"g-{uuid.uuid4().hex[:6]}", created_by=world["user"].id)
        session.add(glossary)
        session.flush()
        term = GlossaryTerm(id=uuid.uuid4().hex[:14], domain_id=world["domain"], glossary_id=glossary.id,
                            name="Mark to Market", created_by=world["user"].id)
        session.add(term)
        session.flush()
        asset = make_asset(session, world, "Desk Valuations", "desk_val", ["val_amt"], terms=[term.id])
        listing_id = change(session, world, asset.id).id
    assert document(url, listing_id).glossary_terms.split()[:3] == ["mark", "to", "market"]
    assert found(url, world, "mark to market")[0] == listing_id
    with session_scope(url) as session:
        session.get(GlossaryTerm, term.id).name = "Fair Value Hierarchy"
    assert "hierarchy" in document(url, listing_id).glossary_terms.split()
    assert found(url, world, "fair value hierarchy") == [listing_id] and verify(url) == []


def test_the_migration_indexes_listings_that_already_exist(tmp_path):
    import sqlalchemy as sa
    from alembic import command
    from sqlalchemy import insert

    from openzone.db.types import utcnow

    from openzone.db.migrate import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0003")
    with get_engine(url).begin() as connection:  # rows as an older openzone wrote them (no listener)
        connection.execute(insert(User.__table__).values(id="u1", name="old", is_admin=True))
        connection.execute(insert(Domain.__table__).values(id="dzd_old", name="d", root_domain_unit_id="r",
                                                           created_by="u1", settings={}))
        connection.execute(insert(Project.__table__).values(id="p1", domain_id="dzd_old", name="P", created_by="u1"))
        connection.execute(insert(Asset.__table__).values(id="a1", domain_id="dzd_old", owning_project_id="p1",
                                                          type_identifier="t", type_revision="1", revision=1,
                                                          created_by="u1"))
        # The listings table of 0003 still has search_text (dropped in 0005), so not the current model.
        old_listings = sa.table("listings", *(sa.column(c.name, c.type) for c in Listing.__table__.columns),
                                sa.column("search_text", sa.Text()))
        connection.execute(insert(old_listings).values(
            id="l1", domain_id="dzd_old", asset_id="a1", owning_project_id="p1", revision=1, asset_revision=1,
            status="ACTIVE", name="Legacy Ledger", asset_type="t", search_text="legacy ledger", created_by="u1",
            created_at=utcnow(), updated_at=utcnow(),
            forms={"GlueTableForm": {"tableName": "legacy_ledger", "columns": [{"columnName": "old_amt"}]}}))
    upgrade(url)
    assert document(url, "l1").technical_terms.split()[:2] == ["legacy", "ledger"]
    assert verify(url) == []


def kind_document(url, kind: str, entity_id: str) -> SearchDocument | None:
    with session_scope(url) as session:
        return session.scalar(select(SearchDocument).where(SearchDocument.kind == kind,
                                                           SearchDocument.entity_id == entity_id))


def attributes_of(url, kind: str, entity_id: str) -> set[tuple]:
    with session_scope(url) as session:
        return set(session.execute(select(SearchAttribute.attribute, SearchAttribute.string_value)
                                   .join(SearchDocument, SearchDocument.id == SearchAttribute.doc_id)
                                   .where(SearchDocument.kind == kind, SearchDocument.entity_id == entity_id)).all())


def test_assets_glossaries_and_terms_are_documents_with_attributes(url, world):
    with session_scope(url) as session:
        glossary = Glossary(id=uuid.uuid4().hex[:14], domain_id=world["domain"], owning_project_id=world["project"],
                            name=f"okapi-{uuid.uuid4().hex[:6]}", description="Zoo words", created_by=world["user"].id)
        session.add(glossary)
        session.flush()
        term = GlossaryTerm(id=uuid.uuid4().hex[:14], domain_id=world["domain"], glossary_id=glossary.id,
                            name="Net Revenue", created_by=world["user"].id)
        session.add(term)
        session.flush()
        asset = make_asset(session, world, "Inventory Only Okapi", "okapi_counts", ["okapi_amt"], terms=[term.id])
    doc = kind_document(url, "ASSET", asset.id)
    assert doc.owning_project_id == world["project"] and doc.type_name == "amazon.datazone.GlueTableAssetType"
    assert "okapi" in doc.name_terms.split() and "net" in doc.glossary_terms.split()
    assert {("GlueTableForm.tableName", "okapi_counts"), ("GlueTableForm.columns.columnName", "okapi_amt"),
            ("__DataZoneGlossaryTerms", term.id), ("amazonmetadata.sourceCategory", "asset")} <= attributes_of(
        url, "ASSET", asset.id)
    assert kind_document(url, "GLOSSARY", glossary.id).status == "ENABLED"
    assert kind_document(url, "GLOSSARY_TERM", term.id).owning_project_id == world["project"]
    assert kind_document(url, "LISTING", asset.id) is None  # inventory is not the catalog
    with session_scope(url) as session:  # a renamed term rewrites the inventory documents that carry it
        session.get(GlossaryTerm, term.id).name = "Gross Margin"
    assert "margin" in kind_document(url, "ASSET", asset.id).glossary_terms.split()
    assert verify(url) == []

    with get_engine(url).begin() as connection:  # attribute rows lost around the listener
        connection.execute(text("DELETE FROM search_attributes WHERE doc_id = :id"),
                           {"id": kind_document(url, "ASSET", asset.id).id})
    assert any(asset.id in p and "attributes" in p for p in verify(url))
    with session_scope(url) as session:
        index.reindex(session.connection())
    assert verify(url) == [] and ("GlueTableForm.tableName", "okapi_counts") in attributes_of(url, "ASSET", asset.id)

    with session_scope(url) as session:
        session.delete(session.get(GlossaryTerm, term.id))
        session.delete(session.get(Asset, asset.id))
    assert kind_document(url, "ASSET", asset.id) is None and kind_document(url, "GLOSSARY_TERM", term.id) is None
    assert attributes_of(url, "ASSET", asset.id) == set() and verify(url) == []


def test_listings_rank_the_same_from_their_prepared_documents_or_their_entities(url, world):
    """The re-ranker reads rank_doc; a document without one (indexed before 0022) is prepared from its
    entity, in the same order; a rank_doc that disagrees with the entity is reported by verify."""
    with session_scope(url) as session:
        ids = [change(session, world, make_asset(session, world, name, table, columns).id).id for name, table, columns in (
            ("Dingo Sightings", "dingo_sightings", ["dingo_id", "seen_at"]),
            ("Dingo", "dingo", ["dingo_id"]),
            ("Park Visits", "park_visits", ["dingo_seen", "visitor_cnt"]))]
    prepared_order = found(url, world, "dingo")
    assert prepared_order[0] == ids[1] and set(prepared_order) == set(ids)
    with session_scope(url) as session:
        session.execute(update(SearchDocument).where(SearchDocument.entity_id.in_(ids)).values(rank_doc=None))
    assert found(url, world, "dingo") == prepared_order
    assert verify(url) == []  # not prepared yet is not a difference
    with session_scope(url) as session:
        session.execute(update(SearchDocument).where(SearchDocument.entity_id == ids[2]).values(
            rank_doc=index.relevance.dumps(index.relevance.prepare(index.relevance.Document(name="Other")))))
    assert any(ids[2] in p and "rank_doc" in p for p in verify(url))
    with session_scope(url) as session:
        assert index.reindex(session.connection()) >= 3
    assert verify(url) == [] and found(url, world, "dingo") == prepared_order


def _stored(url, kind: str) -> dict[str, tuple]:
    """Every stored document of a kind (without its id) with its attribute rows, by entity id."""
    with session_scope(url) as session:
        docs = session.execute(select(SearchDocument).where(SearchDocument.kind == kind)).scalars().all()
        rows = session.execute(select(SearchDocument.entity_id, SearchAttribute.attribute, SearchAttribute.string_value,
                                      SearchAttribute.int_value)
                               .join(SearchDocument, SearchDocument.id == SearchAttribute.doc_id)
                               .where(SearchDocument.kind == kind)).all()
        columns = [c.name for c in SearchDocument.__table__.c if c.name != "id"]
        return {d.entity_id: (tuple(getattr(d, c) for c in columns),
                              sorted((a, s or "", i or 0) for e, a, s, i in rows if e == d.entity_id)) for d in docs}


def test_a_bulk_reindex_writes_what_the_listener_writes(url, world):
    """A reindex writes big batches its own way (PostgreSQL: COPY): the same documents, vectors and attributes."""
    with session_scope(url) as session:
        made = [make_asset(session, world, f"Bandicoot Ledger {i}", f"bandicoot_{i}", ["region_cd", f"amt_{i}"],
                           description=f"Daily bandicoot counts {i}") for i in range(index.COPY_FROM + 5)]
    before = _stored(url, "ASSET")
    with session_scope(url) as session:
        counts: dict[str, int] = {}
        index.reindex(session.connection(), ["ASSET"], counts)
    assert counts["ASSET"] >= len(made) and _stored(url, "ASSET") == before and verify(url) == []
    with session_scope(url) as session:  # the text and a filter token find them through the engine
        result = search.search_inventory(session, world["user"], world["domain"], "ASSET", None, search.Request(
            text="bandicoot", filters={"filter": {"attribute": "GlueTableForm.tableName", "value": "bandicoot_3"}}))
    assert [hit.entity_id for hit in result.hits] == [made[3].id]
