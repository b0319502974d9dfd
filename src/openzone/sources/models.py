"""Secrets, connections, data sources, their runs and run activities, and which assets each source made."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base, Timestamps
from openzone.db.types import JSONDoc, UTCDateTime, utcnow


class Secret(Timestamps, Base):
    """A username and password, encrypted with the server's key, named by a Secrets-Manager-style ARN."""

    __tablename__ = "secrets"

    arn: Mapped[str] = mapped_column(String(512), primary_key=True)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    # Set when a connection stored inline credentials: only that project's connections may use it.
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)


class Connection(Timestamps, Base):
    """DataZone's connection: how to reach a source system (its props, never a password)."""

    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    environment_id: Mapped[str | None] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(64))
    # props as DataZone returns them (ConnectionPropertiesOutput), credentials as a secretArn only.
    props: Mapped[dict] = mapped_column(JSONDoc)
    aws_location: Mapped[dict | None] = mapped_column(JSONDoc)
    secret_arn: Mapped[str | None] = mapped_column(String(512))
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))


class DataSource(Timestamps, Base):
    __tablename__ = "data_sources"
    __table_args__ = (UniqueConstraint("domain_id", "project_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    environment_id: Mapped[str | None] = mapped_column(String(36))
    connection_id: Mapped[str | None] = mapped_column(ForeignKey("connections.id"), index=True)
    name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(64))
    # openzone's connector kind (GLUE, ICEBERG, POSTGRESQL, REDSHIFT, MYSQL, FILES), decided at creation.
    kind: Mapped[str] = mapped_column(String(32))
    configuration: Mapped[dict] = mapped_column(JSONDoc)  # DataSourceConfigurationOutput
    recommendation: Mapped[dict | None] = mapped_column(JSONDoc)
    enable_setting: Mapped[str] = mapped_column(String(16), default="ENABLED")
    publish_on_import: Mapped[bool] = mapped_column(Boolean, default=False)
    asset_forms: Mapped[list] = mapped_column(JSONDoc, default=list)  # formsOutput added to every asset
    schedule: Mapped[dict | None] = mapped_column(JSONDoc)  # {schedule: "cron(...)", timezone}
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(32), default="READY")
    last_run_id: Mapped[str | None] = mapped_column(String(36))
    last_run_status: Mapped[str | None] = mapped_column(String(32))
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_error: Mapped[dict | None] = mapped_column(JSONDoc)
    last_run_asset_count: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))


class DataSourceRun(Timestamps, Base):
    __tablename__ = "data_source_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    data_source_id: Mapped[str] = mapped_column(ForeignKey("data_sources.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(16))  # PRIORITIZED (on demand) or SCHEDULED
    status: Mapped[str] = mapped_column(String(32), default="REQUESTED", index=True)
    configuration_snapshot: Mapped[str | None] = mapped_column(Text)
    statistics: Mapped[dict] = mapped_column(JSONDoc, default=dict)  # runStatisticsForAssets
    error: Mapped[dict | None] = mapped_column(JSONDoc)
    tables_total: Mapped[int | None] = mapped_column(Integer)  # known once the source was listed
    tables_done: Mapped[int] = mapped_column(Integer, default=0)
    started_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DataSourceRunActivity(Base):
    """What one run did with one table."""

    __tablename__ = "data_source_run_activities"
    # A run's activities by table: which tables the run saw (archiving), and where a resumed run picks up.
    __table_args__ = (Index("ix_data_source_run_activities_run_table", "run_id", "database", "technical_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("data_source_runs.id", ondelete="CASCADE"))
    database: Mapped[str] = mapped_column(String(256))
    technical_name: Mapped[str] = mapped_column(String(256))  # schema-qualified where the source has schemas
    status: Mapped[str] = mapped_column(String(32))
    asset_id: Mapped[str | None] = mapped_column(String(36))
    technical_description: Mapped[str | None] = mapped_column(Text)
    error: Mapped[dict | None] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DataSourceAsset(Base):
    """An asset a data source imported, with the fingerprint of the table as last imported."""

    __tablename__ = "data_source_assets"
    __table_args__ = (UniqueConstraint("data_source_id", "external_identifier"),)

    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True)
    data_source_id: Mapped[str] = mapped_column(ForeignKey("data_sources.id", ondelete="CASCADE"), index=True)
    external_identifier: Mapped[str] = mapped_column(String(600))
    database: Mapped[str] = mapped_column(String(256))
    technical_name: Mapped[str] = mapped_column(String(256))
    fingerprint: Mapped[str] = mapped_column(String(64))
    columns_digest: Mapped[str] = mapped_column(String(64))  # a changed schema, as opposed to other changes
    last_run_id: Mapped[str | None] = mapped_column(String(36), index=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
