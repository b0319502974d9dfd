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

from sqlalchemy import ARRAY, ColumnElement, Integer, Select, String, any_, bindparam, func, literal_column, select
from sqlalchemy.orm import Session

from openzone.catalog.service import short_type_name
from openzone.errors import ValidationError
from openzone.glossary.models import Glossary, GlossaryTerm
from openzone.projects.models import Project
from openzone.search.filters import ROW_ATTRIBUTES, A, D, is_form_attribute
from openzone.search.kinds import GLOSSARY_TERMS

MAX_VALUES = 100
COLUMNS = {"owningProjectId": D.c.owning_project_id, "amazonmetadata.typeName": D.c.type_name}


def _among(dialect: str, column) -> ColumnElement[bool]:
    """`column` is one of the ids given as the one parameter `facet_ids` (`_ids`): a list of hundreds of ids as
    separate parameters costs more to render, send and plan than the count itself (PostgreSQL: an array;
    SQLite: a JSON array)."""
    if dialect == "postgresql":
        return column == any_(bindparam("facet_ids", type_=ARRAY(Integer)))
    ids = bindparam("facet_ids", type_=String())
    return column.in_(select(literal_column("value")).select_from(func.json_each(ids)))


def _ids(dialect: str, ids: list[int]) -> list[int] | str:
    """The value of `_among`'s parameter."""
    return ids if dialect == "postgresql" else json.dumps(ids)


def _query(dialect: str, attribute: str, where: ColumnElement[bool] | None) -> Select:
    """The count of a (valid) attribute's values over the documents `where` holds, or (None) those given as
    `_among`'s parameter; a row attribute's name is the parameter `facet_attribute`."""
    if attribute in COLUMNS:
        value = COLUMNS[attribute]
        condition = _among(dialect, D.c.id) if where is None else where
        query = select(value, func.count()).select_from(D).where(condition, value.is_not(None)).group_by(value)
    else:
        value = A.c.string_value
        query = (select(value, func.count()).select_from(A)
                 .where(A.c.attribute == bindparam("facet_attribute"), value.is_not(None)))
        # Given the documents, their attribute rows are found through (doc_id, attribute, value) alone.
        query = (query.where(_among(dialect, A.c.doc_id)) if where is None
                 else query.join(D, D.c.id == A.c.doc_id).where(where)).group_by(value)
    count = func.count()
    return query.order_by(count.desc(), value).limit(MAX_VALUES)


# Counts among given documents by (backend, column attribute or None for attribute rows): built on first use,
# as every text search with aggregations runs them.
_AMONG: dict[tuple[str, str | None], Select] = {}


def _counts(session: Session, attribute: str, where: ColumnElement[bool] | list[int],
            params: dict[str, Any] | None) -> list[tuple[str, int]]:
    if attribute not in COLUMNS and attribute not in ROW_ATTRIBUTES and not is_form_attribute(attribute):
        raise ValidationError(f"aggregations: cannot aggregate on {attribute}; use owningProjectId, "
                              f"amazonmetadata.typeName, {GLOSSARY_TERMS}, amazonmetadata.sourceCategory "
                              "or <formName>.<field> of a searchable form field.")
    dialect = session.get_bind().dialect.name
    values = {**(params or {}), "facet_attribute": attribute}
    if isinstance(where, list):
        key = (dialect, attribute if attribute in COLUMNS else None)
        query = _AMONG.get(key)
        if query is None:
            query = _AMONG[key] = _query(dialect, attribute, None)
        values["facet_ids"] = _ids(dialect, where)
    else:
        query = _query(dialect, attribute, where)
    return [(v, n) for v, n in session.execute(query, values).all()]


def _names(model) -> Select:
    """(id, name) of the model's rows among `values` in `domain` (built once per model; its table's columns, so
    that the rows are read without the ORM's loading machinery)."""
    c = model.__table__.c
    return select(c.id, c.name).where(c.id.in_(bindparam("values", expanding=True)), c.domain_id == bindparam("domain"))


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
