"""The offline business-name generator: splitting, expansion, table prefixes, descriptions, predictions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from openzone.enrichment import abbreviations
from openzone.enrichment.abbreviations import ABBREVIATIONS, PHRASES
from openzone.enrichment.names import Prediction, business_name, describe_table, predict, split_identifier


@pytest.mark.parametrize(
    ("technical", "expected"),
    [
        ("mkt_loss_mth_table", "Market Loss Month Table"),
        ("sales_qty_sld", "Sales Quantity Sold"),
        ("ctlg_page", "Catalog Page"),
    ],
)
def test_required_examples(technical: str, expected: str) -> None:
    assert business_name(technical) == expected


@pytest.mark.parametrize(
    ("technical", "tokens"),
    [
        ("orderDate", ["order", "Date"]),
        ("OrderDate", ["Order", "Date"]),
        ("customerIDNumber", ["customer", "ID", "Number"]),
        ("HTTPStatusCode", ["HTTP", "Status", "Code"]),
        ("a.b_c", ["a", "b", "c"]),
        ("ship-to-city", ["ship", "to", "city"]),
        ("address2", ["address", "2"]),
        ("addr2line", ["addr", "2", "line"]),
        ("__cust_id__", ["cust", "id"]),
        ("_", []),
        ("", []),
    ],
)
def test_split_identifier(technical: str, tokens: list[str]) -> None:
    assert split_identifier(technical) == tokens


@pytest.mark.parametrize(
    ("technical", "expected"),
    [
        ("customerIDNumber", "Customer ID Number"),
        ("HTTPStatusCode", "HTTP Status Code"),
        ("a.b_c", "A B C"),
        ("address2", "Address 2"),
        ("addr2line", "Address 2 Line"),
        ("_cust_id_", "Customer ID"),
        ("OrderDate", "Order Date"),
        ("order-total-amt", "Order Total Amount"),
        ("ORDER_TS", "Order Timestamp"),
        ("unit_price_pct", "Unit Price Percent"),
        ("item_desc", "Item Description"),
        ("emp_nbr", "Employee Number"),
        ("ord_no", "Order Number"),
        ("num_employees", "Number of Employees"),
        ("number_status", "Number Status"),
        ("order_number", "Order Number"),
        ("quantity_on_hand", "Quantity on Hand"),
        ("zip_code", "ZIP Code"),
        ("sq_ft", "Square Feet"),
        ("fy_quarter", "Fiscal Quarter"),
        ("src_ipv4", "Source IPv4"),
        ("b2b_flag", "B2B Flag"),
    ],
)
def test_business_names(technical: str, expected: str) -> None:
    assert business_name(technical) == expected


@pytest.mark.parametrize(
    ("technical", "expected"),
    [
        ("user_id", "User ID"),
        ("page_url", "Page URL"),
        ("sku", "SKU"),
        ("row_uuid", "Row UUID"),
        ("client_ip", "Client IP"),
        ("sql_text", "SQL Text"),
        ("api_key", "API Key"),
        ("gmt_offset", "GMT Offset"),
        ("created_utc", "Created UTC"),
        ("iso_country_cd", "ISO Country Code"),
        ("vat_amt", "VAT Amount"),
        ("gdp_per_capita", "GDP per Capita"),
        ("XYZCode", "XYZ Code"),  # an unknown acronym written in capitals stays as written
    ],
)
def test_acronyms_stay_upper_case(technical: str, expected: str) -> None:
    assert business_name(technical) == expected


@pytest.mark.parametrize(
    ("table", "column", "expected"),
    [
        ("store_sales", "ss_sold_date_sk", "Store Sales Sold Date Surrogate Key"),
        ("store_sales", "ss_ext_sales_price", "Store Sales Extended Sales Price"),
        ("store_sales", "ss_sales_price", "Store Sales Price"),
        ("catalog_sales", "cs_net_paid_inc_tax", "Catalog Sales Net Paid Including Tax"),
        ("web_sales", "ws_ext_discount_amt", "Web Sales Extended Discount Amount"),
        ("store_returns", "sr_return_amt", "Store Returns Return Amount"),
        ("customer_address", "ca_zip", "Customer Address ZIP Code"),
        ("customer_address", "ca_address_sk", "Customer Address Surrogate Key"),
        ("customer_demographics", "cd_demo_sk", "Customer Demographics Surrogate Key"),
        ("customer_demographics", "cd_dep_count", "Customer Demographics Dependent Count"),
        ("date_dim", "d_date_sk", "Date Surrogate Key"),
        ("date_dim", "d_moy", "Date Month of Year"),
        ("date_dim", "d_date", "Date"),
        ("catalog_page", "cp_catalog_page_number", "Catalog Page Number"),
        ("catalog_page", "cp_catalog_number", "Catalog Page Catalog Number"),
        ("call_center", "cc_call_center_id", "Call Center ID"),
        ("web_returns", "wr_refunded_cdemo_sk", "Web Returns Refunded Customer Demographics Surrogate Key"),
        ("inventory", "inv_quantity_on_hand", "Inventory Quantity on Hand"),
        ("customer", "c_customer_sk", "Customer Surrogate Key"),
        ("time_dim", "t_am_pm", "Time AM/PM"),
    ],
)
def test_table_prefix_expands_to_the_table(table: str, column: str, expected: str) -> None:
    assert business_name(column, [table]) == expected


def test_prefix_needs_the_table_context() -> None:
    assert business_name("ss_quantity") == "Safety Stock Quantity"
    assert business_name("ss_quantity", ["store_sales"]) == "Store Sales Quantity"
    # a context table that does not explain the prefix changes nothing
    assert business_name("ss_quantity", ["web_sales"]) == "Safety Stock Quantity"
    # the first table that explains it wins
    assert business_name("ws_quantity", ["store_sales", "web_sales"]) == "Web Sales Quantity"


def test_a_whole_word_first_token_is_not_a_prefix_without_sibling_columns() -> None:
    assert business_name("customer_id", ["customer_address"]) == "Customer ID"
    assert business_name("web_name", ["web_site"]) == "Web Name"
    assert predict("web_site", ["web_site_sk", "web_name", "web_mkt_id"]).column_names == {
        "web_site_sk": "Web Site Surrogate Key",
        "web_name": "Web Site Name",
        "web_mkt_id": "Web Site Market ID",
    }


def test_dictionary_shape() -> None:
    assert len(ABBREVIATIONS) >= 1000
    for key, expansion in ABBREVIATIONS.items():
        assert key == key.lower() and key.isalpha(), key
        assert expansion.strip() == expansion and expansion, key
    for key, expansion in PHRASES.items():
        assert len(key) >= 2 and all(t == t.lower() and t.isalnum() for t in key), key
        assert expansion.strip(), key


def test_dictionary_has_no_duplicate_keys() -> None:
    """A repeated key in the dict literal would silently override the first one."""
    tree = ast.parse(Path(abbreviations.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict) and len(node.keys) > 100:
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
            assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    "key",
    ["qty", "amt", "mth", "mkt", "cust", "sk", "ctlg", "sld", "addr", "dt", "ts", "desc", "num", "no", "nbr", "pct"],
)
def test_brief_abbreviations_present(key: str) -> None:
    assert key in ABBREVIATIONS


def test_deterministic() -> None:
    columns = ["ss_sold_date_sk", "ss_item_sk", "ss_quantity", "ss_sales_price", "mystery_zq"]
    first = predict("store_sales", columns)
    for _ in range(3):
        assert predict("store_sales", list(columns)) == first
        assert business_name("ss_item_sk", ["store_sales"]) == "Store Sales Item Surrogate Key"


def test_empty_and_unicode_input() -> None:
    assert business_name("") == ""
    assert business_name("___") == ""
    assert business_name("", ["store_sales"]) == ""
    assert business_name("größe_qty") == "Größe Quantity"
    assert business_name("prix_ÉTÉ") == "Prix ÉTÉ"
    assert business_name("販売_amt") == "販売 Amount"
    assert business_name("café-dt") == "Café Date"
    empty = predict("", [])
    assert empty.table_name == "" and empty.column_names == {} and 0.0 <= empty.description_confidence <= 1.0
    assert describe_table("t", []) == "T: a table with no columns."


def test_describe_table() -> None:
    columns = ["ss_sold_date_sk", "ss_item_sk", "ss_customer_sk", "ss_quantity", "ss_sales_price", "ss_net_profit"]
    assert describe_table("store_sales", columns) == (
        "Store Sales: 6 columns including Sold Date, Item, Customer, Quantity and Sales Price."
    )
    assert describe_table("date_dim", ["d_date_sk", "d_date", "d_year"]) == (
        "Date Dimension: 3 columns including Date and Year."
    )
    assert describe_table("orders", ["id"]) == "Orders: 1 column."
    assert describe_table("sales_db.orders", ["amt"]) == "Orders: 1 column including Amount."
    assert predict("sales_db.orders", ["amt"]).table_name == "Orders"
    assert describe_table("orders", ["order_id", "amt"]) == "Orders: 2 columns including Order and Amount."


def test_predict() -> None:
    prediction = predict("store_sales", ["ss_sold_date_sk", "ss_quantity", "ss_zqxv_flag"])
    assert isinstance(prediction, Prediction)
    assert prediction.table_name == "Store Sales"
    assert prediction.description.startswith("Store Sales: 3 columns including ")
    assert prediction.column_names == {
        "ss_sold_date_sk": "Store Sales Sold Date Surrogate Key",
        "ss_quantity": "Store Sales Quantity",
        "ss_zqxv_flag": "Store Sales Zqxv Flag",
    }
    scores = prediction.column_confidences
    assert scores["ss_sold_date_sk"] == 1.0 and scores["ss_quantity"] == 1.0
    assert 0.0 < scores["ss_zqxv_flag"] < 1.0  # an unknown token left as-is lowers confidence
    for value in (*scores.values(), prediction.table_name_confidence, prediction.description_confidence):
        assert 0.0 <= value <= 1.0
    assert prediction.description_confidence < 1.0


@pytest.mark.parametrize(
    ("technical", "context", "expected"),
    [
        ("orderdate", (), "Order Date"),
        ("acctbal", (), "Account Balance"),
        ("userid", (), "User ID"),
        ("createdAt", (), "Created At"),
        ("breakfast", (), "Breakfast"),  # a known word is never split
        ("o_orderdate", ("orders",), "Order Date"),
        ("o_custkey", ("orders",), "Order Customer Key"),
        ("c_custkey", ("customer",), "Customer Key"),
        ("l_shipdate", ("lineitem",), "Line Item Ship Date"),
        ("ps_availqty", ("partsupp",), "Part Supplier Available Quantity"),
    ],
)
def test_run_together_words_and_plural_tables(technical: str, context: tuple[str, ...], expected: str) -> None:
    assert business_name(technical, context) == expected


def test_split_words_lower_confidence() -> None:
    scores = predict("orders", ["o_orderdate", "o_comment"]).column_confidences
    assert 0.5 < scores["o_orderdate"] < 1.0
    assert scores["o_comment"] == 1.0


def test_plain_words_and_their_inflections_are_recognised() -> None:
    scores = predict("catalog_returns", ["cr_refunded_cash", "cr_returning_addr_sk", "cr_purpose"]).column_confidences
    assert scores == {"cr_refunded_cash": 1.0, "cr_returning_addr_sk": 1.0, "cr_purpose": 1.0}
    assert predict("t", ["qqzx"]).column_confidences["qqzx"] == 0.4
    assert abbreviations.COMMON_WORDS and all(w == w.lower() and w.isalpha() for w in abbreviations.COMMON_WORDS)


def test_generator_is_a_plain_swappable_function() -> None:
    names = {"mkt": business_name}
    assert names["mkt"]("mkt") == "Market"
