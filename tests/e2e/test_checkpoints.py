"""Autorestart and checkpoints with real time limits and a real LAMMPS run.

Slurm's smallest time limit is one minute, so this takes several minutes: each
attempt gets USR1 twenty seconds before its limit, writes a checkpoint and is
ended by Slurm at the limit; the worker resubmits it until it has done all steps.
"""

from __future__ import annotations

import re

from tests.e2e.conftest import Service, make_account

STEPS = 60000


def test_autorestart_continues_lammps_melt_to_its_total_steps(service: Service) -> None:
    account = make_account(service, "longrun", checkpoint_lead=20)
    description = (
        "workflow_type: lammps-melt\n"
        f"parameters:\n  steps: {STEPS}\n  restart_every: 2000\n"
    )
    execution_id = account.run(
        ExecTime="1", Autorestart="true", MaxAttempts="12", document=description
    )

    body = account.wait_for(execution_id, {"FINISHED"}, timeout=1500)

    attempts = body["Attempts"]
    assert body["Checkpointing"] is True and len(attempts) >= 2
    assert all(a["SchedulerState"] == "TIMEOUT" for a in attempts[:-1])
    assert attempts[-1]["SchedulerState"] == "COMPLETED"
    assert len({a["JobId"] for a in attempts}) == len(attempts)
    folder = service.execution_folder(execution_id)
    final_log = (folder / "log.lammps").read_text()
    assert f"run reached step {STEPS} of {STEPS}" in final_log
    second_out = (folder / f"slurm-{attempts[1]['JobId']}.out").read_text()
    assert "continues from" in second_out
    first_step = re.search(r"^\s+(\d+)\s+[-0-9.]", final_log, re.MULTILINE)
    assert first_step is not None and int(first_step.group(1)) > 0
