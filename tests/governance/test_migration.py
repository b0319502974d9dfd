"""Migration 0007: domains created before domain units existed get their root unit."""

import sqlalchemy as sa
from alembic import command
from sqlalchemy import insert

from openzone.db.migrate import alembic_config, upgrade
from openzone.db.session import get_engine, session_scope
from openzone.db.types import utcnow
from openzone.domains.models import Domain, DomainUnit
from openzone.identity.models import User
from openzone.projects.models import Project, ProjectMember



def test_existing_domains_get_a_root_unit_owned_by_their_creator(unmigrated_database_url):
    url = unmigrated_database_url
    command.upgrade(alembic_config(url), "0005")
    with get_engine(url).begin() as connection:
        connection.execute(insert(User.__table__).values(id="u1", name="old", is_admin=True))
        connection.execute(insert(Domain.__table__).values(id="dzd_old", name="Old domain", description="d",
                                                           root_domain_unit_id="rootunit", created_by="u1",
                                                           settings={}))
    upgrade(url)
    with session_scope(url) as session:
        unit = session.get(DomainUnit, "rootunit")
        assert (unit.domain_id, unit.parent_id, unit.name, unit.description, unit.owners) == (
            "dzd_old", None, "Old domain", "d", ["u1"])


def test_existing_projects_join_their_domains_root_unit(unmigrated_database_url):
    url = unmigrated_database_url
    command.upgrade(alembic_config(url), "0008")
    with get_engine(url).begin() as connection:
        connection.execute(insert(User.__table__).values(id="u1", name="old", is_admin=True))
        connection.execute(insert(Domain.__table__).values(id="dzd_old", name="Old", root_domain_unit_id="rootunit",
                                                           created_by="u1", settings={}))
        connection.execute(insert(DomainUnit.__table__).values(
            id="rootunit", domain_id="dzd_old", name="Old", owners=["u1"], created_by="u1",
            created_at=utcnow(), updated_at=utcnow()))
        connection.execute(sa.text(
            "INSERT INTO projects (id, domain_id, name, status, created_by, created_at, updated_at) "
            "VALUES ('p1', 'dzd_old', 'Sales', 'ACTIVE', 'u1', :now, :now)"), {"now": utcnow()})
        connection.execute(sa.text("INSERT INTO project_members (project_id, user_id, designation, created_at, "
                                   "updated_at) VALUES ('p1', 'u1', 'PROJECT_OWNER', :now, :now)"), {"now": utcnow()})
    upgrade(url)
    with session_scope(url) as session:
        assert session.get(Project, "p1").domain_unit_id == "rootunit"
        assert session.get(ProjectMember, ("p1", "u1")) is not None  # nothing cascaded away
    get_engine(url).dispose()
