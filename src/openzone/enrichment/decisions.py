"""AcceptPredictions and RejectPredictions: decide an asset's offered predictions, as a new asset revision.

Rules (see predictions.py for what DataZone documents):
* Callers: owners and contributors of the asset's owning project (other members get AccessDenied, users
  outside the project ResourceNotFound, as for the asset itself).
* `revision`, when given, must be the asset's latest revision (an older one: ConflictException, since the
  predictions may have been decided meanwhile; one that does not exist: ResourceNotFoundException).
* Choices name a target that still has predictions on offer and valid choice indexes, else
  ValidationException naming the target; each target at most once per call.
* acceptRule ALL accepts the top offered prediction of every pending target whose confidence is at least
  `threshold` (every one without a threshold); rejectRule ALL rejects the top offered prediction of every
  pending target whose confidence is below `threshold` (every one without). The two thresholds split the
  same targets. Explicit choices come first; rules then cover the targets the choices did not name.
* A call that decides nothing makes no revision and answers the current one.
"""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from openzone.catalog import assets, types
from openzone.catalog.models import Asset, AssetRevision
from openzone.config import Settings
from openzone.enrichment import llm
from openzone.enrichment.models import AssetPredictions
from openzone.enrichment.predictions import (
    ACCEPTED,
    ASSET_DESCRIPTION,
    ASSET_NAME,
    REJECTED,
    offered,
    record,
    settle,
    state_of,
)
from openzone.errors import ConflictError, NotFoundError, ValidationError
from openzone.events.outbox import Entity, emit
from openzone.identity.models import User
from openzone.projects import service as projects

COLUMN_FORM_TYPE = types.PREFIX + "ColumnBusinessMetadataFormType"
COLUMN_FORM_NAME = "ColumnBusinessMetadataForm"
_LIMITS = {ASSET_NAME: llm.MAX_NAME, ASSET_DESCRIPTION: llm.MAX_DESCRIPTION}  # CreateAssetRevision's limits


def _editable_latest(session: Session, actor: User, domain_id: str, asset_id: str,
                     revision: str | None) -> tuple[Asset, AssetRevision]:
    asset, row, _ = assets.get_asset(session, actor, domain_id, asset_id)
    projects.require_actor(session, actor, domain_id, asset.owning_project_id)
    if revision is not None:
        number = assets.revision_number(revision, asset.revision)
        if number > asset.revision:
            raise NotFoundError(f"Asset {asset.id} has no revision {revision}.")
        if number < asset.revision:
            raise ConflictError(f"Asset {asset.id} revision {revision} is not its latest revision "
                                f"({asset.revision}); read the asset again and decide on its latest predictions.")
    return asset, row


def _targets(state: list[dict], named: list[dict]) -> list[tuple[dict, dict]]:
    """(choice, target) pairs for the named targets, each still offering predictions."""
    by_name = {t["predictionTarget"]: t for t in state}
    pairs, seen = [], set()
    for choice in named:
        name = choice["predictionTarget"]
        target = by_name.get(name)
        if target is None:
            raise ValidationError(f"predictionTarget {name} is not a prediction target of this asset.")
        if not offered(target):
            raise ValidationError(f"predictionTarget {name} has no predictions on offer (it is {target['status']}).")
        if name in seen:
            raise ValidationError(f"predictionTarget {name} is given more than once.")
        seen.add(name)
        pairs.append((choice, target))
    return pairs


def _choice(target: dict, index: int) -> dict:
    prediction = next((p for p in offered(target) if p["predictionChoice"] == index), None)
    if prediction is None:
        raise ValidationError(f"predictionChoice {index} is not on offer for predictionTarget "
                              f"{target['predictionTarget']}.")
    return prediction


def _rule(rule: dict | None, name: str) -> tuple[bool, float | None]:
    if not rule or rule.get("rule", "NONE") == "NONE":
        return False, None
    threshold = rule.get("threshold")
    if threshold is not None and not 0 <= threshold <= 1:
        raise ValidationError(f"{name}.threshold must be a confidence between 0 and 1, not {threshold}.")
    return True, threshold


def _accept(target: dict, value: str, prediction: dict | None) -> None:
    target["status"], target["acceptedValue"] = ACCEPTED, value
    if prediction is not None:
        prediction["status"] = ACCEPTED
    else:
        target["edited"] = True


def _edited(target: dict, value: str) -> str:
    value = value.strip()
    limit = _LIMITS.get(target["predictionTarget"], llm.MAX_NAME)
    if not value or len(value) > limit:
        raise ValidationError(f"editedValue for predictionTarget {target['predictionTarget']} must have 1 to "
                              f"{limit} characters.")
    return value


# ---------------------------------------------------------------- the new revision


def _column_form(session: Session, domain_id: str, asset: Asset, row: AssetRevision,
                 names: dict[str, str]) -> dict:
    """The ColumnBusinessMetadataForm entry with the accepted column names merged into what it held."""
    current = next((f for f in row.forms if f["typeName"] == COLUMN_FORM_TYPE), None)
    info = types.resolve_asset_type(session, domain_id, asset.type_identifier, asset.type_revision)
    pinned = next((n for n, (t, _, _) in info.forms.items() if t == COLUMN_FORM_TYPE), None)
    form_name = current["formName"] if current else pinned or COLUMN_FORM_NAME
    content = json.loads(current["content"]) if current else {}
    entries = content.get("columnsBusinessMetadata") or [] if isinstance(content, dict) else []
    by_column = {e["columnIdentifier"]: e for e in entries}
    for column, name in names.items():
        by_column.setdefault(column, {"columnIdentifier": column})["name"] = name
    entry = {"formName": form_name, "content": json.dumps({"columnsBusinessMetadata": list(by_column.values())})}
    if form_name not in info.forms:
        entry |= {"typeIdentifier": COLUMN_FORM_TYPE,
                  "typeRevision": current["typeRevision"] if current else types.SYSTEM_REVISION}
    return entry


def _new_revision(session: Session, actor: User, domain_id: str, asset: Asset, row: AssetRevision,
                  previous: AssetPredictions, state: list[dict], accepted: dict[str, str],
                  settings: Settings) -> AssetRevision:
    """Revision N+1 with the accepted values in place (the rest carried over) and the new predictions state."""
    p: dict = {"name": accepted.get(ASSET_NAME, row.name), "description": accepted.get(ASSET_DESCRIPTION)}
    columns = {t["columnName"]: accepted[t["predictionTarget"]] for t in state
               if "columnName" in t and t["predictionTarget"] in accepted}
    if columns:
        p["formsInput"] = [_column_form(session, domain_id, asset, row, columns)]
    _, new_row, _ = assets.create_asset_revision(session, actor, domain_id, asset.id, p, settings)
    record(session, asset.id, new_row.revision, previous.enabled, previous.generator, state)
    return new_row


def _event(session: Session, actor: User, asset: Asset, detail_type: str, revision: int, targets: list[str]) -> None:
    emit(session, detail_type=detail_type, domain_id=asset.domain_id,
         entity=Entity(asset.id, "AssetEntityType", str(revision), asset.owning_project_id), user_id=actor.id,
         data={"assetId": asset.id, "assetRevision": str(revision), "predictionTargets": targets})


# ---------------------------------------------------------------- the operations


def accept_predictions(session: Session, actor: User, domain_id: str, asset_id: str, p: dict,
                       settings: Settings) -> Asset:
    """Accept predictions (chosen, edited, or all above a threshold) into a new asset revision."""
    asset, row = _editable_latest(session, actor, domain_id, asset_id, p.get("revision"))
    choices, (by_rule, threshold) = p.get("acceptChoices") or [], _rule(p.get("acceptRule"), "acceptRule")
    if not choices and not by_rule:
        raise ValidationError("Give acceptChoices, or an acceptRule with rule ALL.")
    stored, state = state_of(session, asset)
    if stored is None or not stored.suggestions:
        raise ValidationError(f"Asset {asset.id} revision {asset.revision} has no predictions; create a revision "
                              f"with predictionConfiguration.businessNameGeneration.enabled to get some.")
    accepted: dict[str, str] = {}
    for choice, target in _targets(state, choices):
        if choice.get("editedValue") is not None:
            value, prediction = _edited(target, choice["editedValue"]), None
        else:
            prediction = _choice(target, choice.get("predictionChoice", offered(target)[0]["predictionChoice"]))
            value = prediction["value"]
        _accept(target, value, prediction)
        accepted[target["predictionTarget"]] = value
    if by_rule:
        for target in state:
            top = next(iter(offered(target)), None)
            if top is not None and (threshold is None or top["confidence"] >= threshold):
                _accept(target, top["value"], top)
                accepted[target["predictionTarget"]] = top["value"]
    if not accepted:
        return asset
    new_row = _new_revision(session, actor, domain_id, asset, row, stored, state, accepted, settings)
    _event(session, actor, asset, "Metadata Generation Accepted", new_row.revision, list(accepted))
    return asset


def reject_predictions(session: Session, actor: User, domain_id: str, asset_id: str, p: dict,
                       settings: Settings) -> Asset:
    """Reject predictions (chosen, or all below a threshold) so they are no longer offered; a new revision."""
    asset, row = _editable_latest(session, actor, domain_id, asset_id, p.get("revision"))
    choices, (by_rule, threshold) = p.get("rejectChoices") or [], _rule(p.get("rejectRule"), "rejectRule")
    if not choices and not by_rule:
        raise ValidationError("Give rejectChoices, or a rejectRule with rule ALL.")
    stored, state = state_of(session, asset)
    if stored is None or not stored.suggestions:
        raise ValidationError(f"Asset {asset.id} revision {asset.revision} has no predictions to reject.")
    rejected: list[str] = []
    for choice, target in _targets(state, choices):
        indexes = choice.get("predictionChoices") or [o["predictionChoice"] for o in offered(target)]
        for prediction in [_choice(target, index) for index in dict.fromkeys(indexes)]:
            prediction["status"] = REJECTED
        settle(target)
        rejected.append(target["predictionTarget"])
    if by_rule:
        named = set(rejected)
        for target in state:
            top = next(iter(offered(target)), None)
            if target["predictionTarget"] in named or top is None:
                continue
            if threshold is None or top["confidence"] < threshold:
                top["status"] = REJECTED
                settle(target)
                rejected.append(target["predictionTarget"])
    if not rejected:
        return asset
    new_row = _new_revision(session, actor, domain_id, asset, row, stored, state, {}, settings)
    _event(session, actor, asset, "Metadata Generation Rejected", new_row.revision, rejected)
    return asset

