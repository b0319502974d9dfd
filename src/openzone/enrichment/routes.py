"""DataZone wire operations for predictions: AcceptPredictions and RejectPredictions."""

from openzone.enrichment import decisions
from openzone.wire.registry import Call, datazone


@datazone("AcceptPredictions")
def accept_predictions(call: Call, p: dict) -> dict:
    asset = decisions.accept_predictions(call.session, call.principal, p["domainIdentifier"], p["identifier"], p,
                                         call.settings)
    return {"domainId": asset.domain_id, "assetId": asset.id, "revision": str(asset.revision)}


@datazone("RejectPredictions")
def reject_predictions(call: Call, p: dict) -> dict:
    asset = decisions.reject_predictions(call.session, call.principal, p["domainIdentifier"], p["identifier"], p,
                                         call.settings)
    return {"domainId": asset.domain_id, "assetId": asset.id, "assetRevision": str(asset.revision)}
