"""Render service results by the output shape: drop nulls, format timestamps, check unions."""

from datetime import datetime

from botocore.model import Shape

from openzone.errors import InternalError
from openzone.wire.timestamps import to_epoch, to_iso


class Prerendered(list):
    """A list its producer already built in the wire's JSON form (large result pages skip the walk)."""


def render(shape: Shape | None, value):
    """A JSON-ready value for `shape`; unknown members or a broken union are a server bug."""
    if shape is None or value is None:
        return None
    if isinstance(value, Prerendered):
        return list(value)
    kind = shape.type_name
    if kind == "structure":
        return _render_structure(shape, value)
    if kind == "list":
        return [render(shape.member, item) for item in value]
    if kind == "map":
        return {key: render(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        if not isinstance(value, datetime):
            return value
        # The serialization key wins; otherwise this protocol's default is epoch seconds.
        if shape.serialization.get("timestampFormat") == "iso8601":
            return to_iso(value)
        return to_epoch(value)
    return value


def _render_structure(shape: Shape, value: dict) -> dict:
    members = shape.members
    out = {}
    for name, item in value.items():
        if item is None:
            continue
        member = members.get(name)
        if member is None:
            raise InternalError(f"{shape.name} has no member {name!r}")
        if member.serialization.get("location"):
            continue  # headers and labels are not part of a JSON body
        out[name] = render(member, item)
    if shape.is_tagged_union and len(out) != 1:
        raise InternalError(f"union {shape.name} must have exactly one member, has {sorted(out)}")
    return out
