"""DataZone wire operations for domains and user profiles."""

from openzone.domains import service
from openzone.domains.models import Domain, UserProfile
from openzone.identity.models import User
from openzone.identity.service import user_arn
from openzone.wire.pagination import decode_token, page
from openzone.wire.registry import Call, datazone


def _domain(call: Call, domain: Domain) -> dict:
    settings = call.settings
    return {
        "id": domain.id, "name": domain.name, "description": domain.description, "status": domain.status,
        "rootDomainUnitId": domain.root_domain_unit_id,
        "arn": f"arn:aws:datazone:{settings.region}:{settings.account_id}:domain/{domain.id}",
        "portalUrl": f"http://{settings.host}:{settings.port}/?domain={domain.id}",
        "createdAt": domain.created_at, "lastUpdatedAt": domain.updated_at,
        **{key: domain.settings.get(key) for key in service.ECHOED_SETTINGS},
    }


@datazone("CreateDomain")
def create_domain(call: Call, p: dict) -> dict:
    settings = {key: p.get(key) for key in service.ECHOED_SETTINGS}
    domain = service.create_domain(call.session, call.principal, p["name"], p.get("description"), settings)
    out = _domain(call, domain)
    out.pop("createdAt"), out.pop("lastUpdatedAt")
    return out


@datazone("GetDomain")
def get_domain(call: Call, p: dict) -> dict:
    domain = service.get_domain(call.session, call.principal, p["identifier"])
    out = _domain(call, domain)
    if out.get("domainExecutionRole") is None:  # required in GetDomainOutput even for V2 domains
        out["domainExecutionRole"] = ""
    return out


@datazone("ListDomains")
def list_domains(call: Call, p: dict) -> dict:
    offset, limit = decode_token(p.get("nextToken")), p.get("maxResults", 25)
    rows = service.list_domains(call.session, call.principal, p.get("status"), offset, limit)
    items, token = page(rows, offset, limit)
    summaries = []
    for domain in items:
        full = _domain(call, domain)
        summaries.append({key: full.get(key) for key in (
            "id", "name", "description", "arn", "status", "portalUrl", "createdAt", "lastUpdatedAt",
            "domainVersion")} | {"managedAccountId": call.settings.account_id})
    return {"items": summaries, "nextToken": token}


def _profile(call: Call, profile: UserProfile, user: User) -> dict:
    return {"domainId": profile.domain_id, "id": user.id, "type": "IAM", "status": profile.status,
            "details": {"iam": {"arn": user_arn(user, call.settings.account_id), "principalId": user.id}}}


@datazone("CreateUserProfile")
def create_user_profile(call: Call, p: dict) -> dict:
    profile, user = service.create_user_profile(call.session, call.principal, p["domainIdentifier"],
                                                p["userIdentifier"], call.settings.account_id)
    return _profile(call, profile, user)


@datazone("GetUserProfile")
def get_user_profile(call: Call, p: dict) -> dict:
    profile, user = service.get_user_profile(call.session, call.principal, p["domainIdentifier"],
                                             p["userIdentifier"], call.settings.account_id)
    return _profile(call, profile, user)
