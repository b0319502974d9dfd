"""Validate a request against its botocore input shape, with AWS's ValidationException wording."""

import re
from functools import lru_cache

from botocore.model import Shape

from openzone.errors import ValidationError

_TYPE_NAMES = {
    "string": "String", "integer": "Integer", "long": "Long", "boolean": "Boolean",
    "structure": "Structure", "list": "List", "map": "Map", "timestamp": "Timestamp",
    "float": "Float", "double": "Double", "blob": "Blob",
}


@lru_cache(maxsize=4096)
def _pattern(pattern: str) -> re.Pattern | None:
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:  # a Java-only construct; botocore does not check patterns either
        return None


def validate_input(shape: Shape, params: dict) -> None:
    """Raise ValidationError listing every constraint the input breaks (AWS's message format)."""
    problems: list[str] = []
    _check_structure(shape, params, "", problems)
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        raise ValidationError(f"{count} validation {noun} detected: " + "; ".join(problems))


def _fail(problems: list[str], path: str, rule: str) -> None:
    problems.append(f"Value at '{path}' failed to satisfy constraint: Member must {rule}")


def _check(shape: Shape, value, path: str, problems: list[str]) -> None:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return _fail(problems, path, "be of type Structure")
        return _check_structure(shape, value, path + ".", problems)
    if kind == "list":
        if not isinstance(value, list):
            return _fail(problems, path, "be of type List")
        _check_length(shape, len(value), path, problems)
        for index, item in enumerate(value, start=1):
            _check(shape.member, item, f"{path}.{index}.member", problems)
        return
    if kind == "map":
        if not isinstance(value, dict):
            return _fail(problems, path, "be of type Map")
        _check_length(shape, len(value), path, problems)
        for key, item in value.items():
            _check(shape.key, key, f"{path}.{key}.key", problems)
            _check(shape.value, item, f"{path}.{key}.value", problems)
        return
    if kind == "string":
        if not isinstance(value, str):
            return _fail(problems, path, "be of type String")
        _check_string(shape, value, path, problems)
        return
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            return _fail(problems, path, f"be of type {_TYPE_NAMES[kind]}")
        _check_range(shape, value, path, problems)
        return
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _fail(problems, path, f"be of type {_TYPE_NAMES[kind]}")
        _check_range(shape, value, path, problems)
        return
    if kind == "boolean" and not isinstance(value, bool):
        _fail(problems, path, "be of type Boolean")


def _check_structure(shape: Shape, value: dict, prefix: str, problems: list[str]) -> None:
    path_of = (lambda name: prefix + name) if prefix else (lambda name: name)
    for name in shape.required_members:
        if value.get(name) is None:
            problems.append(f"Value null at '{path_of(name)}' failed to satisfy constraint: Member must not be null")
    members = shape.members
    for name, item in value.items():
        if item is None or name not in members:
            continue
        _check(members[name], item, path_of(name), problems)
    if shape.is_tagged_union:
        present = [name for name, item in value.items() if item is not None and name in members]
        if len(present) != 1:
            where = prefix.rstrip(".") or shape.name
            problems.append(f"Value at '{where}' failed to satisfy constraint: Member must have exactly one member set")


def _check_string(shape: Shape, value: str, path: str, problems: list[str]) -> None:
    enum = shape.enum
    if enum and value not in enum:
        return _fail(problems, path, f"satisfy enum value set: [{', '.join(enum)}]")
    _check_length(shape, len(value), path, problems)
    pattern = shape.metadata.get("pattern")
    if pattern:
        compiled = _pattern(pattern)
        if compiled is not None and not compiled.fullmatch(value):
            _fail(problems, path, f"satisfy regular expression pattern: {pattern}")


def _check_length(shape: Shape, length: int, path: str, problems: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and length < low:
        _fail(problems, path, f"have length greater than or equal to {low}")
    elif high is not None and length > high:
        _fail(problems, path, f"have length less than or equal to {high}")


def _check_range(shape: Shape, value, path: str, problems: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        _fail(problems, path, f"have value greater than or equal to {low}")
    elif high is not None and value > high:
        _fail(problems, path, f"have value less than or equal to {high}")
