"""The simulations API end to end: real jobs, real SSH, the real Slurm cluster."""

from __future__ import annotations

import re
import subprocess
import time

import httpx

from tests.e2e.conftest import Account, Service

SLEEP = (
    "workflow_type: sleep-exit\n"
    "parameters:\n  seconds: {seconds}\n  exit_code: {code}\n"
)


def sleep_job(seconds: int, code: int = 0) -> str:
    return SLEEP.format(seconds=seconds, code=code)


def scheduler_state(job_id: str, wanted: str, timeout: float = 30) -> str:
    """Return the job's state as Slurm says it, once it is `wanted` or time is up."""
    deadline = time.monotonic() + timeout
    state = "unknown"
    while time.monotonic() < deadline:
        out = subprocess.run(
            ["scontrol", "--oneliner", "show", "job", job_id],
            capture_output=True,
            text=True,
        ).stdout
        match = re.search(r"JobState=(\S+)", out)
        state = match.group(1) if match else "unknown"
        if state == wanted:
            break
        time.sleep(0.5)
    return state


def test_lammps_melt_runs_to_finished(alice: Account, service: Service) -> None:
    description = "workflow_type: lammps-melt\nparameters:\n  steps: 400\n"
    execution_id = alice.run(Name="melt", document=description)

    body = alice.wait_for(execution_id, {"FINISHED"})

    assert body["JobId"] and body["ExitCode"] == 0
    assert body["Workflow"] == "lammps-melt" and body["Branch"] == "main"
    assert re.fullmatch(r"[0-9a-f]{40}", body["Commit"])
    assert body["User"] == service.cluster["HPCSIM_DEV_LOGIN"]
    assert body["Attempt"] == 1 and body["SchedulerState"] == "COMPLETED"
    folder = service.execution_folder(execution_id)
    assert "run reached step 400 of 400" in (folder / "log.lammps").read_text()
    script = (folder / "job.sh").read_text()
    assert "#SBATCH --nodes=1" in script and "#SBATCH --time=0-00:05:00" in script


def test_failing_workflow_reaches_failed_with_reason(alice: Account) -> None:
    execution_id = alice.run(document=sleep_job(0, code=3))

    body = alice.wait_for(execution_id, {"FAILED"})

    assert body["ExitCode"] == 3
    assert "3" in body["Reason"]


def test_stop_gives_stopped_and_cancels_the_job(alice: Account) -> None:
    execution_id = alice.run(document=sleep_job(300))
    running = alice.wait_for(execution_id, {"RUNNING"})

    answer = alice.control(execution_id, "PUT", status="stop")

    assert answer.status_code == 202
    body = alice.wait_for(execution_id, {"STOPPED"}, timeout=60)
    assert body["Reason"] == "stopped by user"
    assert scheduler_state(running["JobId"], "CANCELLED") == "CANCELLED"
    again = alice.control(execution_id, "PUT", status="stop")
    assert again.status_code == 202 and "STOPPED" in again.json()["message"]


def test_restart_gives_a_new_attempt_under_the_same_id(alice: Account) -> None:
    execution_id = alice.run(document=sleep_job(0, code=2))
    first = alice.wait_for(execution_id, {"FAILED"})

    answer = alice.control(execution_id, "PUT", status="restart")

    assert answer.status_code == 202
    assert answer.json()["execution_id"] == execution_id
    second = alice.wait_for(execution_id, {"FAILED"})
    assert second["Attempt"] == 2
    assert [a["Attempt"] for a in second["Attempts"]] == [1, 2]
    assert second["JobId"] != first["JobId"]


def test_restart_is_refused_while_the_execution_runs(alice: Account) -> None:
    execution_id = alice.run(document=sleep_job(300))
    alice.wait_for(execution_id, {"RUNNING"})

    answer = alice.control(execution_id, "PUT", status="restart")

    assert answer.status_code == 409
    assert answer.headers["content-type"].startswith("application/problem+json")
    alice.control(execution_id, "PUT", status="stop")


def test_delete_cancels_the_job_and_forgets_the_execution(
    alice: Account, service: Service
) -> None:
    execution_id = alice.run(document=sleep_job(300))
    running = alice.wait_for(execution_id, {"RUNNING"})
    folder = service.execution_folder(execution_id)
    assert folder.is_dir()

    answer = alice.control(execution_id, "DELETE")

    assert answer.status_code == 200
    assert (
        alice.client.get(f"/simulations/execution/{execution_id}/").status_code == 404
    )
    deadline = time.monotonic() + 30
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not folder.exists()
    assert scheduler_state(running["JobId"], "CANCELLED") == "CANCELLED"


def test_sbatch_rejection_fails_with_the_schedulers_reason(alice: Account) -> None:
    # alice's machine allows 2 nodes; the local cluster has one.
    execution_id = alice.run(NumNodes=2, document=sleep_job(0))

    body = alice.wait_for(execution_id, {"FAILED"}, timeout=60)

    assert "sbatch refused the job" in body["Reason"]
    assert "node" in body["Reason"].lower()
    assert body["JobId"] is None


def test_another_user_can_neither_see_nor_touch_an_execution(
    alice: Account, bob: Account
) -> None:
    execution_id = alice.run(document=sleep_job(0))
    url = f"/simulations/execution/{execution_id}/"

    assert bob.client.get(url).status_code == 404
    for method, params in (("PUT", {"status": "stop"}), ("PUT", {"status": "restart"})):
        assert bob.control(execution_id, method, **params).status_code == 404
    assert bob.control(execution_id, "DELETE").status_code == 404
    assert execution_id not in [
        e["eID"] for e in bob.client.get("/simulations/").json()
    ]
    stolen = bob.client.post(
        "/simulations/",
        data={
            "MachineChoice": "local",
            "SecToken": alice.sec_token,
            "NumNodes": "1",
            "ExecTime": "1",
        },
    )
    assert stolen.status_code == 404
    assert stolen.json()["field"] == "SecToken"
    assert alice.status(execution_id)["eID"] == execution_id


def test_a_client_of_the_older_service_still_works(
    alice: Account, service: Service
) -> None:
    client = httpx.Client(
        base_url=service.base_url,
        headers={
            "Authorization": f"Token {alice.token}",
            "MachineChoice": "local",
            "SecToken": alice.sec_token,
        },
    )
    answer = client.post(
        "/simulations",
        data={
            "numNodes": "1",
            "execTime": "5",
            "branch": "stable",
            "name_sim": "legacy run",
            "checkpoint_flag": "on",
        },
        files={"document": ("wf.yaml", "workflow_type: lammps-melt\nparameters: {}\n")},
    )
    assert answer.status_code == 202, answer.text
    execution_id = answer.json()["execution_id"]

    body = alice.wait_for(execution_id, {"FINISHED"})

    assert body["Branch"] == "stable" and body["Name"] == "legacy run"
    assert body["Checkpointing"] is True
    assert body["Parameters"]["steps"] == 500  # the stable branch's default
    assert client.get(f"/simulations/execution/{execution_id}").status_code == 200
