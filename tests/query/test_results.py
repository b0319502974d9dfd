"""Result pages as Athena rows, and the cache that serves them while a client pages."""

import datetime as dt
import decimal
import json

import orjson
import pyarrow as pa
import pytest

from openzone.query import results


def reference_rows(table: pa.Table) -> list[dict]:
    """Athena rows the plain way: one dict per value (what results.rows must encode)."""
    columns = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_boolean(kind):
            columns.append([None if v is None else ("true" if v else "false") for v in column.to_pylist()])
        elif pa.types.is_integer(kind) or pa.types.is_date(kind) or pa.types.is_decimal(kind) \
                or pa.types.is_string(kind) or pa.types.is_large_string(kind):
            columns.append([None if v is None else str(v) for v in column.to_pylist()])
        else:
            columns.append([None if v is None else results._text(v) for v in column.to_pylist()])
    return [{"Data": [{} if v is None else {"VarCharValue": v} for v in values]} for values in zip(*columns)]


def mixed_table(n: int) -> pa.Table:
    texts = ['plain', 'quote " and \\ backslash', "tab\tnew\nline\x01", "ünï€😀", "", None]
    return pa.table({
        "s": pa.chunked_array([[texts[i % 6] for i in range(n // 2)], [texts[(i + 1) % 6] for i in range(n - n // 2)]]),
        "i": pa.array([None if i % 7 == 0 else i - 3 for i in range(n)], pa.int64()),
        "b": pa.array([None if i % 5 == 0 else i % 2 == 0 for i in range(n)]),
        "f": pa.array([i / 3 for i in range(n)]),
        "d": pa.array([dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(n)]),
        "ts": pa.array([dt.datetime(2020, 1, 1, 1, 2, 3, 456789) if i % 3 else None for i in range(n)]),
        "dec": pa.array([decimal.Decimal(i) / 100 for i in range(n)], pa.decimal128(10, 2)),
        "l": pa.array([[i, None] if i % 4 else None for i in range(n)]),
        "n": pa.nulls(n),
        "a": pa.array(["x"] * n, pa.large_string()),
        "a_again": pa.array(['"'] * n),
    })


@pytest.mark.parametrize("n", [3, 1000])  # a dict per value, and Arrow's kernels
def test_rows_encode_every_type_as_athena_text(n):
    table = mixed_table(n)
    for offset, length in ((0, n), (1, n // 2), (n - 1, 5)):
        page = table.slice(offset, length)
        assert json.loads(orjson.dumps(results.rows(page))) == reference_rows(page)


def test_rows_with_only_plain_text_and_no_nulls():
    table = pa.table({"a": pa.array([str(i) for i in range(500)]), "b": pa.array(range(500))})
    assert json.loads(orjson.dumps(results.rows(table))) == reference_rows(table)


def test_cached_and_file_pages_are_identical(tmp_path):
    table = mixed_table(2500)
    cache = results.ResultCache(64 * 1024 * 1024)
    results.save(tmp_path, "q1", table, cache)
    assert cache.get(tmp_path, "q1") is table  # the first page is served without reading the file
    for offset in (0, 1000, 2000):
        cached = results.load_slice(tmp_path, "q1", offset, 1000, cache)
        from_file = results.load_slice(tmp_path, "q1", offset, 1000)
        assert cached.equals(from_file)
        assert orjson.dumps(results.rows(cached)) == orjson.dumps(results.rows(from_file))


def test_the_cache_is_bounded_in_bytes(tmp_path):
    tables = {f"q{i}": pa.table({"v": pa.array(range(i * 1000, i * 1000 + 1000), pa.int64())}) for i in range(5)}
    size = tables["q0"].nbytes
    cache = results.ResultCache(3 * size)
    for qid, table in tables.items():
        results.save(tmp_path, qid, table, cache)
        assert cache.nbytes <= 3 * size
    assert [cache.get(tmp_path, q) is not None for q in tables] == [False, False, True, True, True]
    # Reading an evicted result brings it back (from its file) and evicts the least recently used.
    assert results.load_slice(tmp_path, "q0", 0, 2, cache).column("v").to_pylist() == [0, 1]
    assert cache.get(tmp_path, "q0") is not None and cache.get(tmp_path, "q2") is None
    assert cache.nbytes <= 3 * size
    # A result larger than the whole cache is never kept.
    big = pa.table({"v": pa.array(range(10_000), pa.int64())})
    results.save(tmp_path, "big", big, cache)
    assert cache.get(tmp_path, "big") is None
    assert results.load_slice(tmp_path, "big", 9_998, 5, cache).column("v").to_pylist() == [9_998, 9_999]
