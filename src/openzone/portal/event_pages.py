"""Event rules and their targets (administrators), and the audit trail of an asset."""

from __future__ import annotations

from starlette.responses import Response

from openzone.errors import OpenzoneError, ValidationError
from openzone.events import audit
from openzone.portal.web import Page, redirect


def _events(page: Page, operation: str, **params) -> dict:
    """Run an EventBridge operation (the same code path as `boto3.client("events")`)."""
    return page.call(operation, service="events", **params)


def rules(page: Page) -> Response:
    found = _events(page, "ListRules", Limit=100).get("Rules", [])
    for rule in found:
        rule["targets"] = _events(page, "ListTargetsByRule", Rule=rule["Name"], Limit=100).get("Targets", [])
    return page.render("event_rules.html", rules=found, form=page.form)


def create_rule(page: Page) -> Response:
    form = page.form
    try:
        if not form.get("target", "").strip():
            raise ValidationError("Give a target: a webhook URL (https://...) or a NATS subject (nats://host:port/subject).")
        _events(page, "PutRule", Name=form.get("name", "").strip(), EventPattern=form.get("pattern", ""),
                Description=form.get("description", "").strip() or None)
        failed = _events(page, "PutTargets", Rule=form["name"].strip(),
                         Targets=[{"Id": "1", "Arn": form["target"].strip()}]).get("FailedEntries") or []
        if failed:
            raise ValidationError(failed[0]["ErrorMessage"])
    except OpenzoneError as error:
        page.session.rollback()
        form["error"] = error.message
        response = rules(page)
        response.status_code = error.status
        return response
    return redirect("/admin/events", notice=f"rule {form['name'].strip()} created")


def change_rule(page: Page) -> Response:
    name, action = page.form.get("name", ""), page.form.get("action")
    if action == "delete":
        targets = _events(page, "ListTargetsByRule", Rule=name, Limit=100).get("Targets", [])
        if targets:  # EventBridge deletes only a rule without targets
            _events(page, "RemoveTargets", Rule=name, Ids=[t["Id"] for t in targets])
        _events(page, "DeleteRule", Name=name)
    else:
        _events(page, "DisableRule" if action == "disable" else "EnableRule", Name=name)
    return redirect("/admin/events", notice=f"rule {name} {action}d")


def trail(page: Page, asset_id: str, owning_project_id: str) -> list[dict]:
    """Who requested, approved, rejected, revoked this asset, when and why (the owning project sees it all)."""
    return [audit.as_dict(e) for e in audit.entries(page.session, asset_id=asset_id,
                                                   visible_projects=None if page.user.is_admin else {owning_project_id},
                                                   limit=50)]
