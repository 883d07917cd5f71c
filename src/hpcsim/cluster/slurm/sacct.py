"""`sacct`: ended jobs from the accounting database, allocations only."""

from __future__ import annotations

from hpcsim.cluster.commands import CommandResult
from hpcsim.cluster.scheduler import JobInfo
from hpcsim.cluster.slurm.errors import check_result, error_lines
from hpcsim.cluster.slurm.names import newest_job_by_name
from hpcsim.cluster.slurm.scontrol import parse_exit_code
from hpcsim.cluster.slurm.timefmt import EPOCH_ENV, parse_timestamp
from hpcsim.errors import CommandFailed

FORMAT = "JobIDRaw,JobName,State,ExitCode,Submit,Start,End"


class AccountingDisabled(CommandFailed):
    """The cluster keeps no accounting; ask the controller instead."""


def build_argv(job_ids: list[str]) -> list[str]:
    """Return the argv asking for the allocation record of each job."""
    return [
        *EPOCH_ENV,
        "sacct",
        "--noheader",
        "--parsable2",
        "--allocations",
        f"--jobs={','.join(job_ids)}",
        f"--format={FORMAT}",
    ]


def build_tag_argv(tags: list[str]) -> list[str]:
    """Return the argv finding the jobs of these names in the last week."""
    return [
        "sacct",
        "--noheader",
        "--parsable2",
        "--allocations",
        "--starttime=now-7days",
        f"--name={','.join(tags)}",
        "--format=JobIDRaw,JobName",
    ]


def parse_tags(result: CommandResult) -> dict[str, str]:
    """Return job ids by job name; the newest job wins for a repeated name."""
    _check(result)
    return newest_job_by_name(result.stdout)


def parse(result: CommandResult) -> dict[str, JobInfo]:
    """Return the allocation records of an answer by job id."""
    _check(result)
    jobs: dict[str, JobInfo] = {}
    for line in result.stdout.splitlines():
        parts = line.strip().split("|")
        if len(parts) != 7 or "." in parts[0]:
            continue  # a step's record, never the allocation's
        job_id, name, state, exit_code, submitted, started, ended = parts
        jobs[job_id] = JobInfo(
            job_id=job_id,
            state=state,
            exit_code=parse_exit_code(exit_code),
            name=name,
            submitted_at=parse_timestamp(submitted),
            started_at=parse_timestamp(started),
            ended_at=parse_timestamp(ended),
        )
    return jobs


def _check(result: CommandResult) -> None:
    if not result.ok and "accounting storage is disabled" in result.stderr.lower():
        raise AccountingDisabled(
            error_lines(result.stderr),
            exit_status=result.exit_status,
            stderr=result.stderr,
        )
    check_result(result, "sacct")
