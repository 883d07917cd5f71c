"""sshd and slurmctld go away during a run: statuses hold, the worker catches up.

These tests stop parts of the shared local cluster and start them again with
`scripts/dev-cluster up`, whatever happens in between.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import (
    ROOT,
    Account,
    Running,
    make_account,
    service_env,
    start_service,
)

SSHD_PIDFILE = Path("/run/hpcsim-dev-sshd.pid")
SLURMCTLD_PIDFILE = Path("/run/slurmctld.pid")
SLEEP = "workflow_type: sleep-exit\nparameters:\n  seconds: {seconds}\n"


def kill_pidfile(path: Path) -> None:
    os.kill(int(path.read_text().strip()), signal.SIGTERM)


def stop_sshd(login: str) -> None:
    """Stop the listener and end the sessions it already holds."""
    kill_pidfile(SSHD_PIDFILE)
    subprocess.run(["pkill", "-f", f"sshd: {login}"], check=False)


def cluster_up() -> None:
    subprocess.run([ROOT / "scripts" / "dev-cluster", "up"], check=True)


@pytest.fixture
def running(
    tmp_path: Path, templates_repo: Path, cluster: dict[str, str]
) -> Iterator[Running]:
    env = service_env(tmp_path, templates_repo)
    service = start_service(env, cluster)
    try:
        yield service
    finally:
        cluster_up()
        service.stop()


def holds_status(
    account: Account, execution_id: str, status: str, seconds: float
) -> None:
    """Check the status stays the same, and the API keeps answering, for a while."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert account.status(execution_id)["Status"] == status
        time.sleep(0.5)


def test_sshd_down_during_a_run_holds_the_status_and_catches_up(
    running: Running, cluster: dict[str, str]
) -> None:
    account = make_account(running.service, "outage1")
    execution_id = account.run(document=SLEEP.format(seconds=15))
    account.wait_for(execution_id, {"RUNNING"})

    stop_sshd(cluster["HPCSIM_DEV_LOGIN"])
    holds_status(account, execution_id, "RUNNING", 20)
    cluster_up()

    body = account.wait_for(execution_id, {"FINISHED"}, timeout=120)
    assert body["Attempt"] == 1
    log = running.service.log()
    assert log.count(": unavailable:") == 1
    assert log.count("available again") == 1


def test_a_submission_waits_for_an_unreachable_cluster(
    running: Running, cluster: dict[str, str]
) -> None:
    account = make_account(running.service, "outage2")
    stop_sshd(cluster["HPCSIM_DEV_LOGIN"])

    execution_id = account.run(document=SLEEP.format(seconds=1))
    holds_status(account, execution_id, "INITIALIZING", 10)
    assert account.status(execution_id)["JobId"] is None
    cluster_up()

    body = account.wait_for(execution_id, {"FINISHED"}, timeout=120)
    assert body["JobId"] is not None


def test_slurmctld_restarted_during_a_run_holds_the_status_and_catches_up(
    running: Running,
) -> None:
    account = make_account(running.service, "outage3")
    execution_id = account.run(document=SLEEP.format(seconds=20))
    running_body = account.wait_for(execution_id, {"RUNNING"})

    kill_pidfile(SLURMCTLD_PIDFILE)
    holds_status(account, execution_id, "RUNNING", 10)
    cluster_up()

    body = account.wait_for(execution_id, {"FINISHED"}, timeout=120)
    assert body["JobId"] == running_body["JobId"]
    assert "slurm" in running.service.log().lower()


def test_the_api_answers_while_the_cluster_is_away(
    running: Running, cluster: dict[str, str]
) -> None:
    account = make_account(running.service, "outage4")
    stop_sshd(cluster["HPCSIM_DEV_LOGIN"])

    started = time.monotonic()
    answer = httpx.get(
        f"{running.service.base_url}/simulations/",
        headers={"Authorization": f"Bearer {account.token}"},
    )

    assert answer.status_code == 200
    assert time.monotonic() - started < 5
