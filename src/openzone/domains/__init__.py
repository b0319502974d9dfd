"""Domains and the users who belong to them (user profiles)."""
