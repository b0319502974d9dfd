"""Prediction targets without the server: where columns come from, what is offered, what a new revision keeps."""

import json

from openzone.catalog.models import AssetRevision
from openzone.config import Settings
from openzone.enrichment.predictions import ASSET_NAME, REJECTED, _carry, generate, technical_names


def revision(name: str, *contents: dict) -> AssetRevision:
    forms = [{"formName": f"F{i}", "typeName": "t", "typeRevision": "1", "content": json.dumps(c)}
             for i, c in enumerate(contents)]
    return AssetRevision(name=name, forms=forms)


def test_columns_come_from_the_first_form_that_lists_them():
    row = revision("asset name", {"summary": "x"}, {"tableName": "web_sales", "columns": [
        {"columnName": "ws_item_sk"}, {"columnName": "ws_item_sk"}, {"columnName": 3}, "junk"]})
    assert technical_names(row) == ("web_sales", ["ws_item_sk"])
    assert technical_names(revision("plain_name", {"summary": "x"})) == ("plain_name", [])


def test_names_longer_than_an_asset_name_are_not_offered(tmp_path):
    long_table = "_".join(f"acct_{i}" for i in range(30))  # 200 characters; "Account 0 Account 1 ..." is ~300
    targets, generator = generate(Settings(data_dir=tmp_path), long_table, ["id"])
    assert generator == "builtin"
    assert ASSET_NAME not in {t["predictionTarget"] for t in targets}
    assert {t["predictionTarget"] for t in targets} == {"asset:description", "id"}


def test_a_new_revision_keeps_decisions(tmp_path):
    settings = Settings(data_dir=tmp_path)
    before, _ = generate(settings, "store_sales", ["ss_qty_sld", "ss_net_paid"])
    by_target = {t["predictionTarget"]: t for t in before}
    by_target["ss_qty_sld"].update(status="ACCEPTED", acceptedValue="Units Sold")
    by_target["ss_net_paid"]["predictions"][0]["status"] = REJECTED
    by_target["ss_net_paid"]["status"] = REJECTED
    after, _ = generate(settings, "store_sales", ["ss_qty_sld", "ss_net_paid", "ss_item_sk"])
    kept = {t["predictionTarget"]: t for t in _carry(after, before)}
    assert kept["ss_qty_sld"]["acceptedValue"] == "Units Sold"
    assert kept["ss_net_paid"]["status"] == REJECTED and kept["ss_item_sk"]["status"] == "PENDING"
