"""Predictions: generated business names and a description, offered on an asset revision until decided.

What DataZone does (API reference and the EventBridge event list; AWS does not publish the content of its
suggestion form, so that content below is openzone's own):

* CreateAsset / CreateAssetRevision take `predictionConfiguration.businessNameGeneration.enabled` and echo
  `predictionConfiguration` in their output (GetAsset's output has no such member). Data sources have the
  same switch as `recommendation.enableBusinessNameGeneration`.
* Generated metadata is a list of *predictions* per *prediction target* ("for example, a column name"),
  each prediction with a confidence. AcceptPredictions (`PUT .../assets/{id}/accept-predictions?revision=`)
  takes `acceptChoices` [{predictionTarget, predictionChoice (index of the prediction), editedValue (the
  user's edit, 1..5000 chars)}] and/or `acceptRule` {rule ALL|NONE, threshold (a confidence)}: ALL accepts
  the top prediction of every target. It answers {domainId, assetId, revision}. RejectPredictions takes
  `rejectChoices` [{predictionTarget, predictionChoices [indexes]}] and/or `rejectRule` {rule, threshold}
  and answers {domainId, assetId, assetRevision}. Both carry a clientToken.
* DataZone's system asset types (e.g. MskTopicAssetType in the SearchTypes example) carry a `SuggestionForm`
  (`amazon.datazone.SuggestionFormType`); accepted column names live in `ColumnBusinessMetadataForm`
  (columnsBusinessMetadata[{columnIdentifier, name, ...}]). EventBridge detail-types: "Business Name
  Generation Succeeded" / "Business Name Generation Failed", "Metadata Generation Accepted" / "Rejected".

How openzone mirrors it:

* Targets: `asset:name` (the asset's business name), `asset:description` (its description), and every
  column of the technical form (any form with `columns[{columnName}]`, e.g. GlueTableForm, RedshiftTableForm)
  by its plain column name. Choices are indexed from 0; choice 0 is the top prediction.
* Offered predictions are shown read-only, as GetAsset's `readOnlyFormsOutput` form `SuggestionForm`
  (type `amazon.datazone.SuggestionFormType`), with every target's status (PENDING, ACCEPTED, REJECTED) and
  the status of each of its predictions; a rejected prediction is no longer offered.
* Accepting writes a new immutable asset revision: the accepted asset name becomes the asset's name, the
  description its description, column names go into ColumnBusinessMetadataForm. Rejecting also writes a
  revision (only the prediction state changes), as DataZone's `assetRevision` answer implies.
* The generator is enrichment/names.py (offline, deterministic; ~20 ms for 400 columns); an optional LLM
  endpoint (enrichment/llm.py) may put a refined name before it as choice 0 (confidence LLM_CONFIDENCE).
"""

from __future__ import annotations

import copy
import json
import logging

from sqlalchemy.orm import Session

from openzone.catalog.models import Asset, AssetRevision
from openzone.config import Settings
from openzone.enrichment import llm
from openzone.enrichment.models import AssetPredictions
from openzone.enrichment.names import predict
from openzone.events.outbox import Entity, emit
from openzone.identity.models import User

log = logging.getLogger("openzone.enrichment")

ASSET_NAME = "asset:name"
ASSET_DESCRIPTION = "asset:description"
PENDING, ACCEPTED, REJECTED = "PENDING", "ACCEPTED", "REJECTED"
FORM_NAME, FORM_TYPE, FORM_TYPE_REVISION = "SuggestionForm", "amazon.datazone.SuggestionFormType", "1"
LLM_CONFIDENCE = 0.9  # an LLM gives no confidence; its names rank first but below a fully recognised name


# ---------------------------------------------------------------- the state of one revision's predictions


def offered(target: dict) -> list[dict]:
    """The target's predictions still on offer (none once the target is decided)."""
    if target["status"] != PENDING:
        return []
    return [p for p in target["predictions"] if p["status"] == PENDING]


def settle(target: dict) -> None:
    """Set a target's status from its predictions: REJECTED once none is left on offer."""
    if target["status"] == PENDING and not any(p["status"] == PENDING for p in target["predictions"]):
        target["status"] = REJECTED


def state_of(session: Session, asset: Asset) -> tuple[AssetPredictions | None, list[dict]]:
    """The latest revision's predictions row and a copy of its targets that callers may change."""
    row = session.get(AssetPredictions, (asset.id, asset.revision))
    return row, copy.deepcopy(row.suggestions) if row is not None else []


def record(session: Session, asset_id: str, revision: int, enabled: bool, generator: str | None,
           suggestions: list[dict]) -> AssetPredictions:
    """Store the predictions state of one (new) asset revision."""
    row = AssetPredictions(asset_id=asset_id, revision=revision, enabled=enabled, generator=generator,
                           suggestions=suggestions)
    session.add(row)
    session.flush()
    return row


# ---------------------------------------------------------------- generation


def technical_names(revision: AssetRevision) -> tuple[str, list[str]]:
    """The table's technical name and its column names, from the first form that lists columns."""
    for form in revision.forms:
        try:
            content = json.loads(form["content"])
        except (TypeError, ValueError):
            continue
        columns = content.get("columns") if isinstance(content, dict) else None
        if isinstance(columns, list):
            names = [c["columnName"] for c in columns if isinstance(c, dict) and isinstance(c.get("columnName"), str)]
            table = content.get("tableName")
            return (table if isinstance(table, str) and table else revision.name), list(dict.fromkeys(names))
    return revision.name, []


def _target(target: str, kind: str, builtin: str, confidence: float, refined: str | None,
            column: str | None = None) -> dict | None:
    # Only values an asset revision can hold are offered (a name of 256 characters at most, as CreateAsset's).
    limit = llm.MAX_DESCRIPTION if kind == "ASSET_DESCRIPTION" else llm.MAX_NAME
    choices = []
    if refined and refined.casefold() != builtin.casefold():
        choices.append({"value": refined, "confidence": LLM_CONFIDENCE, "source": "llm"})
    if builtin and len(builtin) <= limit:
        choices.append({"value": builtin, "confidence": confidence, "source": "builtin"})
    if not choices:
        return None
    for index, choice in enumerate(choices):
        choice.update(predictionChoice=index, status=PENDING)
    entry = {"predictionTarget": target, "kind": kind, "status": PENDING, "predictions": choices}
    return entry | ({"columnName": column} if column is not None else {})


def generate(settings: Settings, table: str, columns: list[str]) -> tuple[list[dict], str]:
    """Prediction targets for a table and its columns, and which generator made them."""
    draft = predict(table, columns)
    refined = llm.refine(settings, table, columns, draft) or llm.Refinement()
    targets = [
        _target(ASSET_NAME, "ASSET_NAME", draft.table_name, draft.table_name_confidence, refined.table_name),
        _target(ASSET_DESCRIPTION, "ASSET_DESCRIPTION", draft.description, draft.description_confidence,
                refined.description),
    ] + [_target(column, "COLUMN_BUSINESS_NAME", draft.column_names.get(column, ""),
                 draft.column_confidences.get(column, 0.0), refined.column_names.get(column), column)
         for column in columns]
    generator = f"llm:{refined.model}" if refined != llm.Refinement() else "builtin"
    return [t for t in targets if t is not None], generator


def _carry(targets: list[dict], previous: list[dict]) -> list[dict]:
    """Keep earlier decisions: an accepted target stays accepted, a rejected value is not offered again."""
    before = {t["predictionTarget"]: t for t in previous}
    carried = []
    for target in targets:
        old = before.get(target["predictionTarget"])
        if old is not None and old["status"] == ACCEPTED:
            carried.append(old)
            continue
        if old is not None:
            rejected = {p["value"] for p in old["predictions"] if p["status"] == REJECTED}
            for prediction in target["predictions"]:
                if prediction["value"] in rejected:
                    prediction["status"] = REJECTED
            settle(target)
        carried.append(target)
    return carried


def _enabled(configuration: dict | None, previous: AssetPredictions | None) -> bool:
    setting = (configuration or {}).get("businessNameGeneration") or {}
    if setting.get("enabled") is not None:
        return bool(setting["enabled"])
    return bool(previous and previous.enabled)  # a revision keeps the asset's setting unless told otherwise


def on_new_revision(session: Session, actor: User, asset: Asset, revision: AssetRevision,
                    configuration: dict | None, settings: Settings) -> dict:
    """Generate predictions for a revision made by CreateAsset/CreateAssetRevision; its predictionConfiguration."""
    previous = session.get(AssetPredictions, (asset.id, revision.revision - 1))
    enabled = _enabled(configuration, previous)
    targets, generator = [], None
    if enabled:
        table, columns = technical_names(revision)
        entity = Entity(asset.id, "AssetEntityType", str(revision.revision), asset.owning_project_id)
        try:
            targets, generator = generate(settings, table, columns)
        except Exception as error:  # noqa: BLE001  (a generator bug must not cost the user their asset)
            log.exception("business name generation failed for asset %s", asset.id)
            emit(session, detail_type="Business Name Generation Failed", domain_id=asset.domain_id, entity=entity,
                 user_id=actor.id, data={"assetId": asset.id, "assetRevision": str(revision.revision),
                                         "errorMessage": str(error)[:1000]})
        else:
            targets = _carry(targets, previous.suggestions if previous else [])
            emit(session, detail_type="Business Name Generation Succeeded", domain_id=asset.domain_id,
                 entity=entity, user_id=actor.id,
                 data={"assetId": asset.id, "assetRevision": str(revision.revision), "generator": generator,
                       "predictionTargets": len(targets),
                       "pendingPredictionTargets": sum(t["status"] == PENDING for t in targets)})
    record(session, asset.id, revision.revision, enabled, generator, targets)
    return {"businessNameGeneration": {"enabled": enabled}}


# ---------------------------------------------------------------- rendering


def read_only_forms(session: Session, asset_id: str, revision: int) -> list[dict] | None:
    """The SuggestionForm of a revision (readOnlyFormsOutput), when business-name generation was on."""
    return suggestion_forms(session.get(AssetPredictions, (asset_id, revision)))


def suggestion_forms(row) -> list[dict] | None:
    """read_only_forms of an already loaded predictions row (enabled, generator, suggestions) or None."""
    if row is None or not row.enabled:
        return None
    content = {"status": "SUCCEEDED" if row.generator else "FAILED", "generator": row.generator,
               "suggestions": row.suggestions}
    return [{"formName": FORM_NAME, "typeName": FORM_TYPE, "typeRevision": FORM_TYPE_REVISION,
             "content": json.dumps(content)}]
