"""`scancel`: cancel jobs; one that already ended is not an error."""

from __future__ import annotations

from hpcsim.cluster.commands import CommandResult
from hpcsim.cluster.slurm.errors import check_result

_ALREADY_GONE = (
    "already completing or completed",
    "invalid job id specified",
    "job has already finished",
)


def build_argv(job_ids: list[str]) -> list[str]:
    """Return the argv cancelling these jobs."""
    return ["scancel", *job_ids]


def check(result: CommandResult) -> None:
    """Raise unless every job was cancelled or had already ended."""
    if result.ok:
        return
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    if errors and all(_is_gone(line) for line in errors):
        return
    check_result(result, "scancel")


def _is_gone(line: str) -> bool:
    text = line.lower()
    return any(marker in text for marker in _ALREADY_GONE)
