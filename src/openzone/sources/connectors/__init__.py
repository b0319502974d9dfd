"""Connectors read a source system's catalog as `base.TableInfo`s; they know nothing of assets or runs."""
