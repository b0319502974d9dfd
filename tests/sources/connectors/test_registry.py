"""connectors.connect: a kind's module is found only when a run needs it; what is missing is a clear error."""

import pytest

from openzone.sources import connectors
from openzone.sources.connectors.base import ConnectionSpec, SourceUnreachable
from openzone.sources.connectors.iceberg import IcebergConnector


def test_each_kind_has_a_module_and_iceberg_connects():
    assert set(connectors.MODULES) == {"GLUE", "ICEBERG", "POSTGRESQL", "REDSHIFT", "MYSQL", "FILES"}
    assert isinstance(connectors.connect(ConnectionSpec(kind="ICEBERG", options={"uri": "sqlite://"})),
                      IcebergConnector)


def test_an_unknown_kind_or_a_missing_module_fails_the_run_not_the_server(monkeypatch):
    with pytest.raises(SourceUnreachable, match="no connector for sources of kind SNOWFLAKE") as unknown:
        connectors.connect(ConnectionSpec(kind="SNOWFLAKE"))
    assert unknown.value.error_type == "VALIDATION_EXCEPTION"
    monkeypatch.setitem(connectors.MODULES, "MYSQL", "not_installed_here")
    with pytest.raises(SourceUnreachable, match="The MYSQL connector is not available on this server") as missing:
        connectors.connect(ConnectionSpec(kind="MYSQL", password="hunter2"))
    assert missing.value.error_type == "INTERNAL_SERVER_EXCEPTION" and "hunter2" not in str(missing.value)
