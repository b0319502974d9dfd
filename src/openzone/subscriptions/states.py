"""The state machines of requests, subscriptions and grants, in one place."""

from openzone.errors import ConflictError

REQUEST_PENDING, REQUEST_ACCEPTED, REQUEST_REJECTED = "PENDING", "ACCEPTED", "REJECTED"
APPROVED, REVOKED, CANCELLED = "APPROVED", "REVOKED", "CANCELLED"

GRANT_PENDING, GRANT_IN_PROGRESS, GRANTED, GRANT_FAILED = (
    "GRANT_PENDING", "GRANT_IN_PROGRESS", "GRANTED", "GRANT_FAILED")
REVOKE_PENDING, REVOKE_IN_PROGRESS, REVOKED_ASSET, REVOKE_FAILED = (
    "REVOKE_PENDING", "REVOKE_IN_PROGRESS", "REVOKED", "REVOKE_FAILED")

_ASSET_MOVES = {
    GRANT_PENDING: {GRANT_IN_PROGRESS, GRANT_FAILED, REVOKE_PENDING},
    # A revoke may arrive while the grant is being made; the fulfiller then undoes its own work.
    GRANT_IN_PROGRESS: {GRANTED, GRANT_FAILED, REVOKE_PENDING},
    # The reconciler marks a grant failed when the engine can no longer give the access (its table is gone).
    GRANTED: {REVOKE_PENDING, GRANT_FAILED},
    GRANT_FAILED: {GRANT_PENDING, REVOKE_PENDING},
    REVOKE_PENDING: {REVOKE_IN_PROGRESS, REVOKE_FAILED},
    REVOKE_IN_PROGRESS: {REVOKED_ASSET, REVOKE_FAILED},
    REVOKE_FAILED: {REVOKE_PENDING},
    REVOKED_ASSET: set(),
}


# An external fulfiller may report the outcome without reporting the work in between.
_REPORTED_MOVES = {**_ASSET_MOVES, GRANT_PENDING: _ASSET_MOVES[GRANT_PENDING] | {GRANTED},
                   REVOKE_PENDING: _ASSET_MOVES[REVOKE_PENDING] | {REVOKED_ASSET}}


def move_asset(current: str, target: str) -> str:
    """The new grant-asset status, or ConflictError for a move the state machine does not allow."""
    if target not in _ASSET_MOVES[current]:
        raise ConflictError(f"A grant asset cannot go from {current} to {target}.")
    return target


def move_reported(current: str, target: str) -> str:
    """The status an external fulfiller reports (UpdateSubscriptionGrantStatus), or ConflictError."""
    if target not in _REPORTED_MOVES[current]:
        allowed = ", ".join(sorted(_REPORTED_MOVES[current])) or "nothing (it is final)"
        raise ConflictError(f"A grant asset cannot go from {current} to {target}; from {current} it may go to "
                            f"{allowed}.")
    return target


def overall(statuses: list[str]) -> str:
    """DataZone's overall grant status derived from its assets' statuses."""
    found = set(statuses)
    if not found:
        return "PENDING"
    failed_grant, failed_revoke = GRANT_FAILED in found, REVOKE_FAILED in found
    if failed_grant and failed_revoke:
        return "GRANT_AND_REVOKE_FAILED"
    if failed_grant:
        return "GRANT_FAILED"
    if failed_revoke:
        return "REVOKE_FAILED"
    if found <= {GRANTED, REVOKED_ASSET}:
        return "COMPLETED"
    if found & {GRANT_IN_PROGRESS, REVOKE_IN_PROGRESS}:
        return "IN_PROGRESS"
    return "PENDING"
