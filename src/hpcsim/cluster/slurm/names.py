"""Jobs found by name, as `id|name` lines from squeue or sacct."""

from __future__ import annotations


def newest_job_by_name(stdout: str) -> dict[str, str]:
    """Return job ids by job name; the newest job wins for a repeated name."""
    found: dict[str, str] = {}
    for line in stdout.splitlines():
        job_id, _, name = line.strip().partition("|")
        if job_id.isdigit() and name:
            previous = found.get(name)
            if previous is None or int(job_id) > int(previous):
                found[name] = job_id
    return found
