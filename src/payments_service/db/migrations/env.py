"""Alembic environment: the SQLModel metadata, applied over asyncpg."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from payments_service.config import get_settings
from payments_service.db import citus, tables  # noqa: F401  (tables registers the tables)
from payments_service.db.pool import database_url, sqlalchemy_url

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    return str(config.attributes.get("url") or database_url(get_settings()))


def _migrate(connection: Connection) -> None:
    citus.prepare(connection)
    # One transaction per migration: Citus refuses to distribute a table in the transaction that
    # created it and others with DDL on them ("parallel DDL access").
    context.configure(
        connection=connection, target_metadata=target_metadata, transaction_per_migration=True
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run() -> None:
    engine = create_async_engine(sqlalchemy_url(_url()))
    async with engine.connect() as connection:
        await connection.run_sync(_migrate)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=sqlalchemy_url(_url()), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run())
