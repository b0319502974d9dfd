"""openzone: an open-source data catalog and governance portal that speaks Amazon DataZone's API."""

__version__ = "0.1.0"
