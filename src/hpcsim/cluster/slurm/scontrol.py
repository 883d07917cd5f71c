"""`scontrol show job`: ended jobs where accounting is off."""

from __future__ import annotations

import re

from hpcsim.cluster.commands import CommandResult
from hpcsim.cluster.scheduler import JobInfo
from hpcsim.cluster.slurm.errors import check_result
from hpcsim.cluster.slurm.timefmt import EPOCH_ENV, parse_timestamp

# A new `Key=` starts where a space is followed by a word and `=`; values such as
# `Reason=...` or `Command=...` may themselves hold spaces.
_FIELD_START = re.compile(r" (?=[A-Za-z][A-Za-z0-9_:/]*=)")


def build_argv() -> list[str]:
    """Return the argv listing every job the controller still holds, one per line.

    TODO: this lists all users' jobs, which is heavy on a large cluster; it is
    only asked where accounting is off, which large clusters rarely are.
    """
    return [*EPOCH_ENV, "scontrol", "--oneliner", "show", "job"]


def parse_fields(line: str) -> dict[str, str]:
    """Return the `Key=Value` pairs of one line of `scontrol --oneliner`."""
    fields: dict[str, str] = {}
    for token in _FIELD_START.split(line.strip()):
        key, sep, value = token.partition("=")
        if sep:
            fields[key] = value
    return fields


def parse(result: CommandResult) -> dict[str, JobInfo]:
    """Return the jobs of an answer by id."""
    check_result(result, "scontrol")
    jobs: dict[str, JobInfo] = {}
    for line in result.stdout.splitlines():
        fields = parse_fields(line)
        job_id = fields.get("JobId")
        if not job_id or "JobState" not in fields:
            continue
        reason = fields.get("Reason")
        jobs[job_id] = JobInfo(
            job_id=job_id,
            state=fields["JobState"],
            reason=None if reason in {None, "None"} else reason,
            exit_code=parse_exit_code(fields.get("ExitCode")),
            name=fields.get("JobName"),
            submitted_at=parse_timestamp(fields.get("SubmitTime")),
            started_at=parse_timestamp(fields.get("StartTime")),
            ended_at=parse_timestamp(fields.get("EndTime")),
        )
    return jobs


def parse_exit_code(text: str | None) -> int | None:
    """Return the exit code of Slurm's `code:signal` form; a signal gives 128+N."""
    if not text or ":" not in text:
        return None
    code, _, signal = text.partition(":")
    if not code.isdigit() or not signal.isdigit():
        return None
    if int(signal):
        return 128 + int(signal)
    return int(code)
