"""What the reconciler found: one row per difference between the catalog and an engine."""

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base, Timestamps


class GrantFinding(Timestamps, Base):
    """One drift between what a grant says and what an engine allows, and what was done about it."""

    __tablename__ = "grant_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(36), index=True)  # one reconciler pass
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    # No grant when an engine allows something no grant explains (e.g. a manual GRANT to an environment role).
    grant_id: Mapped[str | None] = mapped_column(ForeignKey("subscription_grants.id", ondelete="CASCADE"),
                                                 index=True)
    asset_id: Mapped[str | None] = mapped_column(String(36))
    environment_id: Mapped[str | None] = mapped_column(String(36))
    engine: Mapped[str] = mapped_column(String(16))  # LAKE | WAREHOUSE | JOBS
    kind: Mapped[str] = mapped_column(String(32))  # MISSING_ACCESS, WRONG_SOURCE, SOURCE_GONE, EXTRA_ACCESS, STUCK
    resource: Mapped[str] = mapped_column(String(512))  # what, in the engine's own names
    detail: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))  # DETECTED | REPAIRED | FAILED (marked GRANT_FAILED)
