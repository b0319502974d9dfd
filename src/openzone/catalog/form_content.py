"""Validate a form's JSON content against its form type's Smithy model.

`formsInput[].content` arrives as a JSON string; DataZone refuses content that does not match the
model at the pinned revision. Errors name the form, the field path and the rule that failed.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime

from openzone.catalog.smithy import Field, FormModel

INT_BITS = {"Byte": 8, "Short": 16, "Integer": 32, "Long": 64}
ARTICLE = {"Integer": "an Integer"}


class FormContentError(ValueError):
    """Form content that does not match its form type's model."""


def validate_content(form_name: str, model: FormModel, content: str | dict) -> dict:
    """The content as a normalized dict (optional nulls dropped), or FormContentError naming field and rule."""
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError as error:
            raise FormContentError(f"Form {form_name}: content is not valid JSON ({error})") from None
    if not isinstance(content, dict):
        raise FormContentError(f"Form {form_name}: content must be a JSON object")
    return _Checker(form_name).structure(model, content, "")


class _Checker:
    def __init__(self, form_name: str):
        self.form = form_name

    def fail(self, path: str, rule: str):
        raise FormContentError(f"Form {self.form}: field {path} {rule}")

    def structure(self, model: FormModel, value: dict, prefix: str) -> dict:
        for name in value:
            if name not in model.fields:
                self.fail(prefix + str(name), f"is not defined in {model.name}")
        result = {}
        for name, f in model.fields.items():
            path = prefix + name
            if value.get(name) is None:
                if f.required:  # DataZone treats an explicit null like a missing field
                    self.fail(path, "is required")
                continue
            result[name] = self.value(f, value[name], path)
        return result

    def value(self, f: Field, value, path: str):
        kind = f.kind
        if kind == "structure":
            if not isinstance(value, dict):
                self.fail(path, f"must be a structure {f.model.name} (a JSON object)")
            value = self.structure(f.model, value, path + ".")
        elif kind == "list":
            if not isinstance(value, list):
                self.fail(path, f"must be a list {f.type} (a JSON array)")
            value = [self.item(f.member, item, f"{path}[{i}]") for i, item in enumerate(value)]
        elif kind == "map":
            if not isinstance(value, dict):
                self.fail(path, f"must be a map {f.type} (a JSON object)")
            value = {self.value(f.key, k, f"{path} key {k!r}"): self.item(f.member, v, f"{path}.{k}")
                     for k, v in value.items()}
        else:
            value = self.scalar(kind, value, path)
        self.constraints(f, value, path)
        return value

    def item(self, f: Field, value, path: str):
        if value is None:  # Smithy lists and maps are dense: no null items
            self.fail(path, "must not be null")
        return self.value(f, value, path)

    def scalar(self, kind: str, value, path: str):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if kind in ("String", "enum"):
            ok = isinstance(value, str)
            kind = "String"
        elif kind == "Boolean":
            ok = isinstance(value, bool)
        elif kind in INT_BITS or kind in ("BigInteger", "intEnum"):
            ok = isinstance(value, int) and not isinstance(value, bool)
            kind = "Integer" if kind == "intEnum" else kind
            bits = INT_BITS.get(kind)
            if ok and bits and not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
                self.fail(path, f"is out of range for {kind} ({bits}-bit)")
        elif kind in ("Float", "Double", "BigDecimal"):
            ok = number and math.isfinite(value)
        elif kind == "Timestamp":
            ok = (number and math.isfinite(value)) or (isinstance(value, str) and _iso(value))
            if not ok:
                self.fail(path, "must be a Timestamp (epoch seconds or an ISO 8601 date-time)")
        else:  # the parser only produces the kinds above
            raise AssertionError(kind)
        if not ok:
            self.fail(path, f"must be {ARTICLE.get(kind, 'a ' + kind)}")
        return value

    def constraints(self, f: Field, value, path: str):
        if f.enum_values and value not in f.enum_values:
            self.fail(path, f"must be one of {', '.join(map(str, f.enum_values))}")
        bounds = f.constraints.get("length")
        if bounds is not None:
            size = len(value)  # characters of a string (code points, as Smithy counts), items of a list or map
            if not bounds.get("min", 0) <= size <= bounds.get("max", math.inf):
                self.fail(path, f"has length {size}, outside @length({_bounds(bounds)})")
        bounds = f.constraints.get("range")
        if bounds is not None and not bounds.get("min", -math.inf) <= value <= bounds.get("max", math.inf):
            self.fail(path, f"is {value}, outside @range({_bounds(bounds)})")
        pattern = f.constraints.get("pattern")
        if pattern is not None and not re.search(pattern, value):  # Smithy patterns are not anchored
            self.fail(path, f"does not match @pattern({json.dumps(pattern)})")


def _bounds(bounds: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in bounds.items())


def _iso(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return "T" in text or len(text) == 10  # a date-time, or a plain date
