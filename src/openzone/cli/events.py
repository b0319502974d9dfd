"""`openzone events ...`: rules, targets, dead letters and redelivery, as the machine's operator."""

import json
from types import SimpleNamespace

import typer

from openzone.cli.main import _fail, events_app, settings_for

# Whoever runs the CLI on the server's store acts as an administrator of the bus.
OPERATOR = SimpleNamespace(id="openzone-cli", is_admin=True)


def _scope():
    from openzone.db.session import session_scope

    return session_scope(settings_for().metadata_url)


def _run(action):
    from openzone.errors import OpenzoneError

    try:
        with _scope() as session:
            return action(session)
    except OpenzoneError as error:
        _fail(error.message)


@events_app.command("rules")
def rules_list() -> None:
    """List rules with their targets, pending deliveries and dead letters (one JSON object per rule)."""
    from openzone.events import rules

    def action(session):
        for rule in rules.list_rules(session, OPERATOR, None, 0, 10_000):
            targets = [{"Id": t.target_id, "Arn": t.arn, "pending": rules.pending_count(session, t),
                        "deadLetters": rules.dead_count(session, t)}
                       for t in rules.targets_of(session, OPERATOR, rule.name, None, 0, 1000)]
            typer.echo(json.dumps({"Name": rule.name, "State": rule.state, "EventPattern": rule.event_pattern,
                                   "Targets": targets}))
    _run(action)


@events_app.command("put-rule")
def put_rule(name: str, pattern: str = typer.Option(..., "--pattern", help="The EventBridge event pattern (JSON)."),
             description: str = typer.Option(None), disabled: bool = typer.Option(False, "--disabled")) -> None:
    """Create or update a rule; prints its ARN."""
    from openzone.events import rules

    params = {"Name": name, "EventPattern": pattern, "State": "DISABLED" if disabled else "ENABLED"}
    if description is not None:
        params["Description"] = description
    rule = _run(lambda session: rules.put_rule(session, OPERATOR, params))
    typer.echo(json.dumps({"RuleArn": rules.rule_arn(rule.name)}))


@events_app.command("delete-rule")
def delete_rule(name: str) -> None:
    """Delete a rule that has no targets."""
    from openzone.events import rules

    _run(lambda session: rules.delete_rule(session, OPERATOR, name, None))


@events_app.command("enable-rule")
def enable_rule(name: str) -> None:
    """Enable a rule."""
    from openzone.events import rules

    _run(lambda session: rules.set_state(session, OPERATOR, name, None, "ENABLED"))


@events_app.command("disable-rule")
def disable_rule(name: str) -> None:
    """Disable a rule (events meanwhile are not delivered to it later)."""
    from openzone.events import rules

    _run(lambda session: rules.set_state(session, OPERATOR, name, None, "DISABLED"))


@events_app.command("put-target")
def put_target(rule: str, target_id: str, arn: str = typer.Argument(..., help="http(s)://... or nats://host:port/subject"),
               secret: str = typer.Option(None, help="Webhook signing secret (default: generated, see `secret`)."),
               max_retries: int = typer.Option(None, help="Retries before an event becomes a dead letter."),
               max_age: int = typer.Option(None, help="Seconds after which an undelivered event becomes a dead letter.")) -> None:
    """Add or update a target of a rule."""
    from openzone.events import rules

    spec = {"Id": target_id, "Arn": arn}
    if secret:
        spec["HttpParameters"] = {"HeaderParameters": {rules.SECRET_HEADER: secret}}
    policy = {k: v for k, v in (("MaximumRetryAttempts", max_retries), ("MaximumEventAgeInSeconds", max_age)) if v is not None}
    if policy:
        spec["RetryPolicy"] = policy
    settings = settings_for()
    failed = _run(lambda session: rules.put_targets(session, OPERATOR, rule, None, [spec], (
        settings.events_max_attempts, settings.events_max_age_seconds)))
    if failed:
        _fail(failed[0]["ErrorMessage"])


@events_app.command("remove-target")
def remove_target(rule: str, target_id: str) -> None:
    """Remove a target (its pending deliveries and dead letters go with it)."""
    from openzone.events import rules

    failed = _run(lambda session: rules.remove_targets(session, OPERATOR, rule, None, [target_id]))
    if failed:
        _fail(failed[0]["ErrorMessage"])


@events_app.command("secret")
def show_secret(rule: str, target_id: str) -> None:
    """Print a webhook target's signing secret (the HMAC-SHA256 key of X-Openzone-Signature)."""
    from openzone.events import rules

    typer.echo(_run(lambda session: rules.target_of(session, rule, target_id).secret))


@events_app.command("dead-letters")
def dead_letters(rule: str = typer.Option(None), target: str = typer.Option(None, "--target"),
                 limit: int = typer.Option(100)) -> None:
    """Events a target never took within its retry policy, newest first (JSON lines)."""
    from openzone.events import deadletters

    for letter in _run(lambda session: deadletters.dead_letters(session, rule, target, limit)):
        typer.echo(json.dumps(letter))


@events_app.command("redeliver")
def redeliver(rule: str = typer.Option(None), target: str = typer.Option(None, "--target"),
              event_id: list[str] = typer.Option(None, "--event-id", help="These events (delivered or dead).")) -> None:
    """Queue events again: the given ones, or else every dead letter of the rule or target."""
    from openzone.events import deadletters

    count = _run(lambda session: deadletters.redeliver(session, rule_name=rule, target_id=target,
                                                       event_ids=event_id or None))
    typer.echo(f"{count} events queued for redelivery")


@events_app.command("test-pattern")
def test_pattern(pattern: str, event: str) -> None:
    """Print true when the event (JSON) matches the pattern (JSON), like TestEventPattern; exit 1 otherwise."""
    from openzone.errors import OpenzoneError
    from openzone.events.patterns import event_matches

    try:
        result = event_matches(pattern, event)
    except OpenzoneError as error:
        _fail(error.message)
    typer.echo(json.dumps(result))
    if not result:
        raise typer.Exit(1)
