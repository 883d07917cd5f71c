"""The one table from Slurm's job states to execution statuses."""

from __future__ import annotations

from hpcsim.lifecycle.states import ExecutionStatus, Verdict

# Every job state that Slurm documents for squeue and sacct (22.05 and later).
# A state that ends the job maps to a final status; COMPLETED is decided by the
# exit code in `status_for_job`.
SLURM_STATES: dict[str, ExecutionStatus] = {
    "PENDING": ExecutionStatus.INITIALIZING,
    "CONFIGURING": ExecutionStatus.INITIALIZING,
    "REQUEUED": ExecutionStatus.INITIALIZING,
    "REQUEUE_HOLD": ExecutionStatus.INITIALIZING,
    "REQUEUE_FED": ExecutionStatus.INITIALIZING,
    "RESV_DEL_HOLD": ExecutionStatus.INITIALIZING,
    "RUNNING": ExecutionStatus.RUNNING,
    "COMPLETING": ExecutionStatus.RUNNING,
    "SUSPENDED": ExecutionStatus.RUNNING,
    "STOPPED": ExecutionStatus.RUNNING,
    "SIGNALING": ExecutionStatus.RUNNING,
    "STAGE_OUT": ExecutionStatus.RUNNING,
    "RESIZING": ExecutionStatus.RUNNING,
    "COMPLETED": ExecutionStatus.FINISHED,
    "TIMEOUT": ExecutionStatus.TIME_OUT,
    "CANCELLED": ExecutionStatus.STOPPED,
    "FAILED": ExecutionStatus.FAILED,
    "NODE_FAIL": ExecutionStatus.FAILED,
    "OUT_OF_MEMORY": ExecutionStatus.FAILED,
    "BOOT_FAIL": ExecutionStatus.FAILED,
    "DEADLINE": ExecutionStatus.FAILED,
    "PREEMPTED": ExecutionStatus.FAILED,
    "REVOKED": ExecutionStatus.FAILED,
    "SPECIAL_EXIT": ExecutionStatus.FAILED,
}

# Slurm's short codes, as `squeue --format=%t` prints them.
SLURM_SHORT_STATES = {
    "PD": "PENDING",
    "CF": "CONFIGURING",
    "RQ": "REQUEUED",
    "RH": "REQUEUE_HOLD",
    "RF": "REQUEUE_FED",
    "RD": "RESV_DEL_HOLD",
    "R": "RUNNING",
    "CG": "COMPLETING",
    "S": "SUSPENDED",
    "ST": "STOPPED",
    "SI": "SIGNALING",
    "SO": "STAGE_OUT",
    "RS": "RESIZING",
    "CD": "COMPLETED",
    "TO": "TIMEOUT",
    "CA": "CANCELLED",
    "F": "FAILED",
    "NF": "NODE_FAIL",
    "OOM": "OUT_OF_MEMORY",
    "BF": "BOOT_FAIL",
    "DL": "DEADLINE",
    "PR": "PREEMPTED",
    "RV": "REVOKED",
    "SE": "SPECIAL_EXIT",
}

REASONS = {
    "TIMEOUT": "the scheduler ended the job at its time limit",
    "NODE_FAIL": "a node of the job failed",
    "OUT_OF_MEMORY": "the job ran out of memory",
    "BOOT_FAIL": "a node of the job failed to boot",
    "DEADLINE": "the job reached its deadline before it could finish",
    "PREEMPTED": "the job was preempted",
    "REVOKED": "the job was revoked by the federation",
    "SPECIAL_EXIT": "the job ended in Slurm's special-exit state",
}


def base_state(raw: str) -> str:
    """Return the bare state of a raw one: `CANCELLED by 1000` gives `CANCELLED`."""
    word = raw.strip().split(" ", 1)[0].rstrip("+").upper()
    return SLURM_SHORT_STATES.get(word, word)


def status_for_job(raw_state: str, exit_code: int | None) -> Verdict | None:
    """Map a scheduler state to a status; None when the state is unknown."""
    state = base_state(raw_state)
    status = SLURM_STATES.get(state)
    if status is None:
        return None

    if state == "COMPLETED" and exit_code not in (None, 0):
        return Verdict(ExecutionStatus.FAILED, f"the job exited with code {exit_code}")
    if state == "FAILED":
        code = "" if exit_code is None else f" with code {exit_code}"
        return Verdict(ExecutionStatus.FAILED, f"the job failed{code}")
    if state == "CANCELLED":
        by = raw_state.strip().split(" ", 1)[1:]
        return Verdict(ExecutionStatus.STOPPED, " ".join(["cancelled", *by]))
    return Verdict(status, REASONS.get(state))
