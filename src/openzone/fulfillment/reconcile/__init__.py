"""Reconciliation: compare what the catalog says is granted with what each engine allows, and repair drift."""
