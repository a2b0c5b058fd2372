"""kill -9 in the middle of the load: a worker, then the whole server. Every payment that got a
201 is in the database, no other one is, and every balance still matches its payments."""

import os
import signal

import asyncpg
import httpx
import pytest

from tests.support.contract import ContractChecker
from tests.support.jepsen import SERVER_ENV, load_started, until, violations
from tests.support.server import start_server
from tests.support.workers import workers_of

pytestmark = pytest.mark.system


async def test_killing_a_worker_mid_load_loses_nothing_acknowledged(
    database_url: str, db: asyncpg.Pool, contract: ContractChecker
) -> None:
    process, base = start_server(database_url, workers=3, env=SERVER_ENV)
    try:
        workload, load = await load_started(base, db, contract, operations=800)
        victim = workers_of(process.pid)[0]
        os.kill(victim, signal.SIGKILL)
        await load
        await until(
            lambda: len(workers_of(process.pid)) == 3 and victim not in workers_of(process.pid)
        )
        found = await violations(workload, db)
        print(f"\nkill -9 worker: {len(workload.history)} operations, {workload.statuses()}")
        assert found == []
        async with httpx.AsyncClient(event_hooks={"response": [contract]}) as http:
            assert (await http.get(f"{base}/readyz")).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)


async def test_killing_the_whole_server_mid_load_then_restarting_loses_nothing_acknowledged(
    database_url: str, db: asyncpg.Pool, contract: ContractChecker
) -> None:
    process, base = start_server(database_url, workers=2, env=SERVER_ENV)
    try:
        workload, load = await load_started(base, db, contract, operations=600)
        os.killpg(process.pid, signal.SIGKILL)
        await load
    finally:
        process.wait(timeout=30)
    unanswered = sum(op.status is None for op in workload.history)
    process, base = start_server(database_url, workers=2, env=SERVER_ENV)
    try:
        await workload.run(base, operations=300, clients=16)
        found = await violations(workload, db)
        print(f"\nkill -9 server: {len(workload.history)} operations, {unanswered} unanswered")
        assert unanswered > 0  # the kill did cut requests off
        assert found == []
    finally:
        process.terminate()
        process.wait(timeout=30)
