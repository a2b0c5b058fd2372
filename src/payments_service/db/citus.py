"""The schema on Citus (distributed PostgreSQL), for migrations: on plain PostgreSQL every
function here does nothing, so the same migrations serve both.

Tables with a tenant are split into shards by `account_id`, all colocated with `invoices`: an
account's rows of every table live on one node, so each request's statements (which all name
the account) run there alone and commit there without a two-phase commit. Tables without a
tenant column to split by are reference tables: a copy on every node, joinable from any shard.
A migration that creates a table distributes it (`distribute` / `reference`) before adding a
foreign key from it to a distributed table: Citus refuses keys from local tables to them.
"""

from alembic import op
from sqlalchemy.engine import Connection

COLOCATED_WITH = "invoices"
INSTALLED = "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')"


def installed() -> bool:
    """Whether the database is a Citus coordinator (the extension is there)."""
    return bool(op.get_bind().exec_driver_sql(INSTALLED).scalar())


def prepare(connection: Connection) -> None:
    """Before the migrations run on `connection`: on Citus, one connection per node for DDL, so
    that a migration may mix DDL on distributed tables with distributing new ones (in parallel
    mode Citus refuses the one after the other)."""
    installed = connection.exec_driver_sql(INSTALLED).scalar()
    if installed:
        connection.exec_driver_sql("SET citus.multi_shard_modify_mode = 'sequential'")
    connection.commit()


def reference(table: str) -> None:
    if installed():
        op.execute(f"SELECT create_reference_table('{table}')")


def distribute(table: str) -> None:
    if installed():
        colocate = "default" if table == COLOCATED_WITH else COLOCATED_WITH
        op.execute(
            f"SELECT create_distributed_table('{table}', 'account_id', "
            f"colocate_with => '{colocate}')"
        )
