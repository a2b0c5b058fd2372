"""The migrations build exactly the schema the SQLModel tables describe."""

import asyncpg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from payments_service.db import tables  # noqa: F401  (registers the tables)
from payments_service.db.pool import sqlalchemy_url


async def test_autogenerate_finds_no_difference_after_the_latest_migration(
    database_url: str,
) -> None:
    engine = create_async_engine(sqlalchemy_url(database_url))
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata)
        )
    await engine.dispose()
    assert diff == []


async def test_every_key_includes_the_account(db: asyncpg.Pool) -> None:
    keys = await db.fetch(
        """
        SELECT c.conrelid::regclass::text AS table_name, c.conname,
               array_agg(a.attname::text) AS columns
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        JOIN pg_class r ON r.oid = c.conrelid  -- not Citus's shards: it hides them there
        WHERE c.contype IN ('p', 'f', 'u') AND c.connamespace = 'public'::regnamespace
          AND c.conrelid::regclass::text NOT IN ('accounts', 'alembic_version')
        GROUP BY 1, 2
        """
    )
    assert keys
    for key in keys:
        assert "account_id" in key["columns"], key
