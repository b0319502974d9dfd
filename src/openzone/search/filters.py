"""DataZone's search filter language, compiled to SQL over `search_documents` and `search_attributes`.

A FilterClause is one `filter`, or an `and`/`or` list of clauses (nested freely). A filter names an
attribute, an operator (EQ by default; LE/LT/GE/GT compare `intValue`; TEXT_SEARCH matches every word
of `value` in that one attribute) and a `value` or `intValue`. Attributes:

* document columns: `owningProjectId`, `name`, `amazonmetadata.typeName` (strings; TEXT_SEARCH on name),
  `description` (TEXT_SEARCH only), `creationTime` / `lastUpdatedTime` (intValue: epoch milliseconds);
* attribute rows: `__DataZoneGlossaryTerms` (a term id), `amazonmetadata.sourceCategory` (`asset` or `dataProduct`),
  `glossaryId` (glossary terms), and `<formName>.<field>` for the fields a form type marks
  `@amazon.datazone#searchable` or `#sortable` (intValue compares sortable numbers).

Anything else is refused with a ValidationException naming it. Every value reaches SQL as a bound parameter.
Under a text query, EQ filters on attribute rows are also said as full-text tokens (`Compiler.split`),
so the engine matches text and those filters together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import ColumnElement, and_, bindparam, false, func, literal, or_, select
from sqlalchemy.orm import Session

from openzone.errors import ValidationError
from openzone.search.kinds import GLOSSARY_TERMS, SOURCE_CATEGORY
from openzone.search.models import MAX_VALUE, SearchAttribute, SearchDocument
from openzone.search.text import FilterTerms, filter_token, identifier_tokens, stem

D = SearchDocument.__table__
A = SearchAttribute.__table__

# Attribute -> document column holding it (strings).
STRING_COLUMNS = {"owningProjectId": D.c.owning_project_id, "name": D.c.name, "amazonmetadata.typeName": D.c.type_name}
TIME_COLUMNS = {"creationTime": D.c.created_at, "lastUpdatedTime": D.c.updated_at}
# Attribute -> the analysed columns TEXT_SEARCH reads.
TEXT_COLUMNS = {"name": (D.c.name_terms, D.c.technical_terms), "description": (D.c.description_terms,)}
ROW_ATTRIBUTES = frozenset({GLOSSARY_TERMS, SOURCE_CATEGORY, "glossaryId"})
_FORM_ATTRIBUTE = re.compile(r"[A-Za-z_][\w\-]*(\.[A-Za-z_]\w*)+")
_COMPARE = {"EQ": "__eq__", "LE": "__le__", "LT": "__lt__", "GE": "__ge__", "GT": "__gt__"}
# Whether any document holds an attribute (built once: every filtered search asks).
_ANY_ROW = select(literal(1)).select_from(A).where(A.c.attribute == bindparam("attribute")).limit(1)


def is_form_attribute(attribute: str) -> bool:
    return bool(_FORM_ATTRIBUTE.fullmatch(attribute)) and not attribute.startswith("amazonmetadata.")


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class Compiler:
    """Compiles clauses for one request; `correlated` picks EXISTS per document (few candidates, as
    under a text query) or IN over the attribute index (a whole domain)."""

    session: Session
    correlated: bool = False
    _known: dict[str, bool] | None = None

    def clause(self, clause: dict, depth: int = 0) -> ColumnElement[bool]:
        if depth > 20:
            raise ValidationError("filters: clauses are nested too deeply (at most 20 levels).")
        if "filter" in clause:
            return self.leaf(clause["filter"])
        if "and" in clause:
            return and_(*(self.clause(c, depth + 1) for c in clause["and"]))
        if "or" in clause:
            return or_(*(self.clause(c, depth + 1) for c in clause["or"]))
        raise ValidationError("filters: a clause needs one of filter, and, or.")

    def split(self, clause: dict, depth: int = 0) -> tuple[ColumnElement[bool] | None, FilterTerms | None]:
        """(SQL condition, filter token tree) whose conjunction is the clause: the EQ filters on string
        attribute rows (and ors made only of them) become tokens the full-text query carries; the rest
        stays SQL. Either part is None when empty."""
        if depth > 20:
            raise ValidationError("filters: clauses are nested too deeply (at most 20 levels).")
        if "filter" in clause:
            token = self.token(clause["filter"])
            return (None, token) if token is not None else (self.leaf(clause["filter"]), None)
        if "and" in clause:
            parts = [self.split(c, depth + 1) for c in clause["and"]]
            conditions = [c for c, _ in parts if c is not None]
            terms = [t for _, t in parts if t is not None]
            return (and_(*conditions) if conditions else None), (("AND", terms) if terms else None)
        if "or" in clause and clause["or"]:
            parts = [self.split(c, depth + 1) for c in clause["or"]]
            if all(c is None and t is not None for c, t in parts):
                return None, ("OR", [t for _, t in parts])
        return self.clause(clause, depth), None

    def token(self, f: dict) -> str | None:
        """The filter token of an EQ filter on a string attribute row (None for any other filter)."""
        attribute, value = f["attribute"], f.get("value")
        if (f.get("operator") or "EQ") != "EQ" or f.get("intValue") is not None or not isinstance(value, str):
            return None
        if len(value) > MAX_VALUE:  # the index cuts values there: SQL says that it matches nothing
            return None
        if attribute not in ROW_ATTRIBUTES and not self._form(attribute):
            return None
        return filter_token(attribute, value)

    def leaf(self, f: dict) -> ColumnElement[bool]:
        attribute, operator = f["attribute"], f.get("operator") or "EQ"
        value, number = f.get("value"), f.get("intValue")
        if operator == "TEXT_SEARCH":
            if not value:
                raise ValidationError(f"filters: TEXT_SEARCH on {attribute} needs a value.")
            return self._text(attribute, value)
        if operator != "EQ" and number is None:
            raise ValidationError(f"filters: operator {operator} on {attribute} compares intValue; give one.")
        if value is None and number is None:
            raise ValidationError(f"filters: the filter on {attribute} needs a value or an intValue.")
        if attribute in TIME_COLUMNS:
            if number is None:
                raise ValidationError(f"filters: {attribute} is compared with intValue (epoch milliseconds).")
            moment = datetime.fromtimestamp(number / 1000, UTC)
            return getattr(TIME_COLUMNS[attribute], _COMPARE[operator])(moment)
        if attribute in STRING_COLUMNS:
            if number is not None or operator != "EQ":
                raise ValidationError(f"filters: {attribute} is a string attribute: use EQ with a value.")
            return STRING_COLUMNS[attribute] == value
        if attribute in ROW_ATTRIBUTES or self._form(attribute):
            if number is not None:
                return self._rows(attribute, getattr(A.c.int_value, _COMPARE[operator])(number))
            return self._rows(attribute, A.c.string_value == value)
        raise self.unknown(attribute)

    def unknown(self, attribute: str) -> ValidationError:
        return ValidationError(
            f"filters: {attribute} is not a searchable attribute; use one of {', '.join(sorted(attributes()))}, "
            "or <formName>.<field> of a form field marked searchable or sortable.")

    def _form(self, attribute: str) -> bool:
        """Whether some document holds this form attribute (the index keeps only searchable/sortable fields)."""
        if not is_form_attribute(attribute):
            return False
        self._known = self._known if self._known is not None else {}
        if attribute not in self._known:
            self._known[attribute] = self.session.scalar(_ANY_ROW, {"attribute": attribute}) is not None
        if not self._known[attribute]:
            raise ValidationError(f"filters: {attribute} is not a searchable or sortable field of any form "
                                  "in this domain's catalog.")
        return True

    def _rows(self, attribute: str, condition: ColumnElement[bool]) -> ColumnElement[bool]:
        if self.correlated:
            # A probe per candidate through (doc_id, attribute, value). Not EXISTS: PostgreSQL turns that
            # into a semi-join that reads every document holding the value; a LIMIT keeps it a probe.
            return (select(literal(1)).select_from(A).where(A.c.doc_id == D.c.id, A.c.attribute == attribute, condition)
                    .limit(1).scalar_subquery().is_not(None))
        return D.c.id.in_(select(A.c.doc_id).where(A.c.attribute == attribute, condition))

    def _text(self, attribute: str, value: str) -> ColumnElement[bool]:
        words = [stem(t) for t in identifier_tokens(value)]
        if not words:
            return false()
        if attribute in TEXT_COLUMNS:
            padded = literal(" ")
            for column in TEXT_COLUMNS[attribute]:
                padded = padded + column + literal(" ")
            return and_(*(padded.like(f"% {_like_escape(w)} %", escape="\\") for w in words))
        if attribute in ROW_ATTRIBUTES or self._form(attribute):
            # Words of the value as written (stems would miss "orders" in "Orders"): substring match.
            raw = [t for t in identifier_tokens(value)]
            return self._rows(attribute, and_(*(func.lower(A.c.string_value).like(
                f"%{_like_escape(w)}%", escape="\\") for w in raw)))
        raise self.unknown(attribute)


def attributes() -> set[str]:
    """The fixed attribute names filters accept (form attributes come on top)."""
    return {*STRING_COLUMNS, *TIME_COLUMNS, *TEXT_COLUMNS, *ROW_ATTRIBUTES}


def compile_filters(session: Session, filters: dict | None, correlated: bool) -> ColumnElement[bool] | None:
    """The SQL condition of a FilterClause (None for no filters)."""
    if not filters:
        return None
    return Compiler(session, correlated).clause(filters)


class TextFilters:
    """A FilterClause for a text query: split into SQL and full-text tokens, and all of it as SQL."""

    def __init__(self, compiler: Compiler | None, filters: dict | None):
        self._compiler, self._filters = compiler, filters
        self.rest: ColumnElement[bool] | None = None  # what the tokens do not say
        self.terms: FilterTerms | None = None
        if compiler is not None and filters:
            self.rest, self.terms = compiler.split(filters)

    @cached_property
    def condition(self) -> ColumnElement[bool] | None:
        """The whole clause (built when asked: only queries with symbols need it)."""
        return self._compiler.clause(self._filters) if self._compiler is not None and self._filters else None


def compile_text_filters(session: Session, filters: dict | None) -> TextFilters:
    """The FilterClause of a text query, both split (`Compiler.split`) and whole."""
    return TextFilters(Compiler(session, correlated=True) if filters else None, filters)
