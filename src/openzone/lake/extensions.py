"""DuckDB extensions from their PyPI wheels, laid out as an offline extension directory."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import duckdb

# The extensions the lake and query service need; iceberg reads its manifests with avro.
EXTENSIONS = ("iceberg", "avro", "tpch", "tpcds", "httpfs")


@lru_cache(maxsize=1)
def _platform() -> str:
    """Return DuckDB's platform folder name (e.g. linux_amd64), as DuckDB itself reports it."""
    with duckdb.connect(":memory:") as con:
        return con.execute("PRAGMA platform").fetchone()[0]


def _wheel_file(name: str, version_dir: str) -> Path | None:
    """Return the extension file shipped by the duckdb-extension-<name> wheel, if installed."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        candidate = Path(root) / "extensions" / version_dir / f"{name}.duckdb_extension"
        if candidate.is_file():
            return candidate
    return None


def prepare_extension_dir(base: Path) -> Path:
    """Link the installed extension wheels into `base` so DuckDB can LOAD them offline; idempotent."""
    base = Path(base).resolve()
    version_dir = f"v{duckdb.__version__}"
    target_dir = base / version_dir / _platform()
    target_dir.mkdir(parents=True, exist_ok=True)
    for name in EXTENSIONS:
        source = _wheel_file(name, version_dir)
        if source is None:
            continue
        link = target_dir / f"{name}.duckdb_extension"
        if link.is_symlink() and link.resolve() == source.resolve():
            continue
        # A stale link (e.g. from another venv) or a leftover file is replaced, atomically.
        tmp = link.with_name(link.name + ".tmp")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(source)
        tmp.replace(link)
    return base


_VERIFIED: set[str] = set()


def verify_signatures(base: Path) -> Path:
    """LOAD the sandbox's extensions once with DuckDB's signature check, so later opens may skip it."""
    base = Path(base).resolve()
    if str(base) not in _VERIFIED:
        with duckdb.connect(":memory:", config=duckdb_config(base)) as con:
            con.execute("LOAD iceberg")
        _VERIFIED.add(str(base))
    return base


def signatures_verified(base: Path) -> bool:
    return str(Path(base).resolve()) in _VERIFIED


def duckdb_config(ext_dir: Path) -> dict[str, str]:
    """Return a DuckDB connect() config that loads extensions only from `ext_dir`, never implicitly."""
    return {
        "extension_directory": str(ext_dir),
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
    }
