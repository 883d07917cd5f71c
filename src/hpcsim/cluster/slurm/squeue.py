"""`squeue`: the live jobs of one login, in one query."""

from __future__ import annotations

from hpcsim.cluster.commands import CommandResult
from hpcsim.cluster.scheduler import JobInfo
from hpcsim.cluster.slurm.errors import check_result
from hpcsim.cluster.slurm.names import newest_job_by_name
from hpcsim.cluster.slurm.timefmt import EPOCH_ENV, parse_timestamp

FIELDS = "%i|%T|%r|%V|%S|%e|%j"


def build_argv(login: str) -> list[str]:
    """Return the argv listing every live job of a login."""
    return [*EPOCH_ENV, "squeue", "--noheader", f"--user={login}", f"--format={FIELDS}"]


def build_tag_argv(tags: list[str]) -> list[str]:
    """Return the argv looking jobs up by name, whatever their state.

    squeue knows only the jobs slurmctld still holds (MinJobAge, 300 s by
    default); the adapter asks sacct for the names it does not find. Where
    accounting is off, a job that ended and was purged while the service was down
    is not found, and its attempt is submitted again.
    """
    return [
        "squeue",
        "--noheader",
        "--states=all",
        f"--name={','.join(tags)}",
        "--format=%i|%j",
    ]


def parse(result: CommandResult) -> dict[str, JobInfo]:
    """Return the jobs of an squeue answer by id."""
    check_result(result, "squeue")
    jobs: dict[str, JobInfo] = {}
    for line in result.stdout.splitlines():
        parts = line.strip().split("|", 6)
        if len(parts) != 7:
            continue
        job_id, state, reason, submitted, started, ended, name = parts
        jobs[job_id] = JobInfo(
            job_id=job_id,
            state=state,
            reason=None if reason in {"None", ""} else reason,
            name=name,
            submitted_at=parse_timestamp(submitted),
            started_at=parse_timestamp(started),
            ended_at=parse_timestamp(ended),
        )
    return jobs


def parse_tags(result: CommandResult) -> dict[str, str]:
    """Return job ids by job name; the newest job wins for a repeated name."""
    check_result(result, "squeue")
    return newest_job_by_name(result.stdout)
