"""Applying the Alembic migrations from code (the CLI, the tests and the container use this)."""

import asyncio
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url
    return config


def migrate(url: str) -> None:
    """Bring the database at `url` to the latest migration."""
    command.upgrade(alembic_config(url), "head")


async def migrate_async(url: str) -> None:
    await asyncio.to_thread(migrate, url)


@lru_cache
def head_revision() -> str | None:
    """The revision the code expects the database to be at."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()
