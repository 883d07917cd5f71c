"""Recognise what Slurm's error messages mean."""

from __future__ import annotations

from hpcsim.cluster.commands import CommandResult
from hpcsim.errors import CommandFailed, SchedulerUnavailable

# Messages of a controller that is down or busy: asking again later may work.
_UNAVAILABLE = (
    "unable to contact slurm controller",
    "socket timed out",
    "slurm temporarily unable",
    "zero bytes were transmitted",
    "connection refused",
    "slurmctld is not responding",
    "communication connection failure",
    "unable to establish controller machine",
)


def is_unavailable(stderr: str) -> bool:
    """Tell whether an error says the controller could not be reached."""
    text = stderr.lower()
    return any(marker in text for marker in _UNAVAILABLE)


def check_result(result: CommandResult, command: str) -> None:
    """Raise the error a failed Slurm command means; do nothing when it succeeded."""
    if result.ok:
        return
    message = error_lines(result.stderr)
    if is_unavailable(result.stderr):
        raise SchedulerUnavailable(f"{command} could not reach Slurm: {message}")
    raise CommandFailed(
        f"{command} failed: {message}",
        exit_status=result.exit_status,
        stderr=result.stderr,
    )


def error_lines(stderr: str) -> str:
    """Return the `error:` lines of stderr, or all of it, as one short message."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    text = "; ".join(errors or lines)
    return text[:500] if text else "no message"
