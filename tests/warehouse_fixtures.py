"""Fixtures of the warehouse tests: a throwaway warehouse database and a server using it (import them by name)."""

import pytest

from conftest import make_settings, serve
from warehouse import create_warehouse, drop_warehouse


@pytest.fixture(scope="module")
def warehouse_url():
    url = create_warehouse()
    yield url
    drop_warehouse(url)


@pytest.fixture(scope="module")
def wh_server(isolated_database_url, warehouse_url, tmp_path_factory):
    # A metadata database of its own: another server's workers (without a warehouse) must not take these jobs.
    yield from serve(make_settings(tmp_path_factory.mktemp("data"), isolated_database_url,
                                   warehouse_url=warehouse_url, query_timeout_seconds=20))
