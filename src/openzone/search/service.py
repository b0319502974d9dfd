"""Search the published catalog: every word must match name, description or a column name."""

import re

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from openzone.catalog.models import Listing
from openzone.domains import service as domains
from openzone.errors import ValidationError
from openzone.identity.models import User

SORTABLE = {"name": Listing.name, "createdAt": Listing.created_at, "updatedAt": Listing.updated_at,
            "lastUpdatedAt": Listing.updated_at}


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_listings(session: Session, actor: User, domain_id: str, text: str | None, sort: dict | None,
                    offset: int, limit: int) -> tuple[list[Listing], int]:
    """Published listings of the domain matching `text`, best first, and the total match count."""
    domains.require_domain_user(session, actor, domain_id)
    query = select(Listing).where(Listing.domain_id == domain_id, Listing.status == "ACTIVE")
    words = [w for w in re.split(r"\s+", (text or "").lower().strip('"')) if w]
    for word in words:
        query = query.where(Listing.search_text.like(f"%{_escape_like(word)}%", escape="\\"))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    if sort:
        column = SORTABLE.get(sort["attribute"])
        if column is None:
            raise ValidationError(f"Cannot sort by {sort['attribute']}; use one of {', '.join(SORTABLE)}.")
        order = [column.desc() if sort.get("order") == "DESCENDING" else column.asc()]
    else:
        phrase = " ".join(words)
        # An exact name first, then names that contain the words, then the most recently changed.
        rank = case((func.lower(Listing.name) == phrase, 0),
                    (func.lower(Listing.name).like(f"%{_escape_like(phrase)}%", escape="\\"), 1), else_=2)
        order = [rank, Listing.updated_at.desc()]
    rows = session.scalars(query.order_by(*order, Listing.id).offset(offset).limit(limit + 1))
    return list(rows), total
