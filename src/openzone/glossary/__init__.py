"""Business glossaries and their terms, owned by a project and readable across the domain."""
