"""DataZone-style events: written to an outbox in the same transaction as the change they describe."""
