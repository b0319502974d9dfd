"""Athena-compatible query service: sandboxed DuckDB connections and the query engine."""
