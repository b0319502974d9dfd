"""The predictions (generated business names and descriptions) of each asset revision."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKeyConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base
from openzone.db.types import JSONDoc, UTCDateTime, utcnow


class AssetPredictions(Base):
    """One row per asset revision that had business-name generation decided (enabled or not).

    Revisions are immutable, so accepting or rejecting writes the new state on the new revision's row.
    `suggestions` holds one entry per prediction target, see enrichment/predictions.py.
    """

    __tablename__ = "asset_predictions"
    __table_args__ = (ForeignKeyConstraint(["asset_id", "revision"],
                                           ["asset_revisions.asset_id", "asset_revisions.revision"],
                                           ondelete="CASCADE"),)

    asset_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # "builtin", or "llm:<model>" when an LLM endpoint refined the names
    generator: Mapped[str | None] = mapped_column(String(128))
    suggestions: Mapped[list] = mapped_column(JSONDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
