"""SearchListings through boto3 on SQLite (FTS5) and PostgreSQL (tsvector): candidates from the engine,
order from relevance.rank."""

import pytest

from scenario import build_world, glue_asset, query_rows

TABLES = {
    "mkt_loss_mth_table": "(DATE '2024-01-01', 'd1', 'eu', 1.5) t(mth_start_dt, desk_cd, rgn_cd, mtm_loss_amt)",
    "pnl_mth_rgn": "(DATE '2024-01-01', 'eu', 1.0, 2.0) t(mth_start_dt, rgn_cd, rev_amt, cogs_amt)",
    "customer_orders": "(1, 2, 3.0) t(order_id, customer_id, order_total)",
    "customer_orders_archive": "(1, 2, 3.0) t(order_id, customer_id, order_total)",
    "store_sales": "(1, 2.0) t(ss_item_sk, ss_net_profit)",
    "sales_per_store": "(1, 2.0) t(store_id, sales_total)",
    "gadget_1": "(1) t(id)", "gadget_2": "(1) t(id)", "gadget_3": "(1) t(id)", "gadget_4": "(1) t(id)",
    "gadget_5": "(1) t(id)",
}
ASSETS = [  # (table, listing name, description)
    ("mkt_loss_mth_table", "mkt_loss_mth_table", "Monthly write-downs on positions, by desk"),
    ("pnl_mth_rgn", "Profit and Loss by Region", "Monthly income statement per region"),
    ("customer_orders_archive", "Customer Orders Archive", "Orders older than two years"),
    ("customer_orders", "Customer Orders", "Every order a customer placed"),
    ("store_sales", "Store Sales", "Sales in our shops"),
    ("sales_per_store", "Sales Per Store", "Totals per shop"),
    *[(f"gadget_{i}", f"Gadget {i}", "") for i in range(1, 6)],
]


@pytest.fixture(scope="module")
def world(server):
    world = build_world(server)
    env = world.sales_env["id"]
    for table, rows in TABLES.items():
        values, columns = rows.split(" t(")
        query_rows(world.producer, env, f"CREATE TABLE {table} AS SELECT * FROM (VALUES {values}) t({columns}")
    world.listings = {}
    for table, name, description in ASSETS:
        asset = glue_asset(world.producer, world, table, name, description)
        world.listings[table] = world.producer.dz.create_listing_change_set(
            domainIdentifier=world.domain_id, entityIdentifier=asset["id"], entityType="ASSET",
            action="PUBLISH")["listingId"]
    return world


def search(world, text: str | None, **kwargs) -> dict:
    params = {"domainIdentifier": world.domain_id, **kwargs}
    if text is not None:
        params["searchText"] = text
    return world.consumer.dz.search_listings(**params)


def tables(world, text: str, **kwargs) -> list[str]:
    """The tables of the listings found, in order."""
    by_id = {listing_id: table for table, listing_id in world.listings.items()}
    return [by_id[item["assetListing"]["listingId"]] for item in search(world, text, **kwargs)["items"]]


def test_business_words_find_the_abbreviated_table(world):
    found = tables(world, "market loss")
    assert found[0] == "mkt_loss_mth_table"
    assert tables(world, "mkt loss")[0] == "mkt_loss_mth_table"
    assert tables(world, "Market Losses")[0] == "mkt_loss_mth_table"  # case and plural


def test_an_exact_name_ranks_first(world):
    assert tables(world, "customer orders")[:2] == ["customer_orders", "customer_orders_archive"]
    assert tables(world, "Customer Orders Archive")[0] == "customer_orders_archive"
    assert tables(world, "customerOrders")[0] == "customer_orders"


def test_a_word_the_best_listing_lacks_does_not_empty_the_result(world):
    assert tables(world, "market loss forecast")[0] == "mkt_loss_mth_table"
    assert tables(world, "monthly desk loss unicorns")[0] == "mkt_loss_mth_table"
    # ... but a two-word query needs both words, and a stray word alone finds nothing.
    assert search(world, "gadget unicorns")["totalMatchCount"] == 0
    assert search(world, "unicorns")["totalMatchCount"] == 0


def test_a_quoted_phrase_is_exact(world):
    assert tables(world, '"store sales"') == ["store_sales"]
    assert set(tables(world, "store sales")) >= {"store_sales", "sales_per_store"}
    assert tables(world, "store sales")[0] == "store_sales"
    assert tables(world, '"sales store"') == []
    assert tables(world, '"store sale"') == []  # no stemming inside quotes


def test_column_names_are_searchable(world):
    assert tables(world, "mtm_loss_amt")[0] == "mkt_loss_mth_table"
    assert tables(world, "mtm") == ["mkt_loss_mth_table"]
    assert tables(world, "desk_cd")[0] == "mkt_loss_mth_table"
    assert set(tables(world, "cogs")) == {"pnl_mth_rgn"}
    assert tables(world, "net profit")[0] == "store_sales"


def test_total_match_count_and_paging_over_the_ranked_list(world):
    first = search(world, "gadget", maxResults=2)
    assert first["totalMatchCount"] == 5 and len(first["items"]) == 2
    second = search(world, "gadget", maxResults=2, nextToken=first["nextToken"])
    third = search(world, "gadget", maxResults=2, nextToken=second["nextToken"])
    assert second["totalMatchCount"] == third["totalMatchCount"] == 5
    assert len(third["items"]) == 1 and "nextToken" not in third
    ids = [i["assetListing"]["listingId"] for page in (first, second, third) for i in page["items"]]
    assert sorted(ids) == sorted(world.listings[f"gadget_{i}"] for i in range(1, 6))
    # An exact name still leads a paged list; sort overrides the ranking.
    assert tables(world, "gadget 3", maxResults=1) == ["gadget_3"]
    names = [i["assetListing"]["name"] for i in search(world, "gadget", sort={"attribute": "name",
                                                                              "order": "DESCENDING"})["items"]]
    assert names == [f"Gadget {i}" for i in range(5, 0, -1)]


def test_empty_search_lists_every_active_listing_newest_first(world):
    everything = search(world, None, maxResults=50)
    assert everything["totalMatchCount"] == len(ASSETS)
    assert everything["items"][0]["assetListing"]["listingId"] == world.listings["gadget_5"]
    assert search(world, "  ")["totalMatchCount"] == len(ASSETS)
    oldest_first = search(world, "", sort={"attribute": "updatedAt", "order": "ASCENDING"})["items"]
    assert oldest_first[0]["assetListing"]["listingId"] == world.listings["mkt_loss_mth_table"]


@pytest.mark.parametrize("text", ['"', '"unclosed', "NEAR(a b)", "*:*", "x AND NOT y", "東京 café", "'; --",
                                  "a" * 500, " ".join(f"w{i}" for i in range(100)), '""""', "of the", "mkt:loss", "-loss", "loss*", "(market", "\\"])
def test_any_query_answers_without_error(world, text):
    result = search(world, text)
    assert result["totalMatchCount"] == len(result["items"]) or result["totalMatchCount"] > len(result["items"])


def test_symbols_match_literally(world):
    assert search(world, "write-downs")["totalMatchCount"] >= 1
    assert tables(world, "write-downs")[0] == "mkt_loss_mth_table"
    assert search(world, "%")["totalMatchCount"] == 0 and search(world, "_")["totalMatchCount"] >= 1
