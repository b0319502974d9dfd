"""Subscription requests, subscriptions and their grants."""
