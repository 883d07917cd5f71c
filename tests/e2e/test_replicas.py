"""Two service processes on one PostgreSQL database: one worker at a time.

Needs the PostgreSQL server on 127.0.0.1:5432 (`HPCSIM_TEST_POSTGRES` to point
elsewhere); the test fails, never skips, when it is missing.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.e2e.conftest import (
    Running,
    client_for,
    jobs_named,
    make_account,
    service_env,
    start_service,
)

ADMIN_URL = os.environ.get(
    "HPCSIM_TEST_POSTGRES", "postgresql://postgres@127.0.0.1/postgres"
)


@pytest.fixture
def database() -> Iterator[str]:
    name = f"hpcsim_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True)
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL is needed at {ADMIN_URL}: {error}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def lease_holder(log: str) -> str | None:
    taken = re.findall(r"worker lease: taken by (\S+)", log)
    return taken[-1] if taken else None


def test_one_replica_works_and_another_takes_over_when_it_dies(
    database: str, tmp_path: Path, templates_repo: Path, cluster: dict[str, str]
) -> None:
    env = service_env(
        tmp_path, templates_repo, HPCSIM_DATABASE_URL=database, HPCSIM_LEASE_SECONDS="4"
    )
    first = start_service(env, cluster, "first.log")
    second = start_service(env, cluster, "second.log")
    replicas: list[Running] = [first, second]
    try:
        time.sleep(3)
        holders = [r for r in replicas if lease_holder(r.service.log())]
        assert len(holders) == 1, "exactly one replica must hold the lease"
        holder = holders[0]
        other = second if holder is first else first

        account = make_account(holder.service, "replica")
        execution_id = account.run(
            document="workflow_type: sleep-exit\nparameters:\n  seconds: 8\n"
        )
        running = account.wait_for(execution_id, {"RUNNING"})
        holder.kill()
        killed_at = time.monotonic()

        survivor = client_for(account, other.service)
        body = survivor.wait_for(execution_id, {"FINISHED"}, timeout=120)
        assert lease_holder(other.service.log()) is not None
        assert time.monotonic() - killed_at < 60
        assert body["JobId"] == running["JobId"]
        assert jobs_named(f"hpcsim-{execution_id}-1") == [running["JobId"]]
    finally:
        for replica in replicas:
            replica.stop()
