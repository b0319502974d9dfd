"""DataZone schedules: `cron(minutes hours day-of-month month day-of-week year)` in one of DataZone's timezones.

The syntax is EventBridge's: day-of-week 1-7 is SUN-SAT (names allowed), `?` in one of the two day fields,
`L` for the last day of the month, `#` for the nth weekday, and a year field. openzone evaluates it with
croniter after translating day-of-week numbers and dropping the year (checked separately).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from openzone.errors import ValidationError

_CRON = re.compile(r"^\s*cron\((.+)\)\s*$")
# Where the enum names a legacy alias, its canonical zone (the aliases are missing from some tz databases).
_SPECIAL_ZONES = {"UTC": "UTC", "CET": "Europe/Paris", "CST6CDT": "America/Chicago", "MST7MDT": "America/Denver",
                  "ISRAEL": "Asia/Jerusalem", "ETC_GMT": "Etc/GMT", "ETC_GMT0": "Etc/GMT",
                  "CANADA_CENTRAL": "America/Winnipeg", "MEXICO_GENERAL": "America/Mexico_City",
                  "ASIA_CALCUTTA": "Asia/Kolkata", "AMERICA_MONTREAL": "America/Toronto",
                  "US_CENTRAL": "America/Chicago", "US_EASTERN": "America/New_York", "US_MOUNTAIN": "America/Denver",
                  "US_PACIFIC": "America/Los_Angeles", "ETC_GMT_ADD_0": "Etc/GMT", "ETC_GMT_NEG_0": "Etc/GMT"}
# Far enough to cover a yearly schedule with a restricted year; a schedule never firing again gives None.
_HORIZON_YEARS = 10


def zone(timezone: str | None) -> ZoneInfo:
    """The IANA zone of a DataZone Timezone enum value (UTC when absent)."""
    name = timezone or "UTC"
    if name in _SPECIAL_ZONES:
        iana = _SPECIAL_ZONES[name]
    elif name.startswith(("ETC_GMT_ADD_", "ETC_GMT_NEG_")):
        sign = "+" if "_ADD_" in name else "-"
        iana = f"Etc/GMT{sign}{name.rsplit('_', 1)[1]}"
    else:
        region, _, city = name.partition("_")
        iana = region.title() + "/" + "_".join(part.title() for part in city.split("_"))
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"schedule.timezone {timezone} is not a timezone openzone knows.") from None


def _day_of_week(field: str) -> str:
    # EventBridge numbers Sunday 1; croniter numbers it 0. The part after '#' is "the nth", not a day.
    def shift(match: re.Match) -> str:
        return str(int(match.group(0)) - 1)

    day, hash_, nth = field.partition("#")
    return re.sub(r"\d+", shift, day) + hash_ + nth


def _years(field: str) -> set[int] | None:
    if field in ("*", "?"):
        return None
    years: set[int] = set()
    for part in field.split(","):
        part, _, step = part.partition("/")
        first, _, last = part.partition("-")
        start = int(first) if first != "*" else 1970
        stop = int(last) if last else (2199 if step or first == "*" else start)
        years.update(range(start, stop + 1, int(step) if step else 1))
    return years


@lru_cache(maxsize=512)
def parse(expression: str) -> tuple[str, frozenset[int] | None]:
    """(croniter expression, allowed years or None); ValidationError naming schedule.schedule if invalid."""
    match = _CRON.match(expression or "")
    fields = match.group(1).split() if match else []
    if len(fields) != 6:
        raise ValidationError("schedule.schedule must be cron(minutes hours day-of-month month day-of-week year), "
                              f"e.g. cron(0 2 * * ? *); got {expression!r}.")
    minutes, hours, day, month, weekday, year = fields
    if day != "?" and weekday != "?":
        raise ValidationError("schedule.schedule: one of day-of-month and day-of-week must be '?'.")
    if "W" in day.upper():
        raise ValidationError("schedule.schedule: the W (nearest weekday) syntax is not supported by openzone.")
    day = "*" if day == "?" else day
    weekday = "*" if weekday == "?" else _day_of_week(weekday)
    translated = f"{minutes} {hours} {day} {month} {weekday}"
    try:
        years = _years(year)
        if not croniter.is_valid(translated):
            raise ValueError(translated)
    except ValueError:
        raise ValidationError(f"schedule.schedule {expression!r} is not a valid cron expression.") from None
    return translated, frozenset(years) if years is not None else None


def validate(schedule: dict | None) -> dict | None:
    """The schedule as stored (both members), after checking them."""
    if not schedule:
        return None
    if not schedule.get("schedule"):
        raise ValidationError("schedule.schedule is required when a schedule is given.")
    parse(schedule["schedule"])
    zone(schedule.get("timezone"))
    return {"schedule": schedule["schedule"], "timezone": schedule.get("timezone") or "UTC"}


def next_run(schedule: dict | None, after: datetime) -> datetime | None:
    """The first time strictly after `after` (UTC) at which the schedule fires, in UTC; None if never again."""
    if not schedule:
        return None
    expression, years = parse(schedule["schedule"])
    tz = zone(schedule.get("timezone"))
    local = after.astimezone(tz)
    iterator = croniter(expression, local)
    limit = local + timedelta(days=366 * _HORIZON_YEARS)
    while True:
        candidate = iterator.get_next(datetime)
        if candidate > limit:
            return None
        if years is None or candidate.year in years:
            return candidate.astimezone(UTC)
