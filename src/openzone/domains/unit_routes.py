"""DataZone wire operations for domain units."""

from openzone.domains import units
from openzone.domains.models import DomainUnit
from openzone.wire.pagination import decode_token, page
from openzone.wire.registry import Call, datazone


def _unit(unit: DomainUnit) -> dict:
    return {"id": unit.id, "domainId": unit.domain_id, "name": unit.name, "parentDomainUnitId": unit.parent_id,
            "description": unit.description, "owners": [{"user": {"userId": user_id}} for user_id in unit.owners],
            "createdAt": unit.created_at, "createdBy": unit.created_by}


@datazone("GetDomainUnit")
def get_domain_unit(call: Call, p: dict) -> dict:
    unit = units.get_unit(call.session, call.principal, p["domainIdentifier"], p["identifier"])
    return _unit(unit) | {"lastUpdatedAt": unit.updated_at, "lastUpdatedBy": unit.updated_by}


@datazone("CreateDomainUnit")
def create_domain_unit(call: Call, p: dict) -> dict:
    unit = units.create_unit(call.session, call.principal, p["domainIdentifier"], p["parentDomainUnitIdentifier"],
                             p["name"], p.get("description"))
    return _unit(unit) | {"ancestorDomainUnitIds": units.ancestor_ids(call.session, unit)}


@datazone("ListDomainUnitsForParent")
def list_domain_units_for_parent(call: Call, p: dict) -> dict:
    offset, limit = decode_token(p.get("nextToken")), p.get("maxResults", 25)
    rows = units.list_children(call.session, call.principal, p["domainIdentifier"], p["parentDomainUnitIdentifier"],
                               offset, limit)
    items, token = page(rows, offset, limit)
    return {"items": [{"id": unit.id, "name": unit.name} for unit in items], "nextToken": token}
