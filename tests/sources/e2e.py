"""Helpers of the end-to-end data source tests (test_sources_e2e_*_api.py): one source's whole life through
boto3 on the live server: connection, data source, a first run importing every table, a change in the source,
a second run updating one asset, archiving another and leaving the rest alone."""

from __future__ import annotations

import json
from dataclasses import dataclass

from scenario import wait_until

from openzone.catalog.form_content import validate_content
from openzone.catalog.system_forms import system_form_model

PREFIX = "amazon.datazone."


@dataclass(frozen=True)
class Expected:
    """What one table of the source must become: its asset type, its technical form and its columns."""

    asset_type: str  # e.g. "RedshiftTableAssetType"
    form: str  # e.g. "RedshiftTableForm"
    columns: list[str]


def create_connection(world, name, props, **extra) -> dict:
    return world.producer.dz.create_connection(domainIdentifier=world.domain_id,
                                               environmentIdentifier=world.sales_env["id"], name=name, props=props,
                                               **extra)


def create_source(world, name, source_type, connection_id, configuration) -> dict:
    return world.producer.dz.create_data_source(
        domainIdentifier=world.domain_id, projectIdentifier=world.sales_id, name=name, type=source_type,
        connectionIdentifier=connection_id, configuration=configuration)


def run_to_end(world, source_id) -> dict:
    """Start a run and wait until it has finished; the finished GetDataSourceRun."""
    dz = world.producer.dz
    started = dz.start_data_source_run(domainIdentifier=world.domain_id, dataSourceIdentifier=source_id)
    assert started["status"] == "REQUESTED"

    def finished():
        run = dz.get_data_source_run(domainIdentifier=world.domain_id, identifier=started["id"])
        return run if run["status"] not in ("REQUESTED", "RUNNING") else None
    return wait_until(finished, timeout=90, interval=0.1)


def activities(world, run_id) -> dict[str, dict]:
    """The run's activities by technicalName (schema.table where the source has schemas); one per table."""
    pages = world.producer.dz.get_paginator("list_data_source_run_activities").paginate(
        domainIdentifier=world.domain_id, identifier=run_id)
    items = [a for page in pages for a in page["items"]]
    by_name = {a["technicalName"]: a for a in items}
    assert len(by_name) == len(items), items
    return by_name


def forms_of(asset) -> dict[str, dict]:
    """Every form of the asset, the ones users fill (formsOutput) and the system's (readOnlyFormsOutput)."""
    forms = asset["formsOutput"] + asset.get("readOnlyFormsOutput", [])
    return {f["formName"]: json.loads(f["content"]) for f in forms}


def searched_assets(world, text) -> dict[str, dict]:
    """The assetItems the producer finds with Search (searchScope ASSET) in its project, by identifier."""
    found = world.producer.dz.search(domainIdentifier=world.domain_id, searchScope="ASSET", searchText=text,
                                     owningProjectIdentifier=world.sales_id)
    return {i["assetItem"]["identifier"]: i["assetItem"] for i in found["items"] if "assetItem" in i}


def import_then_change(world, source, expected: dict[str, Expected], change, changed: str, new_column: str,
                       dropped: str) -> dict[str, dict]:
    """Run the source, check run, activities and assets; call change(); run again and check one table updated,
    one archived and the others unchanged. Returns the final assets by table name."""
    dz, domain = world.producer.dz, world.domain_id
    first = run_to_end(world, source["id"])
    assert first["status"] == "SUCCESS", first
    assert first["runStatisticsForAssets"] == {"added": len(expected), "updated": 0, "unchanged": 0, "skipped": 0,
                                               "failed": 0}, first
    acts = activities(world, first["id"])
    assert set(acts) == set(expected), list(acts.values())
    assert {a["dataAssetStatus"] for a in acts.values()} == {"SUCCEEDED_CREATED"}
    assets = {}
    for name, want in expected.items():
        asset = dz.get_asset(domainIdentifier=domain, identifier=acts[name]["dataAssetId"])
        assert asset["typeIdentifier"] == PREFIX + want.asset_type, (name, asset["typeIdentifier"])
        assert asset["name"] == name.rsplit(".", 1)[-1] and asset["revision"] == "1"  # schema.table: the table
        forms = forms_of(asset)
        assert [c["columnName"] for c in forms[want.form]["columns"]] == want.columns, (name, forms[want.form])
        validate_content(want.form, system_form_model(f"{want.form}Type"), json.dumps(forms[want.form]))
        assert forms["DataSourceReferenceForm"] == {"dataSourceIdentifier": source["id"], "dataSourceRunId": first["id"]}
        found = wait_until(lambda: searched_assets(world, asset["name"]))
        assert found[asset["id"]]["typeIdentifier"] == asset["typeIdentifier"]
        assets[name] = asset
    got = dz.get_data_source(domainIdentifier=domain, identifier=source["id"])
    assert got["lastRunStatus"] == "SUCCESS" and got["lastRunAssetCount"] == len(expected)

    change()
    second = run_to_end(world, source["id"])
    assert second["status"] == "SUCCESS", second
    assert second["runStatisticsForAssets"] == {"added": 0, "updated": 1, "unchanged": len(expected) - 2,
                                                "skipped": 1, "failed": 0}
    acts = activities(world, second["id"])
    want_statuses = {name: "UNCHANGED" for name in expected} | {changed: "SUCCEEDED_UPDATED",
                                                                dropped: "SKIPPED_ARCHIVED"}
    assert {name: a["dataAssetStatus"] for name, a in acts.items()} == want_statuses
    assert acts[dropped]["dataAssetId"] == assets[dropped]["id"]
    final = {}
    for name, before in assets.items():
        after = dz.get_asset(domainIdentifier=domain, identifier=before["id"])
        assert after["revision"] == ("2" if name == changed else "1"), (name, after["revision"])
        final[name] = after
    columns = [c["columnName"] for c in forms_of(final[changed])[expected[changed].form]["columns"]]
    assert new_column in columns and columns != expected[changed].columns
    assert forms_of(final[changed])["DataSourceReferenceForm"]["dataSourceRunId"] == second["id"]
    return final
