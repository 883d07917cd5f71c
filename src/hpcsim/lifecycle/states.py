"""The execution state machine.

Each scheduler adapter holds the one table from its own job states to these
(`hpcsim.cluster.slurm.states` for Slurm). A poll never moves a final status; only
a user's restart, or an autorestart, starts a new attempt from one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ExecutionStatus(StrEnum):
    """What the API reports as `Status`."""

    INITIALIZING = "INITIALIZING"
    RUNNING = "RUNNING"
    TIME_OUT = "TIME_OUT"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    STOPPED = "STOPPED"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset(
    {
        ExecutionStatus.TIME_OUT,
        ExecutionStatus.FINISHED,
        ExecutionStatus.FAILED,
        ExecutionStatus.STOPPED,
    }
)

RESTARTABLE_STATUSES = frozenset(
    {ExecutionStatus.TIME_OUT, ExecutionStatus.FAILED, ExecutionStatus.STOPPED}
)


@dataclass(frozen=True)
class Verdict:
    """What a scheduler state means for an execution."""

    status: ExecutionStatus
    reason: str | None = None


def may_change(current: ExecutionStatus, new: ExecutionStatus) -> bool:
    """Tell whether a status may move to another one: final statuses never move."""
    return not current.is_final and current != new
