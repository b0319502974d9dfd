"""Finding listings in the catalog."""
