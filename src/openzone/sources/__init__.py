"""Data sources: connections, secrets, runs that import real catalogs into a project's inventory."""
