"""Slurm's answers captured on the dev cluster, read as the command runner gives them.

The captures in `tests/fixtures/slurm/` hold stdout and stderr only; the exit
statuses of those that did not exit 0 are listed here.
"""

from __future__ import annotations

from pathlib import Path

from hpcsim.cluster.commands import CommandResult

CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slurm"

# Checked against the Slurm 22.05.8 of `scripts/dev-cluster`: sbatch exits 255
# when it refuses an option itself and 1 when the controller refuses the job;
# sacct, squeue and scontrol exit 1 on the errors captured; scancel exits 0 for
# jobs that ended or never existed, even when -v makes it print an error.
EXIT_STATUS = {
    "sbatch_invalid_time_abc": 255,
    "sbatch_invalid_time_negative": 255,
    "sbatch_plain_invalid_time": 255,
    "sbatch_too_many_nodes": 1,
    "sbatch_plain_too_many_nodes": 1,
    "sbatch_too_many_tasks": 1,
    "sbatch_too_much_memory": 1,
    "sacct_accounting_disabled": 1,
    "scontrol_show_job_invalid_id": 1,
    "squeue_invalid_job": 1,
    "scancel_verbose_finished_job": 0,
    "scancel_verbose_nonexistent_job": 0,
}


def read_capture(name: str) -> CommandResult:
    """Return a captured answer; refuse an error capture whose status is unlisted."""
    stdout = (CAPTURES / f"{name}.stdout").read_text()
    stderr = (CAPTURES / f"{name}.stderr").read_text()
    if name not in EXIT_STATUS and stderr.strip() and not stdout.strip():
        raise LookupError(f"capture {name} printed only stderr; list its exit status")
    return CommandResult(stdout, stderr, EXIT_STATUS.get(name, 0))
