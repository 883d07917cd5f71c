"""Slurm behind the `Scheduler` interface."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from hpcsim.cluster.commands import CommandRunner
from hpcsim.cluster.scheduler import JobInfo, JobRequest
from hpcsim.cluster.slurm import sacct, sbatch, scancel, scontrol, squeue
from hpcsim.cluster.slurm.states import status_for_job
from hpcsim.lifecycle.states import Verdict

logger = logging.getLogger(__name__)


class SlurmScheduler:
    """Submits, tracks and cancels Slurm jobs through a command runner.

    Tracking asks `squeue` for the live jobs of a login, then asks `sacct` (or
    `scontrol show job` where accounting is off) once for all jobs that left the
    queue. A login whose cluster says accounting is disabled is remembered.
    """

    name = "slurm"

    def __init__(self) -> None:
        self._no_accounting: set[str] = set()

    def verdict(self, info: JobInfo) -> Verdict | None:
        return status_for_job(info.state, info.exit_code)

    def batch_header(self, request: JobRequest) -> list[str]:
        return sbatch.header_lines(request)

    async def submit(self, runner: CommandRunner, request: JobRequest) -> str:
        result = await runner.run(sbatch.build_argv(request))
        job_id = sbatch.parse_job_id(result)
        logger.debug("job %s: sbatch said %r", job_id, result.stdout.strip())
        return job_id

    async def poll(
        self, runner: CommandRunner, login: str, job_ids: Iterable[str]
    ) -> dict[str, JobInfo]:
        wanted = set(job_ids)
        live = squeue.parse(await runner.run(squeue.build_argv(login)))
        found = {
            job_id: info
            for job_id, info in live.items()
            if job_id in wanted and not _has_ended(info)
        }

        gone = sorted(wanted - found.keys(), key=_job_order)
        if gone:
            found.update(await self._ended(runner, login, gone))
        return found

    async def _ended(
        self, runner: CommandRunner, login: str, job_ids: list[str]
    ) -> dict[str, JobInfo]:
        if login not in self._no_accounting:
            try:
                return sacct.parse(await runner.run(sacct.build_argv(job_ids)))
            except sacct.AccountingDisabled:
                logger.info("login %s: accounting is off, using scontrol", login)
                self._no_accounting.add(login)

        jobs = scontrol.parse(await runner.run(scontrol.build_argv()))
        return {job_id: jobs[job_id] for job_id in job_ids if job_id in jobs}

    async def find_by_tag(
        self, runner: CommandRunner, login: str, tags: Iterable[str]
    ) -> dict[str, str]:
        wanted = sorted(set(tags))
        if not wanted:
            return {}
        found = squeue.parse_tags(await runner.run(squeue.build_tag_argv(wanted)))
        missing = [tag for tag in wanted if tag not in found]
        if missing and login not in self._no_accounting:
            found.update(await self._tags_in_accounting(runner, login, missing))
        return {tag: job_id for tag, job_id in found.items() if tag in wanted}

    async def _tags_in_accounting(
        self, runner: CommandRunner, login: str, tags: list[str]
    ) -> dict[str, str]:
        # slurmctld forgets ended jobs after MinJobAge; accounting remembers them.
        try:
            return sacct.parse_tags(await runner.run(sacct.build_tag_argv(tags)))
        except sacct.AccountingDisabled:
            logger.info("login %s: accounting is off, using scontrol", login)
            self._no_accounting.add(login)
            return {}

    async def cancel(self, runner: CommandRunner, job_ids: Iterable[str]) -> None:
        ids = sorted(set(job_ids), key=_job_order)
        if ids:
            scancel.check(await runner.run(scancel.build_argv(ids)))


def _job_order(job_id: str) -> tuple[int, str]:
    head = job_id.split("_", 1)[0]
    return (int(head) if head.isdigit() else 0, job_id)


def _has_ended(info: JobInfo) -> bool:
    # squeue knows no exit code: an ended job is read from sacct or scontrol.
    verdict = status_for_job(info.state, None)
    return verdict is not None and verdict.status.is_final
