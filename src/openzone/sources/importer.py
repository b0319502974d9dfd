"""Importing a stream of tables into a project's inventory, a chunk of tables per transaction.

Speed comes from doing per chunk what a naive import does per table: one query finds the chunk's known assets
(by externalIdentifier, with the fingerprint of the table as last imported), and assets, revisions, links,
activities and events are written with one multi-row INSERT each. Atomicity per table holds because a table's
rows are built completely before anything is written and a chunk commits as a whole: a crash leaves whole
assets. When a chunk fails to write, its tables are retried one by one, so one bad table fails alone.

For each table: new -> asset revision 1 (SUCCEEDED_CREATED, "Asset Added To Inventory"); changed fingerprint ->
a new revision carrying over what users added (name, description, glossary terms, their own forms), and a
republish when the asset is published (SUCCEEDED_UPDATED, "Asset Schema Changed" when the columns changed);
same fingerprint -> nothing (UNCHANGED). Tables the source no longer has are reported SKIPPED_ARCHIVED.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from sqlalchemy import JSON, Row, bindparam, insert, select, update
from sqlalchemy.orm import Session

from openzone.catalog import service as catalog
from openzone.catalog.models import Asset, AssetRevision, Listing
from openzone.config import Settings
from openzone.db.types import utcnow
from openzone.enrichment import predictions
from openzone.errors import OpenzoneError
from openzone.events.models import OutboxEvent
from openzone.events.outbox import Entity, event_row
from openzone.identity.models import User
from openzone.jobs.models import Job
from openzone.search import index as search_index
from openzone.search.kinds import KINDS as SEARCH_KINDS
from openzone.sources import mapping, runs
from openzone.sources.runs import ERROR_TYPES
from openzone.sources.connectors.base import TableInfo
from openzone.sources.models import DataSource, DataSourceAsset, DataSourceRun, DataSourceRunActivity
from openzone.wire.ids import new_id

log = logging.getLogger("openzone.sources")
_ASSETS, _REVISIONS, _LINKS = Asset.__table__, AssetRevision.__table__, DataSourceAsset.__table__
_ACTIVITIES, _EVENTS, _RUNS = DataSourceRunActivity.__table__, OutboxEvent.__table__, DataSourceRun.__table__
_JOBS = Job.__table__


@dataclass
class _Table:
    info: TableInfo
    external: str
    fingerprint: str
    digest: str


def technical_name(table: TableInfo) -> str:
    """The table's name in activities: schema-qualified where the source has schemas (public.orders)."""
    return f"{table.schema}.{table.name}" if table.schema else table.name


def chunks(tables: Iterable, size: int) -> Iterator[list]:
    iterator = iter(tables)
    while chunk := list(islice(iterator, size)):
        yield chunk


class Importer:
    """One run's import: call `import_tables` with the source's stream, then `archive_missing`."""

    def __init__(self, session: Session, settings: Settings, data_source: DataSource, run: DataSourceRun,
                 actor: User, context: mapping.SourceContext, job_id: int | None = None) -> None:
        self.session, self.settings, self.actor, self.context = session, settings, actor, context
        self.job_id = job_id
        self.data_source_id, self.run_id = data_source.id, run.id
        self.domain_id, self.project_id = data_source.domain_id, data_source.project_id
        self.asset_forms = list(data_source.asset_forms or [])
        self.publish = data_source.publish_on_import
        self.business_names = bool((data_source.recommendation or {}).get("enableBusinessNameGeneration"))
        # A resumed run (its worker died) skips the tables it already recorded.
        self.done = {(d, n) for d, n in session.execute(select(
            DataSourceRunActivity.database, DataSourceRunActivity.technical_name).where(
            DataSourceRunActivity.run_id == run.id))}

    # --- the run ---------------------------------------------------------------------------------------

    def import_tables(self, tables: Iterable[TableInfo]) -> None:
        fresh = (t for t in tables if (t.database, technical_name(t)) not in self.done)
        for chunk in chunks(fresh, self.settings.sources_chunk_size):
            try:
                self._write(chunk)
                self.session.commit()
            except Exception:  # noqa: BLE001  (the chunk is retried table by table, so one bad table fails alone)
                self.session.rollback()
                if len(chunk) == 1:
                    log.exception("importing %s failed", chunk[0].qualified_name)
                    self._record_failure(chunk[0])
                    continue
                for table in chunk:
                    try:
                        self._write([table])
                        self.session.commit()
                    except Exception:  # noqa: BLE001
                        self.session.rollback()
                        log.exception("importing %s failed", table.qualified_name)
                        self._record_failure(table)

    def archive_missing(self) -> None:
        """Report every asset this source imported before whose table is gone (or filtered out) now.

        A table is seen when this run recorded an activity for it (an unchanged table costs no other write).
        """
        seen = select(DataSourceRunActivity.id).where(
            DataSourceRunActivity.run_id == self.run_id, DataSourceRunActivity.database == DataSourceAsset.database,
            DataSourceRunActivity.technical_name == DataSourceAsset.technical_name)
        gone = self.session.execute(select(DataSourceAsset.asset_id, DataSourceAsset.database,
                                           DataSourceAsset.technical_name).where(
            DataSourceAsset.data_source_id == self.data_source_id, DataSourceAsset.archived.is_(False),
            ~seen.exists())).all()
        for batch in chunks(gone, 1000):
            ids = [asset_id for asset_id, _, _ in batch]
            self.session.execute(update(_LINKS).where(_LINKS.c.asset_id.in_(ids))
                                 .values(archived=True, last_run_id=self.run_id))
            self._insert(_ACTIVITIES, [self._activity(database, name, runs.SKIPPED_ARCHIVED, asset_id)
                                       for asset_id, database, name in batch])
        self.session.commit()

    def heartbeat(self, now) -> None:
        """Renew the job's lease: a long run is not taken for a dead worker's and started a second time."""
        if self.job_id is not None:
            self.session.execute(update(_JOBS).where(_JOBS.c.id == self.job_id, _JOBS.c.status == "RUNNING")
                                 .values(updated_at=now))

    # --- one chunk -------------------------------------------------------------------------------------

    def _prepare(self, chunk: list[TableInfo], activities: list[dict]) -> list[_Table]:
        prepared = []
        for info in chunk:
            problem = self._invalid(info)
            if problem:
                activities.append(self._activity(info.database, technical_name(info), runs.ACTIVITY_FAILED, None,
                                                 problem))
                continue
            prepared.append(_Table(info, mapping.external_identifier(self.context, info), mapping.fingerprint(info),
                                   mapping.columns_digest(info)))
        return prepared

    def _forms(self, table: _Table) -> list[dict]:
        """The forms of a new revision (built only for tables that get one: most re-run tables do not)."""
        forms = mapping.system_forms(self.context, table.info, self.run_id)
        names = {f["formName"] for f in forms}
        return forms + [f for f in self.asset_forms if f["formName"] not in names]

    @staticmethod
    def _invalid(info: TableInfo) -> dict | None:
        """Why the table cannot become an asset (an activity's errorMessage), or None."""
        problem = None
        if info.extra.get("error"):  # the connector found the table but could not read it (e.g. a corrupt file)
            error_type = info.extra.get("errorType")
            return {"errorType": error_type if error_type in ERROR_TYPES else "VALIDATION_EXCEPTION",
                    "errorDetail": str(info.extra["error"])[:2000]}
        if not info.name or len(info.name) > 256:
            problem = f"Table name {info.name[:300]!r} must be 1-256 characters to become an asset name."
        elif not info.database or len(info.database) > 256:
            problem = f"Database name {info.database[:300]!r} must be 1-256 characters."
        return {"errorType": "VALIDATION_EXCEPTION", "errorDetail": problem} if problem else None

    def _write(self, chunk: list[TableInfo]) -> None:
        session, now = self.session, utcnow()
        activities: list[dict] = []
        prepared = self._prepare(chunk, activities)
        # Plain rows, not ORM objects: this query runs for every table of every run.
        known = {row.external_identifier: row for row in session.execute(select(
            DataSourceAsset.external_identifier, DataSourceAsset.asset_id, DataSourceAsset.fingerprint,
            DataSourceAsset.columns_digest, DataSourceAsset.archived).where(
            DataSourceAsset.data_source_id == self.data_source_id,
            DataSourceAsset.external_identifier.in_([t.external for t in prepared])))} if prepared else {}
        fresh = [t for t in prepared if t.external not in known]
        taken = set(session.scalars(select(Asset.external_identifier).where(
            Asset.domain_id == self.domain_id, Asset.external_identifier.in_([t.external for t in fresh])))) \
            if fresh else set()
        created, changed, unchanged = [], [], []
        for table in prepared:
            link = known.get(table.external)
            if link is None and table.external in taken:
                activities.append(self._activity(table.info.database, technical_name(table.info), runs.SKIPPED_IMPORTED,
                                                 None,
                                                 {"errorType": "CONFLICT_EXCEPTION", "errorDetail":
                                                  f"An asset with externalIdentifier {table.external} already "
                                                  f"exists in the domain; it was not imported by this data source."}))
            elif link is None:
                created.append(table)
            elif link.fingerprint != table.fingerprint or link.archived:
                changed.append((table, link))
            else:
                unchanged.append((table, link))
        new_revisions = self._create(created, now) + self._update(changed, now)
        outcome = self._after_revisions(new_revisions)
        # The assets were written around the ORM, which the search index's flush listener does not see.
        search_index.refresh(session, SEARCH_KINDS["ASSET"], [asset_id for asset_id, _, _ in new_revisions])
        for table, asset_id, status in ([(t, a, runs.CREATED) for t, a in zip(created, self._created_ids)]
                                        + [(t, link.asset_id, runs.UPDATED) for t, link in changed]):
            error = outcome.get(asset_id)
            activities.append(self._activity(table.info.database, technical_name(table.info),
                                             runs.PUBLISHING_FAILED if error else status, asset_id, error,
                                             mapping.describe(table.info)))
        activities += [self._activity(t.info.database, technical_name(t.info), runs.UNCHANGED, link.asset_id, None,
                                      mapping.describe(t.info)) for t, link in unchanged]
        if activities:
            self._insert(_ACTIVITIES, activities)
        session.execute(update(_RUNS).where(_RUNS.c.id == self.run_id).values(
            tables_done=_RUNS.c.tables_done + len(chunk), updated_at=now))
        self.heartbeat(now)

    def _create(self, created: list[_Table], now) -> list[tuple[str, int, bool]]:
        self._created_ids = [new_id() for _ in created]
        if not created:
            return []
        assets, revisions, links, events = [], [], [], []
        for table, asset_id in zip(created, self._created_ids):
            type_name = mapping.asset_type(self.context.kind, table.info)
            assets.append({"id": asset_id, "domain_id": self.domain_id, "owning_project_id": self.project_id,
                           "type_identifier": type_name, "type_revision": mapping.SYSTEM_REVISION,
                           "external_identifier": table.external, "revision": 1, "created_by": self.actor.id,
                           "created_at": now, "updated_at": now})
            revisions.append({"asset_id": asset_id, "revision": 1, "name": table.info.name,
                              "description": table.info.comment, "glossary_terms": None, "forms": self._forms(table),
                              "created_at": now, "created_by": self.actor.id})
            links.append(self._link(asset_id, table, now))
            events.append(self._event("Asset Added To Inventory", asset_id, 1, now,
                                      {"assetName": table.info.name, "assetType": type_name}))
        self._insert(_ASSETS, assets)
        self._insert(_REVISIONS, revisions)
        self._insert(_LINKS, links)
        self._insert(_EVENTS, events)
        return [(asset_id, 1, False) for asset_id in self._created_ids]

    def _update(self, changed: list[tuple[_Table, Row]], now) -> list[tuple[str, int, bool]]:
        if not changed:
            return []
        ids = [link.asset_id for _, link in changed]
        # Each asset's latest revision, found through the assets' primary keys (a row-value IN is not indexed
        # on every backend).
        previous = {row.asset_id: row for row in self.session.scalars(select(AssetRevision).join(
            Asset, (Asset.id == AssetRevision.asset_id) & (Asset.revision == AssetRevision.revision)).where(
            Asset.id.in_(ids)))}
        current = {asset_id: row.revision for asset_id, row in previous.items()}
        revisions, bumps, links, events, made = [], [], [], [], []
        for table, link in changed:
            asset_id, number = link.asset_id, current[link.asset_id] + 1
            before = previous[asset_id]
            # What users added to the asset survives a re-import; what the source says is replaced.
            carried = [f for f in before.forms if f["formName"] not in mapping.SOURCE_FORMS]
            names = {f["formName"] for f in carried}
            forms = [f for f in self._forms(table)
                     if f["formName"] in mapping.SOURCE_FORMS or f["formName"] not in names]
            revisions.append({"asset_id": asset_id, "revision": number, "name": before.name,
                              "description": before.description if before.description else table.info.comment,
                              "glossary_terms": before.glossary_terms, "forms": forms + carried,
                              "created_at": now, "created_by": self.actor.id})
            bumps.append({"b_id": asset_id, "b_revision": number, "b_now": now})
            links.append({"b_id": asset_id, "b_fingerprint": table.fingerprint, "b_digest": table.digest})
            if link.columns_digest != table.digest:
                events.append(self._event("Asset Schema Changed", asset_id, number, now,
                                          {"assetName": before.name, "previousRevision": str(number - 1)}))
            made.append((asset_id, number, True))
        self.session.execute(update(_ASSETS).where(_ASSETS.c.id == bindparam("b_id")).values(
            revision=bindparam("b_revision"), updated_at=bindparam("b_now")), bumps)
        self._insert(_REVISIONS, revisions)
        self.session.execute(update(_LINKS).where(_LINKS.c.asset_id == bindparam("b_id")).values(
            fingerprint=bindparam("b_fingerprint"), columns_digest=bindparam("b_digest"), archived=False,
            last_run_id=self.run_id), links)
        if events:
            self._insert(_EVENTS, events)
        return made

    def _after_revisions(self, made: list[tuple[str, int, bool]]) -> dict[str, dict]:
        """Business names and publishing for the new revisions; {asset id: error} of those that could not publish."""
        if not made or not (self.publish or self.business_names or any(updated for _, _, updated in made)):
            return {}
        errors: dict[str, dict] = {}
        published = set(self.session.scalars(select(Listing.asset_id).where(
            Listing.asset_id.in_([a for a, _, _ in made]), Listing.status == "ACTIVE")))
        for asset_id, number, _ in made:
            if not (self.publish or self.business_names or asset_id in published):
                continue
            asset = self.session.get(Asset, asset_id)
            if self.business_names:
                revision = self.session.get(AssetRevision, (asset_id, number))
                predictions.on_new_revision(self.session, self.actor, asset, revision,
                                            {"businessNameGeneration": {"enabled": True}}, self.settings)
            if self.publish or asset_id in published:
                try:
                    with self.session.begin_nested():
                        catalog.publish_asset_revision(self.session, self.actor, asset, number)
                except OpenzoneError as error:
                    errors[asset_id] = {"errorType": "VALIDATION_EXCEPTION", "errorDetail": error.message[:2000]}
        return errors

    def _insert(self, table, rows: list[dict]) -> None:
        if not rows:
            return
        if self.session.get_bind().dialect.name == "postgresql":
            self._copy(table, rows)
        else:
            self.session.execute(insert(table), rows)

    def _copy(self, table, rows: list[dict]) -> None:
        """PostgreSQL: the rows through COPY, in the session's own transaction (several times faster than INSERTs).

        Table and column names come from our models, never from input; values travel as COPY data.
        """
        columns = list(rows[0])
        documents = {name for name in columns if isinstance(table.c[name].type, JSON)}
        names = ", ".join(f'"{name}"' for name in columns)
        driver = self.session.connection().connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([json.dumps(row[name]) if name in documents and row[name] is not None else row[name]
                                for name in columns])

    # --- rows ------------------------------------------------------------------------------------------

    def _link(self, asset_id: str, table: _Table, now) -> dict:
        return {"asset_id": asset_id, "data_source_id": self.data_source_id, "external_identifier": table.external,
                "database": table.info.database[:256], "technical_name": technical_name(table.info)[:256],
                "fingerprint": table.fingerprint, "columns_digest": table.digest, "last_run_id": self.run_id,
                "archived": False}

    def _activity(self, database: str, name: str, status: str, asset_id: str | None, error: dict | None = None,
                  description: str | None = None) -> dict:
        return {"run_id": self.run_id, "database": database[:256], "technical_name": name[:256], "status": status,
                "asset_id": asset_id, "technical_description": description, "error": error, "created_at": utcnow()}

    def _event(self, detail_type: str, asset_id: str, revision: int, now, data: dict) -> dict:
        return event_row(detail_type=detail_type, domain_id=self.domain_id,
                         entity=Entity(asset_id, "AssetEntityType", str(revision), self.project_id),
                         user_id=self.actor.id, data={"assetId": asset_id, "revision": str(revision),
                                                      "dataSourceId": self.data_source_id,
                                                      "dataSourceRunId": self.run_id, **data})

    def _record_failure(self, table: TableInfo) -> None:
        self._insert(_ACTIVITIES, [self._activity(
            table.database, technical_name(table), runs.ACTIVITY_FAILED, None,
            {"errorType": "INTERNAL_SERVER_EXCEPTION",
             "errorDetail": f"Table {table.qualified_name} could not be imported because of an internal error; "
                            f"the server log has the details."})])
        self.session.execute(update(DataSourceRun).where(DataSourceRun.id == self.run_id).values(
            tables_done=DataSourceRun.tables_done + 1))
        self.session.commit()
