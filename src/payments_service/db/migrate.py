"""Applying the Alembic migrations from code (the CLI, the tests and the container use this),
and the revisions the database is at and the code expects (the readiness probe).

Alembic is imported on use: it takes seconds to import on a busy machine, and serving workers
only need it for the readiness probe.
"""

import asyncio
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg

from payments_service.db.pool import Connection

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url
    return config


def migrate(url: str) -> None:
    """Bring the database at `url` to the latest migration."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")


async def migrate_async(url: str) -> None:
    await asyncio.to_thread(migrate, url)


async def current_revision(conn: Connection) -> str | None:
    """The revision the database is at; None if it was never migrated."""
    try:
        revision: str | None = await conn.fetchval("SELECT max(version_num) FROM alembic_version")
    except asyncpg.UndefinedTableError:
        return None
    return revision


@lru_cache
def head_revision() -> str | None:
    """The revision the code expects the database to be at."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("")).get_current_head()
