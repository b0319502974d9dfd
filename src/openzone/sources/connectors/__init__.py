"""Connectors read a source system's catalog as `base.TableInfo`s; they know nothing of assets or runs.

`connect(spec)` finds the module for `spec.kind` only when a run needs it, so a connector whose module (or
driver) is missing fails that run with a clear message instead of stopping the server at start-up.
"""

from __future__ import annotations

import importlib

from openzone.sources.connectors.base import (
    FILES,
    GLUE,
    ICEBERG,
    MYSQL,
    POSTGRESQL,
    REDSHIFT,
    ConnectionSpec,
    Connector,
    SourceUnreachable,
)

# Each kind's module under openzone.sources.connectors; the module exposes connect(spec) -> Connector.
MODULES = {GLUE: "glue", ICEBERG: "iceberg", POSTGRESQL: "postgres", REDSHIFT: "postgres", MYSQL: "mysql",
           FILES: "files"}


def connect(spec: ConnectionSpec) -> Connector:
    """The connector for `spec.kind`; SourceUnreachable when this server has no such connector."""
    name = MODULES.get(spec.kind)
    if name is None:
        raise SourceUnreachable(f"openzone has no connector for sources of kind {spec.kind}.",
                                "VALIDATION_EXCEPTION")
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ImportError as error:
        raise SourceUnreachable(f"The {spec.kind} connector is not available on this server ({error}); "
                                f"install or upgrade openzone with it.", "INTERNAL_SERVER_EXCEPTION") from None
    return module.connect(spec)
