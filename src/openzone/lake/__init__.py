"""The lake: an Iceberg warehouse and the DuckDB extensions that read it."""
