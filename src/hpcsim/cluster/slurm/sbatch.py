"""`sbatch`: submit a batch script and read the job id from what it prints."""

from __future__ import annotations

import re

from hpcsim.cluster.commands import CommandResult
from hpcsim.cluster.scheduler import JobRequest
from hpcsim.cluster.slurm.errors import error_lines, is_unavailable
from hpcsim.errors import SchedulerUnavailable, SubmissionRejected

_PARSABLE = re.compile(r"^(\d+)(?:;\S+)?$")
_PLAIN = re.compile(r"^Submitted batch job (\d+)(?: on cluster \S+)?$")


def header_lines(request: JobRequest) -> list[str]:
    """Return the `#SBATCH` lines for a request; values were validated upstream."""
    # TODO: tasks per node are Slurm's default (one); a field for them would let
    # MPI workflows use every core of their nodes.
    lines = [
        f"#SBATCH --nodes={request.num_nodes}",
        f"#SBATCH --time={request.time_limit}",
        f"#SBATCH --chdir={request.workdir}",
        f"#SBATCH --output={request.output_path}",
        f"#SBATCH --error={request.error_path}",
    ]
    if request.qos:
        lines.append(f"#SBATCH --qos={request.qos}")
    if request.account:
        lines.append(f"#SBATCH --account={request.account}")
    if request.signal_lead_seconds:
        lines.append(f"#SBATCH --signal=B:USR1@{request.signal_lead_seconds}")
    return lines


def build_argv(request: JobRequest) -> list[str]:
    """Return the argv that submits a request's script.

    The job name is the attempt's tag, given here rather than in the script's
    header because each attempt of the same script has its own.
    """
    exports = ",".join(f"{key}={value}" for key, value in request.environment.items())
    argv = ["sbatch", "--parsable", f"--job-name={request.tag}"]
    if exports:
        argv.append(f"--export=ALL,{exports}")
    argv.append(request.script_path)
    return argv


def parse_job_id(result: CommandResult) -> str:
    """Return the job id sbatch printed, in any of its forms."""
    if not result.ok:
        message = error_lines(result.stderr or result.stdout)
        if is_unavailable(result.stderr):
            raise SchedulerUnavailable(f"sbatch could not reach Slurm: {message}")
        raise SubmissionRejected(f"sbatch refused the job: {message}")

    for line in reversed(result.stdout.splitlines()):
        text = line.strip()
        match = _PARSABLE.match(text) or _PLAIN.match(text)
        if match:
            return match.group(1)
    raise SubmissionRejected(
        f"sbatch printed no job id: {result.stdout.strip()[:200]!r}"
    )
