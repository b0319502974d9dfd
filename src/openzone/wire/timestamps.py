"""Response timestamps per shape: epoch seconds by default, ISO-8601 where the model says so."""

from datetime import datetime, timezone


def to_epoch(value: datetime) -> float:
    return round(value.timestamp(), 3)


def to_iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
