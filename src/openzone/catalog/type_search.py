"""SearchTypes: the domain's asset types or form types (latest revision of each), filtered in Python.

A domain holds tens to hundreds of types, so every candidate is resolved and matched here rather than
indexed. `managed` chooses the system types (amazon.datazone.*) or the domain's custom ones.

* searchText: every word (case-insensitive) must occur in one of the searchIn attributes (name and
  description by default). Ranked: exact name, then words found in the name, then elsewhere; ties by name.
* filters: `filter` / `and` / `or` clauses over FILTERABLE attributes; EQ (the default) compares
  exactly, TEXT_SEARCH looks for every word, LE/LT/GE/GT compare `intValue` with the revision.
* sort: by name, createdAt or updatedAt (types are immutable revisions: updatedAt is createdAt).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openzone.catalog import types
from openzone.catalog.system_forms import SYSTEM_FORM_MODELS
from openzone.catalog.type_models import AssetTypeRevision, FormTypeRevision
from openzone.catalog.types import AssetTypeInfo, FormTypeInfo
from openzone.domains import service as domains
from openzone.errors import ValidationError
from openzone.identity.models import User

SCOPES = ("ASSET_TYPE", "FORM_TYPE")
SEARCHABLE = ("name", "description")
FILTERABLE = ("name", "description", "owningProjectId", "createdBy", "revision", "status")
SORTABLE = ("name", "createdAt", "updatedAt")
_COMPARISONS = {"LE": lambda a, b: a <= b, "LT": lambda a, b: a < b, "GE": lambda a, b: a >= b,
                "GT": lambda a, b: a > b}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

TypeInfo = AssetTypeInfo | FormTypeInfo


def _custom(session: Session, domain_id: str, scope: str) -> list[TypeInfo]:
    model = AssetTypeRevision if scope == "ASSET_TYPE" else FormTypeRevision
    resolve = types.resolve_asset_type if scope == "ASSET_TYPE" else types.resolve_form_type
    latest = session.execute(select(model.name, func.max(model.revision)).where(model.domain_id == domain_id)
                             .group_by(model.name)).all()
    return [resolve(session, domain_id, name, str(revision)) for name, revision in latest]


def _system(session: Session, domain_id: str, scope: str) -> list[TypeInfo]:
    if scope == "ASSET_TYPE":
        return [types.resolve_asset_type(session, domain_id, name) for name in types.SYSTEM_ASSET_TYPES]
    return [types.resolve_form_type(session, domain_id, types.PREFIX + short) for short in SYSTEM_FORM_MODELS]


def _attribute(info: TypeInfo, attribute: str):
    return {"name": info.name, "description": info.description or "", "owningProjectId": info.owning_project_id,
            "createdBy": info.created_by or "", "revision": int(info.revision),
            "status": getattr(info, "status", None) or "",
            "createdAt": info.created_at or _EPOCH, "updatedAt": info.created_at or _EPOCH}[attribute]


def _words(text: str) -> list[str]:
    return [word for word in text.lower().split() if word]


def _has_words(values: list[str], words: list[str]) -> bool:
    text = " ".join(values).lower()
    return all(word in text for word in words)


def _check_filter(clause: dict, scope: str) -> None:
    """ValidationError for a filter we cannot honour (before matching anything)."""
    if "filter" in clause:
        f = clause["filter"]
        if f["attribute"] not in FILTERABLE:
            raise ValidationError(f"Cannot filter types by {f['attribute']}; use one of {', '.join(FILTERABLE)}.")
        if f["attribute"] == "status" and scope != "FORM_TYPE":
            raise ValidationError("Only form types have a status to filter by.")
        operator = f.get("operator") or "EQ"
        if operator in _COMPARISONS and (f["attribute"] != "revision" or f.get("intValue") is None):
            raise ValidationError(f"Operator {operator} compares the intValue of the revision attribute only.")
        if operator not in _COMPARISONS and f.get("value") is None and f.get("intValue") is None:
            raise ValidationError(f"Filter on {f['attribute']} needs a value.")
    for key in ("and", "or"):
        for sub in clause.get(key) or ():
            _check_filter(sub, scope)
    if not any(key in clause for key in ("filter", "and", "or")):
        raise ValidationError("A filter clause needs one of filter, and, or.")


def _matches(info: TypeInfo, clause: dict) -> bool:
    if "filter" in clause:
        f = clause["filter"]
        have, operator = _attribute(info, f["attribute"]), f.get("operator") or "EQ"
        if operator in _COMPARISONS:
            return _COMPARISONS[operator](have, f["intValue"])
        want = f.get("value") if f.get("value") is not None else str(f["intValue"])
        if operator == "TEXT_SEARCH":
            return _has_words([str(have)], _words(want))
        if f["attribute"] == "name":  # system types answer to their short name too, as GetAssetType does
            return want in (info.name, info.name.removeprefix(types.PREFIX))
        return str(have) == want
    if "and" in clause:
        return all(_matches(info, sub) for sub in clause["and"])
    return any(_matches(info, sub) for sub in clause["or"])


def _rank(info: TypeInfo, text: str, words: list[str]) -> int:
    name = info.name.lower()
    if text.lower().strip() in (name, name.removeprefix(types.PREFIX.lower())):
        return 0
    return 1 if _has_words([name], words) else 2


def search_types(session: Session, actor: User, domain_id: str, p: dict) -> list[TypeInfo]:
    """Types of the domain matching the request, in the order asked (every user of the domain may search)."""
    domains.require_domain_user(session, actor, domain_id)
    scope = p["searchScope"]
    if scope not in SCOPES:
        raise ValidationError(f"searchScope {scope} is not supported; use one of {', '.join(SCOPES)}.")
    search_in = [item["attribute"] for item in p.get("searchIn") or ()] or list(SEARCHABLE)
    for attribute in search_in:
        if attribute not in SEARCHABLE:
            raise ValidationError(f"Cannot search types in {attribute}; use one of {', '.join(SEARCHABLE)}.")
    if p.get("filters"):
        _check_filter(p["filters"], scope)
    sort = p.get("sort")
    if sort and sort["attribute"] not in SORTABLE:
        raise ValidationError(f"Cannot sort types by {sort['attribute']}; use one of {', '.join(SORTABLE)}.")
    found = _system(session, domain_id, scope) if p["managed"] else _custom(session, domain_id, scope)
    text = p.get("searchText") or ""
    words = _words(text)
    if words:
        found = [info for info in found if _has_words([str(_attribute(info, a)) for a in search_in], words)]
    if p.get("filters"):
        found = [info for info in found if _matches(info, p["filters"])]
    found.sort(key=lambda info: info.name)
    if sort:
        found.sort(key=lambda info: _attribute(info, sort["attribute"]), reverse=sort.get("order") == "DESCENDING")
    elif words:
        found.sort(key=lambda info: _rank(info, text, words))
    return found
