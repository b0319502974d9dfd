"""Governance: metadata enforcement rules and governed (restricted) glossary terms."""
