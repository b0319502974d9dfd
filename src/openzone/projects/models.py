"""Projects, memberships, blueprint configurations, environment profiles, environments, targets."""

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base, Timestamps
from openzone.db.types import JSONDoc


class Project(Timestamps, Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), default="ACTIVE")
    glossary_terms: Mapped[list | None] = mapped_column(JSONDoc)
    # The domain unit the project belongs to (the domain's root unit unless created in another).
    domain_unit_id: Mapped[str | None] = mapped_column(ForeignKey("domain_units.id"), index=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))


class ProjectMember(Timestamps, Base):
    __tablename__ = "project_members"

    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    designation: Mapped[str] = mapped_column(String(48))


class BlueprintConfiguration(Timestamps, Base):
    __tablename__ = "blueprint_configurations"

    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True)
    blueprint_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # enabledRegions, roles and parameters exactly as given, echoed back on the wire.
    config: Mapped[dict] = mapped_column(JSONDoc)


class EnvironmentProfile(Timestamps, Base):
    __tablename__ = "environment_profiles"
    __table_args__ = (UniqueConstraint("domain_id", "project_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    blueprint_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    aws_account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    user_parameters: Mapped[list] = mapped_column(JSONDoc, default=list)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))


class Environment(Timestamps, Base):
    __tablename__ = "environments"
    __table_args__ = (UniqueConstraint("domain_id", "project_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    profile_id: Mapped[str | None] = mapped_column(String(36))
    blueprint_id: Mapped[str] = mapped_column(String(36))
    blueprint_name: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), default="CREATING")
    aws_account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    # The lake databases this environment owns; reserved at creation so names never collide.
    producer_db: Mapped[str | None] = mapped_column(String(128), unique=True)
    consumer_db: Mapped[str | None] = mapped_column(String(128), unique=True)
    provisioned_resources: Mapped[list] = mapped_column(JSONDoc, default=list)
    deployment: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    user_parameters: Mapped[list] = mapped_column(JSONDoc, default=list)
    glossary_terms: Mapped[list | None] = mapped_column(JSONDoc)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    # DefaultDataWarehouse: the PostgreSQL database, schema and login role this environment owns, and the
    # secret (sources.secrets, Fernet-encrypted) holding the role's password.
    warehouse_database: Mapped[str | None] = mapped_column(String(128))
    warehouse_schema: Mapped[str | None] = mapped_column(String(128))
    warehouse_role: Mapped[str | None] = mapped_column(String(128))
    warehouse_secret_arn: Mapped[str | None] = mapped_column(String(512))


class SubscriptionTarget(Timestamps, Base):
    __tablename__ = "subscription_targets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(256))
    type: Mapped[str] = mapped_column(String(128))
    config: Mapped[list] = mapped_column(JSONDoc)
    authorized_principals: Mapped[list] = mapped_column(JSONDoc)
    manage_access_role: Mapped[str | None] = mapped_column(String(256))
    applicable_asset_types: Mapped[list] = mapped_column(JSONDoc)
    provider: Mapped[str] = mapped_column(String(128))
    creation_mode: Mapped[str] = mapped_column(String(16), default="AUTOMATIC")
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    updated_by: Mapped[str | None] = mapped_column(String(36))
