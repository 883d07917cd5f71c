"""The interface every scheduler adapter offers to the lifecycle."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from hpcsim.cluster.commands import CommandRunner
from hpcsim.lifecycle.states import Verdict


@dataclass(frozen=True)
class JobRequest:
    """A job to submit: the script and the options the service controls."""

    script_path: str
    workdir: str
    tag: str
    num_nodes: int
    time_limit: str
    output_path: str
    error_path: str
    qos: str | None = None
    account: str | None = None
    signal_lead_seconds: int | None = None
    environment: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class JobInfo:
    """What the scheduler says about one job."""

    job_id: str
    state: str
    reason: str | None = None
    exit_code: int | None = None
    name: str | None = None
    submitted_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None


class Scheduler(Protocol):
    """A batch scheduler reached through a `CommandRunner`."""

    name: str

    def verdict(self, info: JobInfo) -> Verdict | None:
        """Return what a job's state means for its execution; None if unknown."""
        ...

    def batch_header(self, request: JobRequest) -> list[str]:
        """Return the directive lines the service writes at the top of a script."""
        ...

    async def submit(self, runner: CommandRunner, request: JobRequest) -> str:
        """Submit a job and return its id; raise SubmissionRejected on refusal."""
        ...

    async def poll(
        self, runner: CommandRunner, login: str, job_ids: Iterable[str]
    ) -> dict[str, JobInfo]:
        """Return what is known of these jobs, in one batched query or two."""
        ...

    async def find_by_tag(
        self, runner: CommandRunner, login: str, tags: Iterable[str]
    ) -> dict[str, str]:
        """Return the job id of each tag that names a job the scheduler knows."""
        ...

    async def cancel(self, runner: CommandRunner, job_ids: Iterable[str]) -> None:
        """Cancel jobs; a job that already ended is not an error."""
        ...
