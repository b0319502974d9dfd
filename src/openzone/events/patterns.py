"""EventBridge event patterns: validate a pattern once (clear errors), then match events against it.

Semantics follow EventBridge's documentation: every leaf of a pattern is a non-empty array of values and
filters, a field matches when any of them matches (and, for an array in the event, when any element does);
keys are AND-ed; `$or` holds two or more alternative sub-patterns; only `exists: false` matches a missing
field; `anything-but`, `numeric`, `prefix` and the like never match a missing field or a non-leaf value.
"""

import ipaddress
import json
import re
from collections.abc import Callable
from typing import Any

from openzone.errors import OpenzoneError, ValidationError

MISSING = object()
NUMERIC_LIMIT = 5.0e9  # EventBridge compares numbers in [-5e9, 5e9]
_LOWER, _UPPER = (">", ">="), ("<", "<=")
_COMPARE = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, "=": lambda a, b: a == b}


class InvalidEventPatternError(OpenzoneError):
    code, status = "InvalidEventPatternException", 400


Matcher = Callable[[Any], bool]  # a leaf matcher: takes the event's value (or MISSING)


def _invalid(reason: str) -> InvalidEventPatternError:
    return InvalidEventPatternError(f"Event pattern is not valid. Reason: {reason}")


class Pattern:
    """A compiled event pattern: `Pattern.parse(text).matches(event)`."""

    def __init__(self, fields: dict[str, Any], alternatives: list[list["Pattern"]]):
        self.fields = fields  # key -> Pattern (nested object) or list[Matcher] (leaf)
        self.alternatives = alternatives  # each `$or` at this level: one of its sub-patterns must match

    @classmethod
    def parse(cls, text: str | dict) -> "Pattern":
        """Parse and validate a pattern given as JSON text (or an already decoded object)."""
        if isinstance(text, str):
            try:
                text = json.loads(text)
            except ValueError as error:
                raise _invalid(f"the pattern is not valid JSON ({error.msg} at character {error.pos})") from None
        if not isinstance(text, dict):
            raise _invalid("the pattern must be a JSON object")
        if not text:
            raise _invalid("the pattern is empty; it needs at least one field")
        return cls._compile(text, "")

    @classmethod
    def _compile(cls, node: dict, path: str) -> "Pattern":
        fields, alternatives = {}, []
        for key, value in node.items():
            where = f"{path}.{key}" if path else key
            if key == "$or":
                if not isinstance(value, list) or len(value) < 2 or not all(isinstance(v, dict) and v for v in value):
                    raise _invalid(f"'{where}' must be an array of at least two non-empty objects")
                alternatives.append([cls._compile(v, path) for v in value])
            elif isinstance(value, dict):
                if not value:
                    raise _invalid(f"'{where}' is an empty object")
                fields[key] = cls._compile(value, where)
            elif isinstance(value, list):
                if not value:
                    raise _invalid(f"'{where}' is an empty array; list at least one value to match")
                fields[key] = [_leaf(item, where) for item in value]
            else:
                raise _invalid(f"'{where}' must be an object or an array, not {json.dumps(value)}")
        return cls(fields, alternatives)

    def matches(self, event: Any) -> bool:
        """True when the event (a decoded JSON object) matches this pattern."""
        if not isinstance(event, dict):
            return False
        for key, sub in self.fields.items():
            value = event.get(key, MISSING)
            if isinstance(sub, Pattern):
                if not _match_object(sub, value):
                    return False
            elif not _match_leaf(sub, value):
                return False
        return all(any(p.matches(event) for p in group) for group in self.alternatives)


def _match_object(sub: Pattern, value: Any) -> bool:
    if isinstance(value, list):  # an array of objects: one element must match the whole sub-pattern
        return any(isinstance(v, dict) and sub.matches(v) for v in value)
    if isinstance(value, dict):
        return sub.matches(value)
    # A missing (or scalar) field still matches a sub-pattern that only asks for absent fields.
    return sub.matches({})


def _match_leaf(matchers: list[Matcher], value: Any) -> bool:
    if isinstance(value, list):
        if not value:  # an empty array holds no value: like a missing field
            return any(m(MISSING) for m in matchers)
        return any(m(v) for v in value if not isinstance(v, dict | list) for m in matchers)
    if isinstance(value, dict):
        return False  # leaf filters apply to leaf values only
    return any(m(value) for m in matchers)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _leaf(item: Any, where: str) -> Matcher:
    if item is None:
        return lambda v: v is None
    if isinstance(item, bool):
        return lambda v: v is item
    if _is_number(item):
        return lambda v: _is_number(v) and v == item
    if isinstance(item, str):
        return lambda v: v == item
    if isinstance(item, dict):
        if len(item) != 1:
            raise _invalid(f"a filter in '{where}' must have exactly one key, has {sorted(item)}")
        (name, arg), = item.items()
        build = _FILTERS.get(name)
        if build is None:
            raise _invalid(f"unrecognized match type '{name}' in '{where}'")
        return build(arg, where)
    raise _invalid(f"'{where}' holds an unsupported value {json.dumps(item)}")


def _string_arg(name: str, arg: Any, where: str) -> str:
    if not isinstance(arg, str):
        raise _invalid(f"'{name}' in '{where}' takes a string")
    return arg


def _string_test(name: str, arg: Any, where: str, test: Callable[[str, str], bool]) -> Matcher:
    # prefix and suffix also take {"equals-ignore-case": "..."}.
    fold = False
    if isinstance(arg, dict) and list(arg) == ["equals-ignore-case"]:
        arg, fold = arg["equals-ignore-case"], True
    text = _string_arg(name, arg, where)
    if fold:
        text = text.casefold()
        return lambda v: isinstance(v, str) and test(v.casefold(), text)
    return lambda v: isinstance(v, str) and test(v, text)


def _prefix(arg, where):
    return _string_test("prefix", arg, where, str.startswith)


def _suffix(arg, where):
    return _string_test("suffix", arg, where, str.endswith)


def _ignore_case(arg, where):
    text = _string_arg("equals-ignore-case", arg, where).casefold()
    return lambda v: isinstance(v, str) and v.casefold() == text


def _wildcard(arg, where):
    text = _string_arg("wildcard", arg, where)
    if "**" in text:
        raise _invalid(f"consecutive wildcard characters in '{where}'")
    parts = re.split(r"(?<!\\)\*", text)
    regex = re.compile(".*".join(re.escape(p.replace("\\*", "*")) for p in parts), re.DOTALL)
    return lambda v: isinstance(v, str) and regex.fullmatch(v) is not None


def _exists(arg, where):
    if not isinstance(arg, bool):
        raise _invalid(f"'exists' in '{where}' takes true or false")
    return (lambda v: v is not MISSING) if arg else (lambda v: v is MISSING)


def _numeric(arg, where):
    if not isinstance(arg, list) or len(arg) not in (2, 4):
        raise _invalid(f"'numeric' in '{where}' takes [operator, number] or [lower operator, number, upper operator, number]")
    tests = []
    for op, bound in zip(arg[::2], arg[1::2]):
        if op not in _COMPARE:
            raise _invalid(f"unrecognized numeric operator '{op}' in '{where}'")
        if not _is_number(bound) or abs(bound) > NUMERIC_LIMIT:
            raise _invalid(f"'numeric' in '{where}' needs numbers between -5.0e9 and 5.0e9, got {json.dumps(bound)}")
        tests.append((op, bound))
    if len(tests) == 2:
        (low_op, low), (high_op, high) = tests
        if low_op not in _LOWER or high_op not in _UPPER:
            raise _invalid(f"a numeric range in '{where}' is a lower bound (> or >=) then an upper bound (< or <=)")
        if low >= high:
            raise _invalid(f"the numeric range in '{where}' is empty: {low} is not below {high}")
    return lambda v: _is_number(v) and all(_COMPARE[op](v, bound) for op, bound in tests)


def _cidr(arg, where):
    try:
        network = ipaddress.ip_network(_string_arg("cidr", arg, where), strict=False)
    except ValueError:
        raise _invalid(f"'{arg}' in '{where}' is not a CIDR block") from None

    def test(v):
        try:
            return isinstance(v, str) and ipaddress.ip_address(v) in network
        except ValueError:
            return False
    return test


def _anything_but(arg, where):
    if isinstance(arg, dict):
        if len(arg) != 1 or next(iter(arg)) not in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
            raise _invalid(f"'anything-but' in '{where}' takes a value, a list of values, or one of "
                           "prefix, suffix, equals-ignore-case, wildcard")
        (name, inner), = arg.items()
        values = inner if isinstance(inner, list) and name in ("equals-ignore-case", "wildcard") else [inner]
        if not values:
            raise _invalid(f"'anything-but' in '{where}' has an empty list")
        tests = [_FILTERS[name](value, where) for value in values]
        return lambda v: isinstance(v, str) and not any(t(v) for t in tests)
    values = arg if isinstance(arg, list) else [arg]
    if not values:
        raise _invalid(f"'anything-but' in '{where}' has an empty list")
    if not (all(isinstance(v, str) for v in values) or all(_is_number(v) for v in values)):
        raise _invalid(f"'anything-but' in '{where}' takes strings or numbers, not a mix or other values")
    tests = [_leaf(value, where) for value in values]
    return lambda v: v is not MISSING and v is not None and not any(t(v) for t in tests)


_FILTERS: dict[str, Callable[[Any, str], Matcher]] = {
    "prefix": _prefix, "suffix": _suffix, "equals-ignore-case": _ignore_case, "wildcard": _wildcard,
    "exists": _exists, "numeric": _numeric, "cidr": _cidr, "anything-but": _anything_but,
}


def event_matches(pattern: str, event: str) -> bool:
    """TestEventPattern: whether the event (JSON text) matches the pattern (JSON text)."""
    compiled = Pattern.parse(pattern)
    try:
        decoded = json.loads(event)
    except ValueError:
        raise ValidationError("The event is not valid JSON.") from None
    if not isinstance(decoded, dict):
        raise ValidationError("The event must be a JSON object.")
    return compiled.matches(decoded)
