"""What each Slurm job state means for an execution, and which statuses are final."""

from __future__ import annotations

import itertools

import pytest
from slurm_captures import read_capture

from hpcsim.cluster.slurm import scontrol
from hpcsim.cluster.slurm.states import base_state, status_for_job
from hpcsim.lifecycle.states import FINAL_STATUSES, ExecutionStatus, may_change

S = ExecutionStatus

# The "JOB STATE CODES" of squeue(1), Slurm 22.05, with the status each one means
# for the user: waiting, running (still holding nodes), or ended and how.
DOCUMENTED = [
    ("BF", "BOOT_FAIL", S.FAILED),
    ("CA", "CANCELLED", S.STOPPED),
    ("CD", "COMPLETED", S.FINISHED),
    ("CF", "CONFIGURING", S.INITIALIZING),
    ("CG", "COMPLETING", S.RUNNING),
    ("DL", "DEADLINE", S.FAILED),
    ("F", "FAILED", S.FAILED),
    ("NF", "NODE_FAIL", S.FAILED),
    ("OOM", "OUT_OF_MEMORY", S.FAILED),
    ("PD", "PENDING", S.INITIALIZING),
    ("PR", "PREEMPTED", S.FAILED),
    ("R", "RUNNING", S.RUNNING),
    ("RD", "RESV_DEL_HOLD", S.INITIALIZING),
    ("RF", "REQUEUE_FED", S.INITIALIZING),
    ("RH", "REQUEUE_HOLD", S.INITIALIZING),
    ("RQ", "REQUEUED", S.INITIALIZING),
    ("RS", "RESIZING", S.RUNNING),
    ("RV", "REVOKED", S.FAILED),
    ("SI", "SIGNALING", S.RUNNING),
    ("SE", "SPECIAL_EXIT", S.FAILED),
    ("SO", "STAGE_OUT", S.RUNNING),
    ("ST", "STOPPED", S.RUNNING),
    ("S", "SUSPENDED", S.RUNNING),
    ("TO", "TIMEOUT", S.TIME_OUT),
]


@pytest.mark.parametrize(("code", "state", "status"), DOCUMENTED)
def test_every_documented_slurm_state_gives_its_status(
    code: str, state: str, status: ExecutionStatus
) -> None:
    verdict = status_for_job(state, 0)

    assert verdict is not None
    assert verdict.status is status


@pytest.mark.parametrize(("code", "state", "status"), DOCUMENTED)
def test_short_state_codes_mean_the_same_as_the_long_names(
    code: str, state: str, status: ExecutionStatus
) -> None:
    short, long = status_for_job(code, 0), status_for_job(state, 0)

    assert base_state(code) == state
    assert short is not None
    assert long is not None
    assert short.status is long.status


@pytest.mark.parametrize(
    "state",
    ["BOOT_FAIL", "DEADLINE", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "TIMEOUT"],
)
def test_jobs_ended_by_the_cluster_say_why(state: str) -> None:
    verdict = status_for_job(state, None)

    assert verdict is not None
    assert verdict.reason


def test_failed_reasons_tell_the_causes_apart() -> None:
    states = ["BOOT_FAIL", "DEADLINE", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED"]

    verdicts = [status_for_job(state, None) for state in states]

    reasons = {verdict.reason for verdict in verdicts if verdict is not None}

    assert len(reasons) == len(states)


def test_cancelled_by_a_user_is_stopped_and_says_by_whom() -> None:
    verdict = status_for_job("CANCELLED by 1000", 0)

    assert verdict is not None
    assert verdict.status is S.STOPPED
    assert verdict.reason is not None
    assert "1000" in verdict.reason


@pytest.mark.parametrize("exit_code", [0, None])
def test_completed_with_exit_zero_is_finished(exit_code: int | None) -> None:
    verdict = status_for_job("COMPLETED", exit_code)

    assert verdict is not None
    assert verdict.status is S.FINISHED


@pytest.mark.parametrize("exit_code", [1, 2, 143])
def test_completed_with_a_nonzero_exit_is_failed_and_gives_the_code(
    exit_code: int,
) -> None:
    verdict = status_for_job("COMPLETED", exit_code)

    assert verdict is not None
    assert verdict.status is S.FAILED
    assert str(exit_code) in (verdict.reason or "")


def test_failed_job_gives_its_exit_code_as_the_reason() -> None:
    verdict = status_for_job("FAILED", 3)

    assert verdict is not None
    assert verdict.status is S.FAILED
    assert "3" in (verdict.reason or "")


@pytest.mark.parametrize(
    "raw", ["CANCELLED+", "CA+", "cancelled by 1000", "  CANCELLED by 0  ", "CA"]
)
def test_state_spellings_slurm_prints_are_understood(raw: str) -> None:
    verdict = status_for_job(raw, None)

    assert verdict is not None
    assert verdict.status is S.STOPPED


@pytest.mark.parametrize("raw", ["CA", "CANCELLED+"])
def test_cancelled_reason_reads_the_same_whatever_the_spelling(raw: str) -> None:
    verdict = status_for_job(raw, None)

    assert verdict == status_for_job("CANCELLED", None)


@pytest.mark.parametrize("raw", ["COMPLETED+", "CD", "cd", " COMPLETED "])
def test_completed_spellings_are_finished(raw: str) -> None:
    verdict = status_for_job(raw, 0)

    assert verdict is not None
    assert verdict.status is S.FINISHED


@pytest.mark.parametrize("raw", ["", "UNKNOWN", "XX", "LAUNCHED", "DONE", "+"])
def test_unknown_states_give_no_status(raw: str) -> None:
    assert status_for_job(raw, 0) is None


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("scontrol_show_job_completed", S.FINISHED),
        ("scontrol_show_job_failed", S.FAILED),
        ("scontrol_show_job_cancelled_while_running", S.STOPPED),
        ("scontrol_show_job_timeout", S.TIME_OUT),
        ("scontrol_show_job_running", S.RUNNING),
        ("scontrol_show_job_pending_begin", S.INITIALIZING),
        ("scontrol_show_job_pending_held", S.INITIALIZING),
        ("scontrol_show_job_partition_node_limit", S.INITIALIZING),
        ("scontrol_show_job_rejected_memory", S.FAILED),
    ],
)
def test_captured_jobs_end_in_the_status_a_user_expects(
    name: str, status: ExecutionStatus
) -> None:
    (job,) = scontrol.parse(read_capture(name)).values()

    verdict = status_for_job(job.state, job.exit_code)

    assert verdict is not None
    assert verdict.status is status


def test_the_final_statuses_are_the_ended_ones() -> None:
    assert FINAL_STATUSES == {S.TIME_OUT, S.FINISHED, S.FAILED, S.STOPPED}
    assert all(status.is_final for status in FINAL_STATUSES)
    assert not S.INITIALIZING.is_final
    assert not S.RUNNING.is_final


@pytest.mark.parametrize(
    ("current", "new"), list(itertools.product(sorted(FINAL_STATUSES), S))
)
def test_final_statuses_never_change(
    current: ExecutionStatus, new: ExecutionStatus
) -> None:
    assert not may_change(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [(c, n) for c in (S.INITIALIZING, S.RUNNING) for n in S if n is not c],
)
def test_waiting_and_running_executions_may_move_on(
    current: ExecutionStatus, new: ExecutionStatus
) -> None:
    assert may_change(current, new)


@pytest.mark.parametrize("status", list(S))
def test_a_status_does_not_change_into_itself(status: ExecutionStatus) -> None:
    assert not may_change(status, status)
