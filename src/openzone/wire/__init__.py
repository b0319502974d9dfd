"""The DataZone and Athena wire protocols: SigV4, routing, validation, rendering, idempotency."""
