"""Rules and targets of the event bus, managed with EventBridge's operations (administrators only)."""

import re
import secrets
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from openzone.errors import AccessDeniedError, NotFoundError, OpenzoneError, ValidationError
from openzone.events.models import EventDelivery, EventRule, EventTarget, OutboxEvent
from openzone.events.outbox import origin
from openzone.events.patterns import Pattern

DEFAULT_BUS = "default"
MAX_TARGETS = 5  # per rule, as on EventBridge
# Given in HttpParameters.HeaderParameters, this header is the webhook's signing secret: kept, never sent or listed.
SECRET_HEADER = "X-Openzone-Signing-Secret"
_SUBJECT = re.compile(r"[^\s*>]+")
_UNSUPPORTED = ("Input", "InputPath", "InputTransformer", "DeadLetterConfig", "KinesisParameters",
                "RunCommandParameters", "EcsParameters", "BatchParameters", "SqsParameters",
                "RedshiftDataParameters", "SageMakerPipelineParameters", "AppSyncParameters")


class LimitExceededError(OpenzoneError):
    code, status = "LimitExceededException", 400


def require_admin(actor) -> None:
    """Only openzone administrators manage the event bus: its rules see every domain's events."""
    if not getattr(actor, "is_admin", False):
        raise AccessDeniedError("Only administrators can manage event rules and targets.")


def rule_arn(name: str) -> str:
    account, region = origin()
    return f"arn:aws:events:{region}:{account}:rule/{name}"


def check_bus(bus: str | None) -> None:
    """openzone has one bus, `default` (also accepted by its ARN)."""
    account, region = origin()
    if bus not in (None, DEFAULT_BUS, f"arn:aws:events:{region}:{account}:event-bus/{DEFAULT_BUS}"):
        raise NotFoundError(f"Event bus {bus} does not exist.")


def get_rule(session: Session, actor, name: str, bus: str | None = None) -> EventRule:
    """A rule by name (DescribeRule)."""
    require_admin(actor)
    check_bus(bus)
    rule = session.get(EventRule, name)
    if rule is None:
        raise NotFoundError(f"Rule {name} does not exist on EventBus {DEFAULT_BUS}.")
    return rule


def put_rule(session: Session, actor, p: dict) -> EventRule:
    """Create or update a rule (PutRule); the pattern is validated here, not at delivery time."""
    require_admin(actor)
    check_bus(p.get("EventBusName"))
    if p.get("ScheduleExpression"):
        raise ValidationError("openzone rules match events; ScheduleExpression is not supported.")
    if not p.get("EventPattern"):
        raise ValidationError("Parameter(s) EventPattern or ScheduleExpression must be specified.")
    Pattern.parse(p["EventPattern"])
    state = p.get("State") or "ENABLED"
    if state not in ("ENABLED", "DISABLED"):
        raise ValidationError(f"State {state} is not supported; use ENABLED or DISABLED.")
    rule = session.get(EventRule, p["Name"])
    if rule is None:
        newest = session.scalar(select(func.max(OutboxEvent.seq))) or 0
        rule = EventRule(name=p["Name"], created_by=actor.id, created_seq=newest)
        session.add(rule)
    rule.event_pattern, rule.state = p["EventPattern"], state
    if "Description" in p:
        rule.description = p["Description"]
    session.flush()
    return rule


def list_rules(session: Session, actor, prefix: str | None, offset: int, limit: int) -> list[EventRule]:
    """Rules by name, optionally those whose name starts with `prefix` (limit+1 rows for paging)."""
    require_admin(actor)
    query = select(EventRule).order_by(EventRule.name)
    if prefix:
        query = query.where(EventRule.name.startswith(prefix, autoescape=True))
    return list(session.scalars(query.offset(offset).limit(limit + 1)))


def delete_rule(session: Session, actor, name: str, bus: str | None) -> None:
    """Delete a rule that has no targets left (DeleteRule); a missing rule is not an error, as on EventBridge."""
    require_admin(actor)
    check_bus(bus)
    rule = session.get(EventRule, name)
    if rule is None:
        return
    if session.scalar(select(func.count()).where(EventTarget.rule_name == name)):
        raise ValidationError("Rule can't be deleted since it has targets.")
    session.delete(rule)
    session.flush()


def set_state(session: Session, actor, name: str, bus: str | None, state: str) -> None:
    """EnableRule / DisableRule: a disabled rule matches nothing (events meanwhile are not delivered later)."""
    get_rule(session, actor, name, bus).state = state
    session.flush()


def targets_of(session: Session, actor, rule_name: str, bus: str | None, offset: int = 0,
               limit: int = 100) -> list[EventTarget]:
    """A rule's targets by id (ListTargetsByRule)."""
    get_rule(session, actor, rule_name, bus)
    return list(session.scalars(select(EventTarget).where(EventTarget.rule_name == rule_name)
                                .order_by(EventTarget.target_id).offset(offset).limit(limit + 1)))


def put_targets(session: Session, actor, rule_name: str, bus: str | None, targets: list[dict],
                defaults: tuple[int, int]) -> list[dict]:
    """Add or update targets (PutTargets); returns the failed entries (each with an error code and message)."""
    get_rule(session, actor, rule_name, bus)
    existing = {t.target_id: t for t in session.scalars(select(EventTarget).where(EventTarget.rule_name == rule_name))}
    new_ids = {t["Id"] for t in targets} - set(existing)
    if len(existing) + len(new_ids) > MAX_TARGETS:
        raise LimitExceededError(f"A rule can have at most {MAX_TARGETS} targets.")
    failed = []
    for spec in targets:
        try:
            _put_target(session, rule_name, spec, existing.get(spec["Id"]), defaults)
        except ValidationError as error:
            failed.append({"TargetId": spec["Id"], "ErrorCode": "ValidationException", "ErrorMessage": error.message})
    session.flush()
    return failed


def _put_target(session: Session, rule_name: str, spec: dict, target: EventTarget | None,
                defaults: tuple[int, int]) -> None:
    unsupported = [name for name in _UNSUPPORTED if spec.get(name) is not None]
    if unsupported:
        raise ValidationError(f"openzone targets do not support {', '.join(unsupported)}; events are sent "
                              "as they are and failures stay in the target's dead-letter list.")
    kind, _ = parse_target_arn(spec["Arn"])
    http = dict(spec.get("HttpParameters") or {})
    if set(http) - {"HeaderParameters"}:
        raise ValidationError("Only HttpParameters.HeaderParameters are supported (sent as HTTP headers).")
    headers = dict(http.get("HeaderParameters") or {})
    secret = headers.pop(SECRET_HEADER, None) or (target.secret if target else secrets.token_urlsafe(32))
    if headers and kind != "WEBHOOK":
        raise ValidationError("HeaderParameters apply to webhook targets only.")
    max_attempts, max_age = defaults
    policy = spec.get("RetryPolicy") or {}
    if policy.get("MaximumRetryAttempts") is not None:
        max_attempts = policy["MaximumRetryAttempts"] + 1
    if policy.get("MaximumEventAgeInSeconds") is not None:
        max_age = policy["MaximumEventAgeInSeconds"]
    shown = {k: v for k, v in spec.items() if k != "HttpParameters"}
    if headers:
        shown["HttpParameters"] = {"HeaderParameters": headers}
    if target is None:
        target = EventTarget(rule_name=rule_name, target_id=spec["Id"])
        session.add(target)
    target.arn, target.kind, target.spec, target.secret, target.headers = spec["Arn"], kind, shown, secret, headers
    target.max_attempts, target.max_age_seconds = max_attempts, max_age


def parse_target_arn(arn: str) -> tuple[str, str]:
    """(kind, address) of a target Arn: an http(s):// URL is a webhook, nats://host:port/subject a NATS subject."""
    parts = urlsplit(arn)
    if parts.scheme in ("http", "https") and parts.hostname:
        return "WEBHOOK", arn
    if parts.scheme == "nats" and parts.hostname:
        subject = parts.path.lstrip("/")
        if not _SUBJECT.fullmatch(subject):
            raise ValidationError(f"Target {arn} names no NATS subject to publish to (nats://host:port/subject, "
                                  "no spaces or wildcards).")
        return "NATS", subject
    raise ValidationError(f"Target Arn {arn} is not supported: use an http(s):// URL for a webhook or "
                          "nats://host:port/subject for a NATS subject.")


def remove_targets(session: Session, actor, rule_name: str, bus: str | None, ids: list[str]) -> list[dict]:
    """Remove targets (RemoveTargets); their pending deliveries and dead letters go with them."""
    get_rule(session, actor, rule_name, bus)
    found = set(session.scalars(select(EventTarget.target_id).where(
        EventTarget.rule_name == rule_name, EventTarget.target_id.in_(ids))))
    session.execute(delete(EventTarget).where(EventTarget.rule_name == rule_name, EventTarget.target_id.in_(ids)))
    session.flush()
    return [{"TargetId": i, "ErrorCode": "ResourceNotFoundException",
             "ErrorMessage": f"Target {i} does not exist on rule {rule_name}."} for i in ids if i not in found]


def target_of(session: Session, rule_name: str, target_id: str) -> EventTarget:
    """One target (CLI: its signing secret, its dead letters)."""
    target = session.scalar(select(EventTarget).where(EventTarget.rule_name == rule_name,
                                                      EventTarget.target_id == target_id))
    if target is None:
        raise NotFoundError(f"Target {target_id} does not exist on rule {rule_name}.")
    return target


def pending_count(session: Session, target: EventTarget) -> int:
    """Deliveries of a target not yet made."""
    return session.scalar(select(func.count()).where(EventDelivery.target_pk == target.id,
                                                     EventDelivery.status == "PENDING")) or 0



def dead_count(session: Session, target: EventTarget) -> int:
    """Dead letters of a target."""
    return session.scalar(select(func.count()).where(EventDelivery.target_pk == target.id,
                                                     EventDelivery.status == "DEAD")) or 0
