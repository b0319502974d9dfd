"""Run the Alembic tree programmatically (serve, CLI and tests all migrate the same way)."""

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring the metadata database at `url` to the newest revision."""
    command.upgrade(alembic_config(url), "head")
