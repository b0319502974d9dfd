"""DataZone row filters (the RowFilter expression tree): checked against an asset's columns, rendered as SQL.

A row filter is the wire's tagged union: {"expression": {<operator>: {...}}}, {"and": [...]} or {"or": [...]}.
Values travel as strings; they are rendered as string literals, which DuckDB and PostgreSQL both cast to the
column's type (the checks below refuse values the column type cannot hold, so the cast cannot fail).
"""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlglot import exp

from openzone.errors import ValidationError

COMPARISONS = {"equalTo": exp.EQ, "notEqualTo": exp.NEQ, "greaterThan": exp.GT,
               "greaterThanOrEqualTo": exp.GTE, "lessThan": exp.LT, "lessThanOrEqualTo": exp.LTE}
LIKES = {"like": False, "notLike": True}
LISTS = {"in": False, "notIn": True}
NULLS = {"isNull": False, "isNotNull": True}
DIALECTS = {"duckdb", "postgres"}
MAX_DEPTH = 32
_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def _members(node: dict, what: str) -> tuple[str, object]:
    present = [(k, v) for k, v in (node or {}).items() if v is not None]
    if len(present) != 1:
        raise ValidationError(f"A {what} must have exactly one member, got {len(present)}.")
    return present[0]


def _walk(row_filter: dict, depth: int = 0):
    """Yield (operator, operand) for every expression of the tree; refuses malformed trees."""
    if depth > MAX_DEPTH:
        raise ValidationError(f"A row filter may nest at most {MAX_DEPTH} levels of and/or.")
    kind, value = _members(row_filter, "row filter")
    if kind in ("and", "or"):
        if not value:
            raise ValidationError(f"A row filter's '{kind}' needs at least one row filter.")
        for child in value:
            yield from _walk(child, depth + 1)
    elif kind == "expression":
        operator, operand = _members(value, "row filter expression")
        if operator not in (*COMPARISONS, *LIKES, *LISTS, *NULLS):
            raise ValidationError(f"Unknown row filter operator {operator}.")
        if operator in LISTS and not operand.get("values"):
            raise ValidationError(f"The '{operator}' expression on {operand.get('columnName')} needs values.")
        yield operator, operand
    else:
        raise ValidationError(f"Unknown row filter member {kind}.")


def validate_shape(row_filter: dict) -> None:
    """Refuse a tree that is not a well-formed RowFilter (ValidationException)."""
    for _ in _walk(row_filter):
        pass


def columns_of(row_filter: dict) -> list[str]:
    """The columns a row filter reads, in order of first use."""
    return list(dict.fromkeys(operand["columnName"] for _, operand in _walk(row_filter)))


# ---------------------------------------------------------------- checks against the asset's columns

_INTEGER = re.compile(r"(tiny|small|big|huge)?int(eger)?\d?|long|short|byte|(small|big)?serial\d?")
_DECIMAL = re.compile(r"(double( precision)?|float\d?|real|decimal|numeric|number)(\(.*\))?")
_STRING = re.compile(r"(string|text|varchar|char|character( varying)?|bpchar|nvarchar|nchar)(\(.*\))?")


def _kind(data_type: str | None) -> str:
    text = (data_type or "").strip().lower()
    for kind, pattern in (("integer", _INTEGER), ("decimal", _DECIMAL), ("string", _STRING)):
        if pattern.fullmatch(text):
            return kind
    if text in ("boolean", "bool"):
        return "boolean"
    if text == "date":
        return "date"
    if text.startswith(("timestamp", "datetime")):
        return "timestamp"
    return "other" if text else "unknown"


def _value_ok(kind: str, value: str) -> bool:
    try:
        if kind == "integer":
            int(value.strip())
        elif kind == "decimal":
            return Decimal(value.strip()).is_finite()
        elif kind == "boolean":
            return value.strip().lower() in ("true", "false")
        elif kind == "date":
            date.fromisoformat(value.strip())
        elif kind == "timestamp":
            datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except (ValueError, InvalidOperation):
        return False
    return True


def problems(row_filter: dict, columns: dict[str, str]) -> str | None:
    """Why the filter cannot apply to a table with these columns (name -> data type), or None if it can."""
    for operator, operand in _walk(row_filter):
        name = operand["columnName"]
        if name not in columns:
            return f"Column {name} referenced in the row filter does not exist in the asset."
        kind = _kind(columns[name])
        if operator in NULLS or kind == "unknown":
            continue
        if kind == "other":
            return f"Column {name} of type {columns[name]} can only be filtered with isNull or isNotNull."
        if operator in LIKES and kind != "string":
            return f"The {operator} operator needs a string column; {name} is {columns[name]}."
        for value in operand.get("values") or [operand.get("value")]:
            if not _value_ok(kind, str(value)):
                return f"Value '{value}' is not a valid {columns[name]} for column {name}."
    return None


# ---------------------------------------------------------------- SQL


def _column(name: str, quote: bool) -> exp.Column:
    return exp.Column(this=exp.to_identifier(name, quoted=quote or not _PLAIN_NAME.fullmatch(name)))


def _condition(row_filter: dict, quote: bool) -> exp.Expression:
    kind, value = _members(row_filter, "row filter")
    if kind in ("and", "or"):
        parts = [exp.Paren(this=_condition(child, quote)) if len(value) > 1 else _condition(child, quote)
                 for child in value]
        combined = parts[0]
        for part in parts[1:]:
            combined = (exp.And if kind == "and" else exp.Or)(this=combined, expression=part)
        return combined
    operator, operand = _members(value, "row filter expression")
    column = _column(operand["columnName"], quote)
    if operator in COMPARISONS:
        return COMPARISONS[operator](this=column, expression=exp.Literal.string(str(operand["value"])))
    if operator in LIKES:
        like = exp.Like(this=column, expression=exp.Literal.string(str(operand["value"])))
        return exp.Not(this=like) if LIKES[operator] else like
    if operator in LISTS:
        member = exp.In(this=column, expressions=[exp.Literal.string(str(v)) for v in operand["values"]])
        return exp.Not(this=member) if LISTS[operator] else member
    null = exp.Is(this=column, expression=exp.Null())
    return exp.Not(this=null) if NULLS[operator] else null


def to_sql(row_filter: dict, dialect: str) -> str:
    """The filter as an SQL condition for `dialect` ("duckdb" or "postgres"): identifiers quoted, values literals."""
    if dialect not in DIALECTS:
        raise ValueError(f"Unsupported dialect {dialect!r}; use one of {sorted(DIALECTS)}")
    validate_shape(row_filter)
    return _condition(row_filter, quote=True).sql(dialect=dialect)


def describe(row_filter: dict) -> str:
    """The filter as DataZone shows it (effectiveRowFilter): SQL text, names quoted only where needed."""
    return _condition(row_filter, quote=False).sql(dialect="duckdb")


def any_of(row_filters: list[dict]) -> dict:
    """One row filter that keeps a row when any of `row_filters` keeps it."""
    return row_filters[0] if len(row_filters) == 1 else {"or": list(row_filters)}

