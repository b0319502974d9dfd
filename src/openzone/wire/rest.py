"""DataZone's rest-json protocol: match a raw path to an operation and rebuild its input dict."""

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import parse_qsl, unquote

from botocore.model import OperationModel, Shape

from openzone.errors import OpenzoneError, ValidationError
from openzone.wire.model import service_model


class UnknownOperationError(OpenzoneError):
    code, status = "UnknownOperationException", 404


class SerializationError(OpenzoneError):
    code, status = "SerializationException", 400


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    operation: OperationModel
    literal_segments: int


@lru_cache(maxsize=4)
def routes(service: str) -> tuple[Route, ...]:
    """Every operation's route, most specific (most literal segments) first."""
    model = service_model(service)
    table = []
    for name in model.operation_names:
        op = model.operation_model(name)
        uri = op.http["requestUri"].split("?")[0]
        regex, literals = "", 0
        for segment in uri.strip("/").split("/"):
            label = re.fullmatch(r"\{(\w+)(\+?)\}", segment)
            if label:
                regex += f"/(?P<{label[1]}>.+)" if label[2] else f"/(?P<{label[1]}>[^/]+)"
            else:
                regex += "/" + re.escape(segment)
                literals += 1
        table.append(Route(op.http["method"], re.compile(regex + "/?"), op, literals))
    table.sort(key=lambda route: -route.literal_segments)
    return tuple(table)


def match(service: str, method: str, raw_path: str) -> tuple[OperationModel, dict[str, str]]:
    """The operation for this method and raw (still percent-encoded) path, with its decoded labels."""
    for route in routes(service):
        if route.method != method:
            continue
        found = route.pattern.fullmatch(raw_path)
        if found:
            return route.operation, {k: unquote(v) for k, v in found.groupdict().items()}
    raise UnknownOperationError(f"No operation matches {method} {raw_path}.")


def build_input(op: OperationModel, labels: dict[str, str], raw_query: str,
                headers: dict[str, str], body: bytes) -> dict:
    """The operation's input as botocore would have given it to the client."""
    shape = op.input_shape
    if shape is None:
        return {}
    params: dict = {}
    if body:
        try:
            decoded = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise SerializationError("The request body is not valid JSON.") from None
        if not isinstance(decoded, dict):
            raise SerializationError("The request body must be a JSON object.")
        params.update({k: v for k, v in decoded.items()
                       if k in shape.members and not shape.members[k].serialization.get("location")})
    query = parse_qsl(raw_query, keep_blank_values=True)
    for name, member in shape.members.items():
        where = member.serialization.get("location")
        key = member.serialization.get("name", name)
        if where == "uri" and key in labels:
            params[name] = labels[key]
        elif where == "querystring":
            values = [v for k, v in query if k == key]
            if values:
                params[name] = _convert(member, values, name)
        elif where == "header" and key.lower() in headers:
            params[name] = _convert(member, [headers[key.lower()]], name)
    return params


def _convert(shape: Shape, values: list[str], name: str):
    kind = shape.type_name
    if kind == "list":
        return [_convert(shape.member, [v], name) for v in values]
    value = values[-1]
    try:
        if kind in ("integer", "long"):
            return int(value)
        if kind == "boolean":
            if value not in ("true", "false"):
                raise ValueError(value)
            return value == "true"
        if kind == "timestamp":
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"1 validation error detected: Value at '{name}' failed to satisfy constraint: "
            f"Member must be of type {kind.capitalize()}") from None
    return value
