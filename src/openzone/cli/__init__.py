"""The `openzone` command line."""
