"""The text query's bounded pool (service.POOL): a narrow scope still finds its own matches."""

import json
import uuid

import pytest

from openzone.catalog.models import Asset, AssetRevision
from openzone.db.session import session_scope
from openzone.domains.models import Domain, UserProfile
from openzone.identity.models import User
from openzone.projects.models import Project, ProjectMember
from openzone.search import service as search


@pytest.fixture(scope="module")
def world(isolated_database_url):
    url, suffix = isolated_database_url, uuid.uuid4().hex[:10]
    with session_scope(url) as session:
        owner = User(id=f"o{suffix}", name=f"owner-{suffix}", is_admin=False)
        member = User(id=f"m{suffix}", name=f"member-{suffix}", is_admin=False)
        session.add_all([owner, member])
        session.flush()
        session.add(Domain(id=f"dzd_{suffix}", name=f"d-{suffix}", root_domain_unit_id="root", created_by=owner.id))
        session.flush()
        session.add_all([UserProfile(domain_id=f"dzd_{suffix}", user_id=u.id) for u in (owner, member)])
        for project, user in ((f"a{suffix}", member), (f"b{suffix}", owner)):
            session.add(Project(id=project, domain_id=f"dzd_{suffix}", name=project, created_by=user.id))
            session.flush()
            session.add(ProjectMember(project_id=project, user_id=user.id, designation="PROJECT_OWNER"))
        session.flush()
    return {"url": url, "domain": f"dzd_{suffix}", "mine": f"a{suffix}", "theirs": f"b{suffix}", "member": member}


def add_asset(session, world, project: str, name: str, terms: list[str] | None = None) -> str:
    asset = Asset(id=uuid.uuid4().hex[:14], domain_id=world["domain"], owning_project_id=project,
                  type_identifier="amazon.datazone.GlueTableAssetType", type_revision="1", revision=1,
                  created_by=world["member"].id)
    session.add(asset)
    session.flush()
    content = json.dumps({"databaseName": "db", "tableName": name.lower().replace(" ", "_"), "columns": []})
    session.add(AssetRevision(asset_id=asset.id, revision=1, name=name, glossary_terms=terms, forms=[{
        "formName": "GlueTableForm", "typeName": "amazon.datazone.GlueTableFormType", "typeRevision": "1",
        "content": content}], created_by=world["member"].id))
    session.flush()
    return asset.id


def test_a_narrow_scope_finds_its_matches_beyond_the_pool(world, monkeypatch):
    with session_scope(world["url"]) as session:
        mine = {add_asset(session, world, world["mine"], f"Quokka Ledger {i}") for i in range(2)}
        for i in range(12):  # newer matches in a project the member cannot see: the first in the pool
            add_asset(session, world, world["theirs"], f"Quokka Journal {i}")
    monkeypatch.setattr(search, "POOL", 5)
    with session_scope(world["url"]) as session:
        result = search.search_inventory(session, world["member"], world["domain"], "ASSET", None,
                                         search.Request(text="quokka"))
        assert {hit.entity_id for hit in result.hits} == mine and result.total == 2
        # A page deeper than what the pool holds in scope also looks further.
        deep = search.search_inventory(session, world["member"], world["domain"], "ASSET", None,
                                       search.Request(text="quokka", offset=1, limit=1))
        assert len(deep.hits) == 1 and deep.total == 2


def test_the_pool_is_the_most_recent_matches(world, monkeypatch):
    """SQLite's pool: the POOL most recently indexed matches (PostgreSQL's is in table order, unspecified)."""
    if not world["url"].startswith("sqlite"):
        pytest.skip("the pool's order is SQLite's (FTS5 rowids)")
    with session_scope(world["url"]) as session:
        made = [add_asset(session, world, world["mine"], f"Wombat Ledger {i}") for i in range(8)]
    monkeypatch.setattr(search, "POOL", 5)
    with session_scope(world["url"]) as session:
        request = search.Request(text="wombat", limit=2)
        result = search.search_inventory(session, world["member"], world["domain"], "ASSET", None, request)
        assert result.total == 5 and {hit.entity_id for hit in result.hits} <= set(made[3:])
        # Every one of the five most recent is a candidate: the whole pool pages through.
        pages = [search.search_inventory(session, world["member"], world["domain"], "ASSET", None,
                                         search.Request(text="wombat", offset=offset, limit=2))
                 for offset in (0, 2)]
        assert {hit.entity_id for page in pages for hit in page.hits[:2]} <= set(made[3:])


def test_filters_narrow_the_pool_itself(world, monkeypatch):
    """The pool is the first POOL matches of the text *and* the filters on attribute rows: older documents
    holding the value are found even when newer ones without it match the text."""
    term = f"term-{uuid.uuid4().hex[:8]}"
    with session_scope(world["url"]) as session:
        tagged = [add_asset(session, world, world["mine"], f"Bilby Ledger {i}", [term]) for i in range(3)]
        for i in range(12):
            add_asset(session, world, world["mine"], f"Bilby Journal {i}")
        tagged += [add_asset(session, world, world["mine"], f"Bilby Ledger new {i}", [term]) for i in range(2)]
    monkeypatch.setattr(search, "POOL", 5)
    monkeypatch.setattr(search, "FILTERED_POOL", 5)
    request = search.Request(text="bilby", limit=1,
                             filters={"filter": {"attribute": "__DataZoneGlossaryTerms", "value": term}})
    with session_scope(world["url"]) as session:
        result = search.search_inventory(session, world["member"], world["domain"], "ASSET", None, request)
        # (Filtering the 5 newest text matches would leave the 2 newest tagged ones.)
        assert result.total == 5 and result.hits[0].entity_id in tagged
