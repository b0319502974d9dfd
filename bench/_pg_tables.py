"""Many wide tables in a PostgreSQL database, fast: for the connector and end-to-end import benchmarks.

`make_tables(dsn, n)` creates tables `t_00000 ...` of `columns` columns each (the first a bigint primary
key, then text/numeric/timestamptz/integer in turn, every fifth column commented, every table commented)
with server-side DO blocks, a batch of tables per transaction: one transaction for all of them would
need a lock slot per table, more than PostgreSQL's default lock table holds.
"""

from __future__ import annotations

import psycopg

_TYPES = ("text", "numeric(12,2)", "timestamp with time zone", "integer")

# One DO block makes `batch` tables; its arguments are interpolated as integers and identifiers only.
_DO_BLOCK = """
DO $$
DECLARE
  cols text;
  tname text;
BEGIN
  FOR i IN {first}..{last} LOOP
    tname := format('t_%s', lpad(i::text, 5, '0'));
    cols := 'c00 bigint PRIMARY KEY';
    FOR j IN 1..{columns} - 1 LOOP
      cols := cols || format(', %I %s', format('c%s', lpad(j::text, 2, '0')),
                             (ARRAY[{types}])[1 + j % {ntypes}]);
    END LOOP;
    EXECUTE format('CREATE TABLE %I.%I (%s)', {schema}, tname, cols);
    EXECUTE format('COMMENT ON TABLE %I.%I IS %L', {schema}, tname, 'bench table ' || i);
    FOR j IN 5..{columns} - 1 BY 5 LOOP
      EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', {schema}, tname, format('c%s', lpad(j::text, 2, '0')),
                     'column ' || j || ' of table ' || i);
    END LOOP;
  END LOOP;
END $$
"""


def make_tables(dsn: str, n: int, columns: int = 20, schema: str = "public", batch: int = 500) -> None:
    """Create n tables of `columns` columns in `schema` (created if missing) of the database at dsn."""
    types = ", ".join(f"'{t}'" for t in _TYPES)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(psycopg.sql.Identifier(schema)))
        schema_literal = psycopg.sql.Literal(schema).as_string(conn)
        for first in range(0, n, batch):
            last = min(first + batch, n) - 1
            conn.execute(_DO_BLOCK.format(first=first, last=last, columns=int(columns), types=types,
                                          ntypes=len(_TYPES), schema=schema_literal))
