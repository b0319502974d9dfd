"""Aggregations (facets) of SearchListings: how many matches hold each value of an attribute.

A facet counts the documents the request matched (the text query, the filters and what the caller may
see all apply) per value, most frequent first (ties by value), at most MAX_VALUES values. Column
attributes (`owningProjectId`, `amazonmetadata.typeName`) group the documents themselves; the others
(`__DataZoneGlossaryTerms`, `amazonmetadata.sourceCategory`, `<formName>.<field>`) group the attribute
rows of the matched documents through their (doc_id, attribute, value) index.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Integer, Select, any_, bindparam, func, literal_column, select
from sqlalchemy.orm import Session

from openzone.catalog.service import short_type_name
from openzone.errors import ValidationError
from openzone.glossary.models import Glossary, GlossaryTerm
from openzone.projects.models import Project
from openzone.search.filters import ROW_ATTRIBUTES, A, D, is_form_attribute
from openzone.search.kinds import GLOSSARY_TERMS

MAX_VALUES = 100
COLUMNS = {"owningProjectId": D.c.owning_project_id, "amazonmetadata.typeName": D.c.type_name}


def _among(session: Session, column, ids: list[int]) -> ColumnElement[bool]:
    """`column` is one of `ids`, as one parameter: a list of hundreds of ids as separate parameters costs
    more to render, send and plan than the count itself (PostgreSQL: an array; SQLite: a JSON array)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(json.dumps(ids))))


def _counts(session: Session, attribute: str, where: ColumnElement[bool] | list[int],
            params: dict[str, Any] | None) -> list[tuple[str, int]]:
    ids = where if isinstance(where, list) else None
    if attribute in COLUMNS:
        value = COLUMNS[attribute]
        condition = _among(session, D.c.id, ids) if ids is not None else where
        query = select(value, func.count()).select_from(D).where(condition, value.is_not(None)).group_by(value)
    elif attribute in ROW_ATTRIBUTES or is_form_attribute(attribute):
        value = A.c.string_value
        query = select(value, func.count()).select_from(A).where(A.c.attribute == attribute, value.is_not(None))
        # Given the documents, their attribute rows are found through (doc_id, attribute, value) alone.
        query = (query.where(_among(session, A.c.doc_id, ids)) if ids is not None
                 else query.join(D, D.c.id == A.c.doc_id).where(where)).group_by(value)
    else:
        raise ValidationError(f"aggregations: cannot aggregate on {attribute}; use owningProjectId, "
                              f"amazonmetadata.typeName, {GLOSSARY_TERMS}, amazonmetadata.sourceCategory "
                              "or <formName>.<field> of a searchable form field.")
    count = func.count()
    rows = session.execute(query.order_by(count.desc(), value).limit(MAX_VALUES), params).all()
    return [(v, n) for v, n in rows]


def _names(model) -> Select:
    """(id, name) of the model's rows among `values` in `domain` (built once per model)."""
    return select(model.id, model.name).where(model.id.in_(bindparam("values", expanding=True)),
                                              model.domain_id == bindparam("domain"))


_NAMES = {"owningProjectId": _names(Project), GLOSSARY_TERMS: _names(GlossaryTerm), "glossaryId": _names(Glossary)}


def _display(session: Session, domain_id: str, attribute: str, values: list[str]) -> dict[str, str]:
    """Readable names of the values: project and glossary (term) names, short type names."""
    if not values:
        return {}
    if attribute in _NAMES:
        return dict(session.execute(_NAMES[attribute], {"values": values, "domain": domain_id}).all())
    if attribute == "amazonmetadata.typeName":
        return {v: short_type_name(v) for v in values}
    return {}


def _counted(values: list[str | None]) -> list[tuple[str, int]]:
    """Values counted in memory, in the SQL's order (most frequent first, ties by value)."""
    return sorted(Counter(v for v in values if v is not None).items(), key=lambda item: (-item[1], item[0]))[:MAX_VALUES]


def count(session: Session, domain_id: str, aggregations: list[dict] | None,
          where: ColumnElement[bool] | list[int], known: dict[str, list[str | None]] | None = None,
          params: dict[str, Any] | None = None) -> list[dict]:
    """AggregationOutput items, one per requested aggregation, in the order asked.

    `where` says which documents count: a condition on search_documents (with its bound `params`), or their
    ids; `known` may give the values of COLUMNS attributes of exactly those documents (already read by the
    caller)."""
    out = []
    for aggregation in aggregations or ():
        attribute = aggregation["attribute"]
        counts = _counted(known[attribute]) if known and attribute in known else _counts(session, attribute, where, params)
        names = _display(session, domain_id, attribute, [v for v, _ in counts])
        out.append({"attribute": attribute, "displayValue": aggregation.get("displayValue") or attribute,
                    "items": [{"value": v, "count": n, "displayValue": names.get(v, v)} for v, n in counts]})
    return out
