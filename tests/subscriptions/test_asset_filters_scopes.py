"""How several filters combine into one scope (DataZone: union of columns, row filters OR-ed)."""

from openzone.subscriptions.asset_filters import evaluate
from openzone.subscriptions.scopes import NOTHING, Scope, combine

COLUMNS = {"id": "int", "name": "string", "region": "string", "ssn": "string"}
ORDER = list(COLUMNS)
EU = {"expression": {"equalTo": {"columnName": "region", "value": "EU"}}}
BIG = {"expression": {"greaterThan": {"columnName": "id", "value": "100"}}}


def _cols(*names):
    return evaluate({"columnConfiguration": {"includedColumnNames": list(names)}}, COLUMNS)


def _rows(rule):
    return evaluate({"rowConfiguration": {"rowFilter": rule}}, COLUMNS)


def test_columns_are_united_in_table_order():
    assert combine([_cols("region", "id"), _cols("name", "id")], ORDER) == Scope(("id", "name", "region"), None)


def test_row_filters_are_ored():
    assert combine([_rows(EU), _rows(BIG)], ORDER) == Scope(None, {"or": [EU, BIG]})
    assert combine([_rows(EU)], ORDER) == Scope(None, EU)


def test_a_filter_without_columns_means_all_columns_and_one_without_rows_all_rows():
    assert combine([_cols("id"), _rows(EU)], ORDER) == Scope(None, None)


def test_no_usable_filter_shows_nothing():
    assert combine([], ORDER) == NOTHING and NOTHING.columns == ()
