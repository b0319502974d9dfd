"""The process's Warehouse, one per configured catalog."""

from functools import lru_cache
from pathlib import Path

from openzone.config import Settings
from openzone.lake.warehouse import Warehouse


@lru_cache(maxsize=4)
def _warehouse(catalog_url: str, warehouse_dir: str) -> Warehouse:
    Path(warehouse_dir).mkdir(parents=True, exist_ok=True)
    return Warehouse(catalog_url, Path(warehouse_dir))


def get_warehouse(settings: Settings) -> Warehouse:
    """The embedded Iceberg warehouse configured by `settings`."""
    if settings.lake_url.startswith("sqlite"):
        (settings.data_path / "lake").mkdir(parents=True, exist_ok=True)
    return _warehouse(settings.lake_url, str(settings.warehouse_dir))
