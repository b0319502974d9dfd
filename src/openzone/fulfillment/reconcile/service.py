"""One reconciler pass over every engine, recorded as findings; the periodic job; reading findings back."""

import logging
import uuid
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.domains.models import Domain
from openzone.errors import NotFoundError
from openzone.fulfillment.reconcile import lake, stuck, warehouse
from openzone.fulfillment.reconcile.findings import Finding, record
from openzone.fulfillment.reconcile.models import GrantFinding
from openzone.jobs.queue import task

log = logging.getLogger("openzone.reconcile")

Check = Callable[[Session, Settings, str | None, bool], list[Finding]]
# name -> check of one engine (or of the jobs); each compares in both directions and repairs when asked.
CHECKS: dict[str, Check] = {"lake": lake.check, "warehouse": warehouse.check, "jobs": stuck.check}


def verify(session: Session, settings: Settings, domain_id: str | None = None,
           repair: bool = False) -> tuple[str, list[Finding], dict[str, str]]:
    """Compare every grant (of one domain, or all) with the engines; with `repair`, make them agree.

    Returns the pass's id, its findings (each stored and emitted as an event) and the engines that could
    not be checked, with why: one unreachable engine does not stop the others."""
    if domain_id is not None and session.get(Domain, domain_id) is None:
        raise NotFoundError(f"Domain {domain_id} not found.")
    run_id, findings, errors = str(uuid.uuid4()), [], {}
    for name, check in CHECKS.items():
        try:
            with session.begin_nested():
                findings += check(session, settings, domain_id, repair)
        except Exception as error:  # noqa: BLE001  (reported, and the next pass tries again)
            log.exception("reconciling %s failed", name)
            errors[name] = str(error) or type(error).__name__
    for finding in findings:
        record(session, run_id, finding)
    return run_id, findings, errors


@task("grants.reconcile", every=lambda settings: settings.reconcile_interval_seconds)
def reconcile(session: Session, settings: Settings, payload: dict) -> None:
    """The periodic pass: find drift in every domain and repair it."""
    run_id, findings, errors = verify(session, settings, payload.get("domain_id"), repair=True)
    if findings or errors:
        log.warning("reconciler pass %s: %d findings, engines not checked: %s", run_id, len(findings),
                    ", ".join(errors) or "none")


def list_findings(session: Session, domain_id: str | None = None, grant_id: str | None = None,
                  run_id: str | None = None, limit: int = 100) -> list[GrantFinding]:
    """Recorded findings, newest first."""
    query = select(GrantFinding)
    for column, value in ((GrantFinding.domain_id, domain_id), (GrantFinding.grant_id, grant_id),
                          (GrantFinding.run_id, run_id)):
        if value is not None:
            query = query.where(column == value)
    return list(session.scalars(query.order_by(GrantFinding.id.desc()).limit(limit)))
