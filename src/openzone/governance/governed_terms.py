"""Governed glossary terms: terms of restricted glossaries (usageRestrictions ASSET_GOVERNED_TERMS) on assets.

They are attached with AssociateGovernedTerms and removed with DisassociateGovernedTerms, never through an
asset's glossaryTerms, and show in the asset's governedGlossaryTerms. They belong to the asset, not to one
of its revisions: a classification stays until someone authorised removes it, and the asset's listing
shows the current ones (GetListing's governedGlossaryTerms).

Who may attach or remove one (DataZone's restricted classification, without policy grants yet): an owner or
contributor of the asset's project who is also an owner of the glossary's project or an owner of the
project's domain unit; administrators always. Everyone else who may see the asset only reads them.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from openzone.catalog.models import Asset
from openzone.domains import service as domains
from openzone.domains import units
from openzone.errors import AccessDeniedError, NotFoundError, ValidationError
from openzone.glossary import service as glossary
from openzone.glossary.models import Glossary
from openzone.governance.models import AssetGovernedTerm
from openzone.identity.models import User
from openzone.projects import service as projects

MAX_TERMS = 20  # GetAssetOutput's governedGlossaryTerms holds at most 20


def terms_of(session: Session, asset_id: str) -> list[str]:
    """Ids of the governed terms on an asset, in the order they were attached."""
    return list(session.scalars(select(AssetGovernedTerm.term_id).where(AssetGovernedTerm.asset_id == asset_id)
                                .order_by(AssetGovernedTerm.created_at, AssetGovernedTerm.term_id)))


def _asset(session: Session, actor: User, domain_id: str, entity_type: str, asset_id: str) -> Asset:
    domains.require_domain_user(session, actor, domain_id)
    if entity_type != "ASSET":
        raise ValidationError(f"Governed terms attach to ASSET entities, not {entity_type}.")
    asset = session.get(Asset, asset_id)
    if asset is None or asset.domain_id != domain_id or not (
            actor.is_admin or projects.designation_of(session, asset.owning_project_id, actor)):
        raise NotFoundError(f"Asset {asset_id} not found.")
    if not (actor.is_admin or projects.is_actor(session, asset.owning_project_id, actor)):
        raise AccessDeniedError(f"Only owners and contributors of project {asset.owning_project_id} can classify "
                                f"its assets.")
    return asset


def _may_apply(session: Session, actor: User, asset: Asset, owner: Glossary) -> bool:
    if actor.is_admin or projects.designation_of(session, owner.owning_project_id, actor) == projects.OWNER:
        return True
    unit_id = projects.project_unit_id(session, asset.owning_project_id)
    return units.owns_unit(session, actor, units.unit_of_domain(session, asset.domain_id, unit_id))


def _governed_term(session: Session, actor: User, asset: Asset, term_id: str) -> str:
    found = glossary.attachable_term(session, asset.domain_id, term_id)
    if isinstance(found, str):
        raise ValidationError(f"governedGlossaryTerms: {found}.")
    term, owner = found
    if not glossary.is_governed(owner):
        raise ValidationError(f"governedGlossaryTerms: glossary term {term_id} is not in a restricted glossary "
                              f"(usageRestrictions ASSET_GOVERNED_TERMS); attach it with glossaryTerms.")
    if not _may_apply(session, actor, asset, owner):
        raise AccessDeniedError(f"You may not apply terms of the restricted glossary {owner.name}: owners of its "
                                f"project or of the asset's domain unit can.")
    return term.id


def associate(session: Session, actor: User, domain_id: str, entity_type: str, asset_id: str,
              term_ids: list[str]) -> None:
    """Attach governed terms to an asset (terms already attached stay as they are)."""
    asset = _asset(session, actor, domain_id, entity_type, asset_id)
    present = set(terms_of(session, asset.id))
    new = [t for t in dict.fromkeys(_governed_term(session, actor, asset, t) for t in term_ids) if t not in present]
    if len(present) + len(new) > MAX_TERMS:
        raise ValidationError(f"An asset carries at most {MAX_TERMS} governed glossary terms.")
    for term_id in new:
        session.add(AssetGovernedTerm(asset_id=asset.id, term_id=term_id, created_by=actor.id))
    session.flush()


def disassociate(session: Session, actor: User, domain_id: str, entity_type: str, asset_id: str,
                 term_ids: list[str]) -> None:
    """Remove governed terms from an asset; the same people who may attach a term may remove it."""
    asset = _asset(session, actor, domain_id, entity_type, asset_id)
    present = set(terms_of(session, asset.id))
    for term_id in dict.fromkeys(term_ids):
        if term_id not in present:
            raise ValidationError(f"governedGlossaryTerms: glossary term {term_id} is not attached to asset "
                                  f"{asset.id}.")
        owner = session.get(Glossary, glossary.term_glossary_id(session, term_id))
        if not _may_apply(session, actor, asset, owner):
            raise AccessDeniedError(f"You may not remove terms of the restricted glossary {owner.name}.")
    # ORM deletes, not a bulk DELETE: flush listeners (the search index) must see the terms go.
    for row in session.scalars(select(AssetGovernedTerm).where(AssetGovernedTerm.asset_id == asset.id,
                                                               AssetGovernedTerm.term_id.in_(list(term_ids)))):
        session.delete(row)
    session.flush()
