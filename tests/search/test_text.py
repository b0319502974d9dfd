"""Search text analysis: tokens, stems, index terms, query parsing, and engine queries that cannot be broken."""

import sqlite3

import pytest

from conftest import PG_ADMIN_URL, REQUIRE_POSTGRES
from openzone.search.text import (
    MAX_GROUPS,
    fts5_query,
    identifier_tokens,
    index_terms,
    parse_query,
    stem,
    tsquery,
)

HOSTILE = [
    "",
    "   ",
    '"',
    '""',
    '"unclosed phrase',
    "'",
    "''",
    "it's a customer's order",
    "(",
    ")",
    "((customer",
    "customer)",
    "*",
    "cust*",
    "*:*",
    ":",
    "name:customer",
    "{name}: customer",
    "-",
    "-customer",
    "^",
    "^customer",
    "NEAR",
    "NEAR(customer order, 2)",
    "customer NEAR order",
    "AND",
    "OR",
    "NOT",
    "customer AND NOT order OR",
    "& | ! <-> <2>",
    "customer & order | !sale",
    "'customer':* & !order",
    "\\",
    "customer\\'order",
    "%_%",
    "; DROP TABLE docs; --",
    "café naïve ÄBC",
    "東京 顧客",
    "x² ½ ①",
    "ﬁnance ＣＵＳＴＯＭＥＲ",
    "emoji 😀 order",
    "\x00 null \x01",
    "a" * 5000,
    "word " * 500,
    '"' * 7 + "customer" + '"' * 3,
]


# --- tokens -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("customerIDNumber", ["customer", "id", "number"]),
        ("ss_sold_date_sk", ["ss", "sold", "date", "sk"]),
        ("addr2", ["addr", "2"]),
        ("addr2line", ["addr", "2", "line"]),
        ("HTTPStatusCode", ["http", "status", "code"]),
        ("CustomerOrders", ["customer", "orders"]),
        ("sales.public.store_sales", ["sales", "public", "store", "sales"]),
        ("kebab-case-name", ["kebab", "case", "name"]),
        ("ORDER_TS", ["order", "ts"]),
        ("Market Loss (monthly)", ["market", "loss", "monthly"]),
        ("fy2024Q1", ["fy", "2024", "q", "1"]),
        ("", []),
        ("  __--..  ", []),
        ("café_Ümlaut", ["café", "ümlaut"]),
        ("x²", ["x", "2"]),  # NFKC reads the superscript as a digit
        ("ＣＵＳＴＯＭＥＲ", ["customer"]),  # full-width folds
    ],
)
def test_identifier_tokens(text, tokens):
    assert identifier_tokens(text) == tokens


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("orders", "order"),
        ("order", "order"),
        ("categories", "category"),
        ("addresses", "address"),
        ("address", "address"),
        ("taxes", "tax"),
        ("batches", "batch"),
        ("prices", "price"),
        ("sales", "sale"),
        ("status", "status"),
        ("analysis", "analysis"),
        ("metrics", "metric"),
        ("series", "series"),
        ("ids", "ids"),  # three letters or fewer: too short to tell
        ("sk", "sk"),
        ("2024", "2024"),
    ],
)
def test_stem(word, expected):
    assert stem(word) == expected


def test_stemming_is_consistent_at_index_and_query_time():
    for plural, singular in [("orders", "order"), ("Categories", "category"), ("customer_addresses", "address")]:
        assert stem(singular) == singular
        assert parse_query(plural).terms[-1] in index_terms(singular)
        assert parse_query(singular).terms[-1] in index_terms(plural)


def test_index_terms_keep_tokens_in_order_then_add_stems_and_expansions():
    assert index_terms("mkt_loss_mth_table") == ["mkt", "loss", "mth", "table", "market", "month"]
    terms = index_terms("CustomerOrders")
    assert terms[:2] == ["customer", "orders"] and "order" in terms
    assert "address" in index_terms("addr2") and "2" in index_terms("addr2")
    assert "email" in index_terms("e_mail_addr")  # multi-token dictionary phrase
    assert {"surrogate", "key"} <= set(index_terms("ss_item_sk"))


def test_index_terms_use_the_table_to_read_a_column_prefix():
    plain = index_terms("ss_sold_date_sk")
    in_table = index_terms("ss_sold_date_sk", context=["store_sales"])
    assert "safety" in plain  # the dictionary alone reads ss as "safety stock"
    assert {"store", "sale"} <= set(in_table) and "safety" not in in_table


# --- queries -------------------------------------------------------------------------------------------


def test_parse_query_groups_each_word_with_its_alternatives():
    q = parse_query("market loss")
    assert q.terms == ["market", "loss"] and q.phrases == []
    q = parse_query("mkt Orders")
    assert q.terms == ["mkt", "order"]
    assert q.groups[0] == [("mkt",), ("market",)]
    assert q.groups[1][0] == ("order",) and ("ord",) in q.groups[1]
    assert {("market",), ("mkt",)} <= set(parse_query("market").groups[0])  # both ways
    assert ("surrogate", "key") in parse_query("sk").groups[0]  # all words of a longer reading
    assert parse_query("customerID").terms == ["customer", "id"]


def test_parse_query_phrases_and_small_words():
    q = parse_query('"Store Sales" price of items')
    assert q.phrases == [["store", "sales"]]
    assert q.terms == ["price", "item"]  # "of" dropped: it would only lower coverage
    assert parse_query("of the").terms == ["of", "the"]  # unless nothing else is left
    assert parse_query('"unclosed phrase').phrases == [["unclosed", "phrase"]]
    assert parse_query('""').empty and parse_query("  ").empty
    assert parse_query("order orders ORDER").terms == ["order"]


def test_long_queries_are_cut():
    q = parse_query(" ".join(f"w{i}x" for i in range(500)))
    assert len(q.groups) == MAX_GROUPS


# --- SQLite FTS5 -----------------------------------------------------------------------------------


@pytest.fixture
def fts():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(name, body)")
    rows = [
        ("mkt_loss_mth_table", "Monthly market losses by region"),
        ("customer_orders", "One row per order placed by a customer"),
        ("store_sales", "ss_sold_date_sk ss_item_sk ss_customer_sk"),
        ("customerIDNumber", "National identifier"),
        ("Café Menu", "Items sold in the café"),
    ]
    for name, body in rows:
        db.execute("INSERT INTO docs VALUES (?, ?)", (" ".join(index_terms(name)), " ".join(index_terms(body))))
    yield db
    db.close()


def _fts_names(db, text):
    rows = db.execute("SELECT name FROM docs WHERE docs MATCH ? ORDER BY rowid", (fts5_query(text),))
    return [row[0].split()[0] for row in rows]


def test_fts5_matches(fts):
    assert _fts_names(fts, "market loss") == ["mkt"]
    assert _fts_names(fts, "mkt") == ["mkt"]
    assert _fts_names(fts, "Customer Orders") == ["customer", "store", "customer"]
    assert _fts_names(fts, "orders") == ["customer"]
    assert _fts_names(fts, "market unicorn") == ["mkt"]  # a missing word does not empty the result
    assert _fts_names(fts, '"customer orders"') == ["customer"]
    assert _fts_names(fts, '"orders customer"') == []
    assert _fts_names(fts, '"customer id"') == ["customer"]
    assert _fts_names(fts, "café") == ["café"]
    assert _fts_names(fts, "") == []


@pytest.mark.parametrize("text", HOSTILE)
def test_fts5_query_never_breaks(fts, text):
    expr = fts5_query(text)
    fts.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (expr,)).fetchone()


def test_fts5_operators_typed_by_users_are_words(fts):
    fts.execute("INSERT INTO docs VALUES ('near and or not', 'x')")
    assert _fts_names(fts, "NEAR") == ["near"]
    assert _fts_names(fts, "NOT") == ["near"]
    assert _fts_names(fts, "name:customer") == ["customer", "store", "customer"]  # not a column filter


# --- PostgreSQL to_tsquery -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg():
    psycopg = pytest.importorskip("psycopg")
    try:
        conn = psycopg.connect(PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3,
                               autocommit=True)
    except psycopg.OperationalError as exc:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    yield conn
    conn.close()


def _pg_match(pg, doc, text):
    sql = "SELECT to_tsvector('simple', %s) @@ to_tsquery('simple', %s)"
    return pg.execute(sql, (" ".join(index_terms(doc)), tsquery(text))).fetchone()[0]


def test_tsquery_matches(pg):
    assert _pg_match(pg, "mkt_loss_mth_table", "market loss")
    assert _pg_match(pg, "mkt_loss_mth_table", "market unicorn")
    assert _pg_match(pg, "customer_orders", "Orders")
    assert _pg_match(pg, "customer_orders", '"customer orders"')
    assert not _pg_match(pg, "customer_orders", '"orders customer"')
    assert _pg_match(pg, "customerIDNumber", '"customer id"')
    assert _pg_match(pg, "ss_item_sk", "surrogate")
    assert _pg_match(pg, "Café Menu", "CAFÉ")
    assert not _pg_match(pg, "customer_orders", "unicorn")
    assert not _pg_match(pg, "customer_orders", "")


@pytest.mark.parametrize("text", HOSTILE)
def test_tsquery_never_breaks(pg, text):
    pg.execute("SELECT to_tsvector('simple', %s) @@ to_tsquery('simple', %s)",
               ("customer orders near and not", tsquery(text))).fetchone()


def _biggest_query():
    words = " ".join(f"word{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(200))
    phrases = " ".join(f'"p{chr(97 + i % 26)}{chr(97 + i // 26)} q r"' for i in range(200))
    return parse_query(f"{words} {phrases} mkt sk")


def test_the_biggest_query_runs_in_fts5(fts):
    q = _biggest_query()
    assert len(q.groups) == MAX_GROUPS and len(q.phrases) == MAX_GROUPS
    fts.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (fts5_query(q),)).fetchone()


def test_the_biggest_query_runs_in_postgres(pg):
    pg.execute("SELECT to_tsvector('simple', 'x') @@ to_tsquery('simple', %s)", (tsquery(_biggest_query()),))


def test_business_words_find_rows_indexed_from_plain_tokens(fts):
    fts.execute("INSERT INTO docs VALUES ('cust ord tbl', 'x')")  # plain tokens, no expansions
    assert _fts_names(fts, "customer order") == ["customer", "store", "customer", "cust"]


def test_a_compound_identifier_in_a_query_is_a_phrase():
    assert parse_query("mkt_loss report").phrases == [["mkt", "loss"]]
    assert parse_query("5__5").phrases == [["5", "5"]]
    assert parse_query("sales.orders").phrases == [["sales", "orders"]]
    assert parse_query("market loss").phrases == []  # plain words stay loose
    assert parse_query("100%").phrases == []  # one token: nothing to keep in order
