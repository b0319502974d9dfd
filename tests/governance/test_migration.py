"""Migration 0007: domains created before domain units existed get their root unit."""

from alembic import command
from sqlalchemy import insert

from openzone.db.migrate import alembic_config, upgrade
from openzone.db.session import get_engine, session_scope
from openzone.domains.models import Domain, DomainUnit
from openzone.identity.models import User



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
