"""The shapes of answers, as the OpenAPI schema shows them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from hpcsim.cluster.slurm.timefmt import format_time_limit
from hpcsim.storage.models import Attempt, Execution, StatusChange


class Accepted(BaseModel):
    message: str
    execution_id: str


class Message(BaseModel):
    message: str


class AttemptOut(BaseModel):
    Attempt: int
    JobId: str | None
    SchedulerState: str | None
    Reason: str | None
    ExitCode: int | None
    SubmittedAt: datetime | None
    StartedAt: datetime | None
    EndedAt: datetime | None


class StatusChangeOut(BaseModel):
    At: datetime
    Attempt: int
    From: str | None
    To: str
    Reason: str | None


class ExecutionOut(BaseModel):
    """The status answer of one execution."""

    eID: str = Field(description="The execution id.")
    Name: str
    User: str = Field(description="The cluster login that submitted the job.")
    Machine: str
    NumNodes: int
    Status: str = Field(
        description="INITIALIZING, RUNNING, TIME_OUT, FINISHED, FAILED or STOPPED."
    )
    Branch: str
    Commit: str = Field(description="The templates commit this execution runs.")
    Workflow: str
    QoS: str | None
    ExecTime: str = Field(description="The time limit, as D-HH:MM:SS.")
    Checkpointing: bool
    Autorestart: bool
    MaxAttempts: int
    JobId: str | None = Field(description="The scheduler's id of the current job.")
    SchedulerState: str | None = Field(description="The state as the scheduler said.")
    Reason: str | None
    ExitCode: int | None
    Attempt: int
    SubmittedAt: datetime | None
    StartedAt: datetime | None
    EndedAt: datetime | None
    CreatedAt: datetime
    UpdatedAt: datetime | None = Field(
        description="When the service last heard from the scheduler about it."
    )
    Parameters: dict[str, object]
    Attempts: list[AttemptOut]
    History: list[StatusChangeOut] = Field(
        default_factory=list,
        description="Every status change, with its time and reason; in the "
        "status answer only.",
    )


def attempt_out(attempt: Attempt) -> AttemptOut:
    return AttemptOut(
        Attempt=attempt.number,
        JobId=attempt.job_id,
        SchedulerState=attempt.scheduler_state,
        Reason=attempt.reason,
        ExitCode=attempt.exit_code,
        SubmittedAt=attempt.submitted_at,
        StartedAt=attempt.started_at,
        EndedAt=attempt.ended_at,
    )


def execution_out(
    execution: Execution, history: Sequence[StatusChange] = ()
) -> ExecutionOut:
    current = execution.current
    return ExecutionOut(
        eID=execution.id,
        Name=execution.name,
        User=execution.machine.login,
        Machine=execution.machine.name,
        NumNodes=execution.num_nodes,
        Status=execution.status,
        Branch=execution.branch,
        Commit=execution.commit,
        Workflow=execution.workflow,
        QoS=execution.qos,
        ExecTime=format_time_limit(execution.time_limit_seconds),
        Checkpointing=execution.checkpointing,
        Autorestart=execution.autorestart,
        MaxAttempts=execution.max_attempts,
        JobId=current.job_id if current else None,
        SchedulerState=current.scheduler_state if current else None,
        Reason=execution.reason,
        ExitCode=current.exit_code if current else None,
        Attempt=execution.attempt,
        SubmittedAt=current.submitted_at if current else None,
        StartedAt=current.started_at if current else None,
        EndedAt=current.ended_at if current else None,
        CreatedAt=execution.created_at,
        UpdatedAt=execution.updated_at,
        Parameters=execution.parameters,
        Attempts=[attempt_out(attempt) for attempt in execution.attempts],
        History=[
            StatusChangeOut(
                At=change.at,
                Attempt=change.attempt,
                From=change.from_status,
                To=change.to_status,
                Reason=change.reason,
            )
            for change in history
        ],
    )
