"""SIGKILL the service at the worst moments, start it again: no job lost or doubled.

Each test runs its own service processes on one data folder, as an operator
restarting a crashed service would.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import (
    Account,
    client_for,
    jobs_named,
    make_account,
    service_env,
    start_service,
)

SLEEP = "workflow_type: sleep-exit\nparameters:\n  seconds: {seconds}\n"


def wait_until(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def finish_on_a_new_service(
    env: dict[str, str],
    cluster: dict[str, str],
    account: Account,
    execution_id: str,
    status: str = "FINISHED",
) -> tuple[dict[str, Any], str]:
    """Start the service again after a crash; return the end status and its log."""
    second = start_service(env, cluster)
    try:
        survivor = client_for(account, second.service)
        deadline = time.monotonic() + 90
        body = survivor.status(execution_id)
        while body["Status"] != status and time.monotonic() < deadline:
            time.sleep(0.5)
            body = survivor.status(execution_id)
    finally:
        second.stop()
    return body, second.service.log()


@pytest.fixture
def env(tmp_path: Path, templates_repo: Path) -> dict[str, str]:
    return service_env(tmp_path, templates_repo)


def test_a_kill_between_sbatch_and_its_record_neither_loses_nor_doubles_the_job(
    env: dict[str, str], cluster: dict[str, str]
) -> None:
    first = start_service({**env, "HPCSIM_CRASH_TEST_PAUSE": "30"}, cluster)
    account = make_account(first.service, "crash1")
    execution_id = account.run(document=SLEEP.format(seconds=5))
    tag = f"hpcsim-{execution_id}-1"
    wait_until(lambda: jobs_named(tag), 60, "sbatch to run")
    assert account.status(execution_id)["JobId"] is None

    first.kill()
    body, log = finish_on_a_new_service(env, cluster, account, execution_id)

    assert body["Status"] == "FINISHED"
    assert jobs_named(tag) == [body["JobId"]]
    assert "found again by its tag" in log


def test_a_kill_while_the_job_runs_loses_nothing(
    env: dict[str, str], cluster: dict[str, str]
) -> None:
    first = start_service(env, cluster)
    account = make_account(first.service, "crash2")
    execution_id = account.run(document=SLEEP.format(seconds=8))
    running = account.wait_for(execution_id, {"RUNNING"})

    first.kill()
    body, _ = finish_on_a_new_service(env, cluster, account, execution_id)

    assert body["Status"] == "FINISHED"
    assert body["JobId"] == running["JobId"] and body["Attempt"] == 1
    assert jobs_named(f"hpcsim-{execution_id}-1") == [running["JobId"]]


def test_a_kill_right_after_the_request_still_submits_exactly_once(
    env: dict[str, str], cluster: dict[str, str]
) -> None:
    first = start_service(env, cluster)
    account: Account = make_account(first.service, "crash3")
    execution_id = account.run(document=SLEEP.format(seconds=1))
    first.kill()
    body, _ = finish_on_a_new_service(env, cluster, account, execution_id)

    assert body["Status"] == "FINISHED"
    assert jobs_named(f"hpcsim-{execution_id}-1") == [body["JobId"]]


def test_a_kill_right_after_a_restart_request_submits_the_new_attempt_once(
    env: dict[str, str], cluster: dict[str, str]
) -> None:
    first = start_service(env, cluster)
    account = make_account(first.service, "crash4")
    failing = "workflow_type: sleep-exit\nparameters:\n  exit_code: 2\n"
    execution_id = account.run(document=failing)
    account.wait_for(execution_id, {"FAILED"})
    answer = account.control(execution_id, "PUT", status="restart")
    assert answer.status_code == 202
    first.kill()
    body, _ = finish_on_a_new_service(env, cluster, account, execution_id, "FAILED")

    assert body["Status"] == "FAILED" and body["Attempt"] == 2
    assert jobs_named(f"hpcsim-{execution_id}-2") == [body["JobId"]]
    assert len(jobs_named(f"hpcsim-{execution_id}-1")) == 1
