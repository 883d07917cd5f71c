"""The background worker: submits, tracks, cancels and cleans up, from the database.

Everything the worker must do is read from the database each cycle, so a restart
loses nothing. An attempt is marked SUBMITTING before sbatch runs; an attempt found
in that phase is first looked up by its tag (the job name), and only submitted
again when the scheduler does not know it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hpcsim.accounts import key_context
from hpcsim.cluster.commands import CommandRunner
from hpcsim.cluster.scheduler import JobInfo, JobRequest, Scheduler
from hpcsim.cluster.ssh_pool import Endpoint, SshPool
from hpcsim.cluster.staging import prepare_folder, remove_folder, stage_templates
from hpcsim.errors import ClusterError, HpcsimError, SubmissionRejected
from hpcsim.lifecycle import executions as service
from hpcsim.lifecycle.lease import Lease
from hpcsim.lifecycle.schedulers import scheduler_for
from hpcsim.lifecycle.states import ExecutionStatus
from hpcsim.security.ssh_keys import KeyCipher
from hpcsim.storage import repositories as repo
from hpcsim.storage.db import transaction
from hpcsim.storage.models import (
    Attempt,
    AttemptPhase,
    Execution,
    SshKey,
    StagedTemplate,
    utcnow,
)
from hpcsim.workflows.repository import TemplateRepository

logger = logging.getLogger(__name__)

RECENT_SUBMISSION_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 300.0


@dataclass(frozen=True)
class WorkerConfig:
    poll_interval: float
    fast_poll_interval: float
    vanished_polls: int
    submit_timeout: float
    crash_test_pause: float = 0.0


class Incidents:
    """Logs each cluster's trouble once when it starts and once when it ends."""

    def __init__(self, base_delay: float) -> None:
        self._base_delay = base_delay
        self._failures: dict[str, int] = {}
        self._retry_at: dict[str, float] = {}

    def ready(self, label: str) -> bool:
        return time.monotonic() >= self._retry_at.get(label, 0.0)

    def failed(self, label: str, error: HpcsimError) -> None:
        count = self._failures.get(label, 0) + 1
        self._failures[label] = count
        delay = min(MAX_BACKOFF_SECONDS, self._base_delay * 2 ** (count - 1))
        self._retry_at[label] = time.monotonic() + delay
        if count == 1:
            logger.warning("cluster %s: unavailable: %s", label, error.message)

    def succeeded(self, label: str) -> None:
        if self._failures.pop(label, 0):
            logger.info("cluster %s: available again", label)
        self._retry_at.pop(label, None)


class Worker:
    """Runs the cycles of background work until it is cancelled."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        pool: SshPool,
        templates: TemplateRepository,
        cipher: KeyCipher,
        config: WorkerConfig,
        lease: Lease | None = None,
    ) -> None:
        self._sessions = sessions
        self._lease = lease
        self._pool = pool
        self._templates = templates
        self._cipher = cipher
        self._config = config
        self._wake = asyncio.Event()
        self._incidents = Incidents(config.fast_poll_interval)
        self._cancelled: set[int] = set()
        self._last_submission = 0.0

    def wake(self) -> None:
        """Start the next cycle now, for example after a new submission."""
        self._wake.set()

    async def run(self) -> None:
        """Cycle forever; each cycle's failures are logged and the next one runs."""
        logger.info("worker: started")
        try:
            while True:
                try:
                    if self._lease is None or await self._lease.acquire():
                        await self.cycle()
                except Exception:
                    logger.exception("worker: a cycle failed")
                await self._sleep()
        finally:
            if self._lease is not None:
                await asyncio.shield(self._lease.release())

    async def _sleep(self) -> None:
        recent = time.monotonic() - self._last_submission < RECENT_SUBMISSION_SECONDS
        interval = (
            self._config.fast_poll_interval if recent else self._config.poll_interval
        )
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=interval)
        except TimeoutError:
            pass
        self._wake.clear()

    async def cycle(self) -> None:
        """Do one round of every kind of work."""
        await self._submit_all()
        await self._cancel_stopped()
        await self._delete_requested()
        await self._poll_all()

    # Submitting

    async def _submit_all(self) -> None:
        async with self._sessions() as session:
            attempts = await repo.attempts_in_phase(
                session, [AttemptPhase.PENDING, AttemptPhase.SUBMITTING]
            )
            ids = [attempt.id for attempt in attempts]
        await asyncio.gather(*(self._submit(attempt_id) for attempt_id in ids))

    async def _submit(self, attempt_id: int) -> None:
        async with transaction(self._sessions) as session:
            attempt = await session.get(Attempt, attempt_id)
            if attempt is None or attempt.phase not in _TO_SUBMIT:
                return
            execution = attempt.execution
            if self._give_up(session, execution, attempt):
                return
            endpoint = await self._endpoint(session, execution)
            label = endpoint.label
            withdrawn = execution.stop_requested or execution.delete_requested
            plan = _SubmitPlan.of(execution, attempt)

        if not self._incidents.ready(label):
            return
        runner = self._pool.runner(endpoint)
        try:
            await self._submit_on(runner, plan, withdrawn)
        except SubmissionRejected as error:
            await self._fail_submission(attempt_id, error)
        except ClusterError as error:
            # A wrong host key or an unwritable folder will not mend by waiting;
            # but an attempt that may have a job already must first find it.
            if error.transient or plan.phase == AttemptPhase.SUBMITTING:
                self._incidents.failed(label, error)
                return
            await self._fail_submission(attempt_id, error)
        self._incidents.succeeded(label)

    def _give_up(
        self, session: AsyncSession, execution: Execution, attempt: Attempt
    ) -> bool:
        waited = (utcnow() - attempt.created_at).total_seconds()
        if (
            waited <= self._config.submit_timeout
            or attempt.phase != AttemptPhase.PENDING
        ):
            return False
        attempt.phase = AttemptPhase.ENDED
        reason = f"the cluster could not be reached for {int(waited)} s to submit"
        repo.record_status(session, execution, ExecutionStatus.FAILED, reason)
        logger.warning("execution %s: %s", execution.id, reason)
        return True

    async def _submit_on(
        self, runner: CommandRunner, plan: _SubmitPlan, withdrawn: bool
    ) -> None:
        if plan.phase == AttemptPhase.SUBMITTING:
            found = await plan.scheduler.find_by_tag(runner, plan.login, [plan.tag])
            if plan.tag in found:
                await self._record_job(plan.attempt_id, found[plan.tag], adopted=True)
                return
        if withdrawn:
            await self._withdraw(plan.attempt_id)
            return

        await self._stage(runner, plan)
        await prepare_folder(runner, plan.folder, plan.script, plan.description)
        if not await self._claim(plan.attempt_id, plan.phase):
            return
        job_id = await plan.scheduler.submit(runner, plan.request)
        if self._config.crash_test_pause:
            logger.warning("job %s: crash-test pause before recording it", job_id)
            await asyncio.sleep(self._config.crash_test_pause)
        await self._record_job(plan.attempt_id, job_id, adopted=False)

    async def _stage(self, runner: CommandRunner, plan: _SubmitPlan) -> None:
        async with self._sessions() as session:
            if await repo.is_staged(session, plan.machine_id, plan.commit):
                return
        archive = await self._templates.archive(plan.commit)
        await stage_templates(runner, plan.templates_folder, archive)
        async with transaction(self._sessions) as session:
            if not await repo.is_staged(session, plan.machine_id, plan.commit):
                session.add(
                    StagedTemplate(machine_id=plan.machine_id, commit=plan.commit)
                )
        logger.info(
            "templates %s: staged to %s", plan.commit[:12], plan.templates_folder
        )

    async def _claim(self, attempt_id: int, phase: str) -> bool:
        """Mark an attempt SUBMITTING unless another worker changed it first."""
        async with transaction(self._sessions) as session:
            result = await session.execute(
                update(Attempt)
                .where(Attempt.id == attempt_id, Attempt.phase == phase)
                .values(phase=AttemptPhase.SUBMITTING)
            )
            claimed: bool = result.rowcount == 1  # type: ignore[attr-defined]
        if not claimed:
            logger.warning(
                "attempt %s: changed by another worker; left alone", attempt_id
            )
        return claimed

    async def _record_job(self, attempt_id: int, job_id: str, *, adopted: bool) -> None:
        async with transaction(self._sessions) as session:
            attempt = await session.get(Attempt, attempt_id)
            if attempt is None:
                return
            attempt.job_id = job_id
            attempt.phase = AttemptPhase.SUBMITTED
            attempt.submitted_at = attempt.submitted_at or utcnow()
            how = "found again by its tag" if adopted else "submitted"
            logger.info(
                "execution %s: attempt %s %s as job %s",
                attempt.execution_id,
                attempt.number,
                how,
                job_id,
            )
        self._last_submission = time.monotonic()

    async def _withdraw(self, attempt_id: int) -> None:
        async with transaction(self._sessions) as session:
            attempt = await session.get(Attempt, attempt_id)
            if attempt is None:
                return
            attempt.phase = AttemptPhase.ENDED
            execution = attempt.execution
            if not ExecutionStatus(execution.status).is_final:
                repo.record_status(
                    session, execution, ExecutionStatus.STOPPED, "stopped by user"
                )

    async def _fail_submission(self, attempt_id: int, error: ClusterError) -> None:
        async with transaction(self._sessions) as session:
            attempt = await session.get(Attempt, attempt_id)
            if attempt is None:
                return
            attempt.phase = AttemptPhase.ENDED
            attempt.reason = error.message
            repo.record_status(
                session, attempt.execution, ExecutionStatus.FAILED, error.message
            )
            logger.warning("execution %s: %s", attempt.execution_id, error.message)

    async def _endpoint(self, session: AsyncSession, execution: Execution) -> Endpoint:
        key = await session.get(SshKey, execution.key_id)
        if key is None:
            raise HpcsimError(f"execution {execution.id}: its SSH key is gone")
        machine = execution.machine
        return Endpoint(
            host=machine.host,
            port=machine.port,
            login=machine.login,
            host_keys=machine.host_keys,
            private_key=self._cipher.decrypt(
                key.private_key_encrypted, key_context(key), key.kek_id
            ),
        )

    # Stopping and deleting

    async def _cancel_stopped(self) -> None:
        groups = await self._live_attempts(lambda e: e.stop_requested)
        for label, group in groups.items():
            ids = [
                item.job_id
                for item in group.items
                if item.attempt_id not in self._cancelled
            ]
            if not ids or not self._incidents.ready(label):
                continue
            try:
                await group.scheduler.cancel(self._pool.runner(group.endpoint), ids)
            except ClusterError as error:
                self._incidents.failed(label, error)
                continue
            self._cancelled.update(item.attempt_id for item in group.items)
            logger.info("cluster %s: cancelled jobs %s", label, " ".join(ids))

    async def _delete_requested(self) -> None:
        async with self._sessions() as session:
            doomed = await repo.executions_to_delete(session)
            plans = []
            for execution in doomed:
                attempt = execution.current
                if attempt is not None and attempt.phase == AttemptPhase.SUBMITTING:
                    continue  # the submit step first learns whether a job exists
                live = (
                    attempt.job_id
                    if attempt and attempt.phase == AttemptPhase.SUBMITTED
                    else None
                )
                endpoint = await self._endpoint(session, execution)
                scheduler = scheduler_for(execution.machine.scheduler)
                plans.append(
                    (execution.id, execution.folder, live, endpoint, scheduler)
                )
        for execution_id, folder, job_id, endpoint, scheduler in plans:
            await self._delete(execution_id, folder, job_id, endpoint, scheduler)

    async def _delete(
        self,
        execution_id: str,
        folder: str,
        job_id: str | None,
        endpoint: Endpoint,
        scheduler: Scheduler,
    ) -> None:
        if not self._incidents.ready(endpoint.label):
            return
        runner = self._pool.runner(endpoint)
        try:
            if job_id:
                await scheduler.cancel(runner, [job_id])
            await remove_folder(runner, folder, execution_id)
        except ClusterError as error:
            self._incidents.failed(endpoint.label, error)
            return
        async with transaction(self._sessions) as session:
            execution = await session.get(Execution, execution_id)
            if execution is not None:
                await session.delete(execution)
        logger.info("execution %s: deleted", execution_id)

    # Tracking

    async def _poll_all(self) -> None:
        groups = await self._live_attempts(lambda e: True)
        await asyncio.gather(
            *(self._poll(label, group) for label, group in groups.items())
        )

    async def _poll(self, label: str, group: _LoginGroup) -> None:
        if not self._incidents.ready(label):
            return
        runner = self._pool.runner(group.endpoint)
        job_ids = [item.job_id for item in group.items]
        try:
            jobs = await group.scheduler.poll(runner, group.endpoint.login, job_ids)
        except ClusterError as error:
            self._incidents.failed(label, error)
            return
        self._incidents.succeeded(label)
        async with transaction(self._sessions) as session:
            for item in group.items:
                await self._apply(
                    session, item.attempt_id, jobs.get(item.job_id), group.scheduler
                )

    async def _apply(
        self,
        session: AsyncSession,
        attempt_id: int,
        info: JobInfo | None,
        scheduler: Scheduler,
    ) -> None:
        attempt = await session.get(Attempt, attempt_id)
        if attempt is None or attempt.phase != AttemptPhase.SUBMITTED:
            return
        execution = attempt.execution
        if info is None:
            self._missed(session, execution, attempt)
            return

        _note(attempt, info)
        execution.updated_at = utcnow()
        verdict = scheduler.verdict(info)
        if verdict is None:
            logger.warning(
                "execution %s: unknown scheduler state %r of job %s; status kept",
                execution.id,
                info.state,
                info.job_id,
            )
            return
        if verdict.status.is_final:
            attempt.phase = AttemptPhase.ENDED
            attempt.reason = verdict.reason
            self._cancelled.discard(attempt.id)
            await self._conclude(
                session, execution, attempt, verdict.status, verdict.reason
            )
        elif execution.status != verdict.status and not _final(execution):
            repo.record_status(session, execution, verdict.status, verdict.reason)
            logger.info("execution %s: %s", execution.id, verdict.status)

    def _missed(
        self, session: AsyncSession, execution: Execution, attempt: Attempt
    ) -> None:
        attempt.missed_polls += 1
        if attempt.missed_polls < self._config.vanished_polls:
            return
        attempt.phase = AttemptPhase.ENDED
        reason = f"the scheduler no longer knows job {attempt.job_id}"
        attempt.reason = reason
        if not _final(execution):
            repo.record_status(session, execution, ExecutionStatus.FAILED, reason)
        logger.warning("execution %s: %s", execution.id, reason)

    async def _conclude(
        self,
        session: AsyncSession,
        execution: Execution,
        attempt: Attempt,
        status: ExecutionStatus,
        reason: str | None,
    ) -> None:
        if _final(execution) or attempt.number != execution.attempt:
            return
        if execution.stop_requested and status == ExecutionStatus.STOPPED:
            reason = "stopped by user"
        if (
            status == ExecutionStatus.TIME_OUT
            and execution.autorestart
            and attempt.number < execution.max_attempts
        ):
            await service.start_new_attempt(
                session,
                execution,
                f"time limit reached; autorestart as attempt {attempt.number + 1}",
            )
            logger.info(
                "execution %s: autorestart as attempt %s",
                execution.id,
                execution.attempt,
            )
            self.wake()
            return
        repo.record_status(session, execution, status, reason)
        logger.info(
            "execution %s: %s (%s)", execution.id, status, reason or "no reason"
        )

    async def _live_attempts(
        self, wanted: Callable[[Execution], bool]
    ) -> dict[str, _LoginGroup]:
        """Return the attempts with a live job, by cluster login."""
        groups: dict[str, _LoginGroup] = {}
        async with self._sessions() as session:
            attempts = await repo.attempts_in_phase(session, [AttemptPhase.SUBMITTED])
            for attempt in attempts:
                execution = attempt.execution
                if not wanted(execution) or attempt.job_id is None:
                    continue
                machine = execution.machine
                label = f"{machine.login}@{machine.host}:{machine.port}"
                if label not in groups:
                    groups[label] = _LoginGroup(
                        endpoint=await self._endpoint(session, execution),
                        scheduler=scheduler_for(machine.scheduler),
                        items=[],
                    )
                groups[label].items.append(_LiveJob(attempt.id, attempt.job_id))
        return groups


_TO_SUBMIT = (AttemptPhase.PENDING, AttemptPhase.SUBMITTING)


def _final(execution: Execution) -> bool:
    return ExecutionStatus(execution.status).is_final


def _note(attempt: Attempt, info: JobInfo) -> None:
    attempt.scheduler_state = info.state
    attempt.missed_polls = 0
    attempt.exit_code = (
        info.exit_code if info.exit_code is not None else attempt.exit_code
    )
    attempt.started_at = info.started_at or attempt.started_at
    attempt.ended_at = info.ended_at or attempt.ended_at
    if info.reason:
        attempt.reason = info.reason


@dataclass(frozen=True)
class _LiveJob:
    attempt_id: int
    job_id: str


@dataclass
class _LoginGroup:
    endpoint: Endpoint
    scheduler: Scheduler
    items: list[_LiveJob]


@dataclass(frozen=True)
class _SubmitPlan:
    """What submitting one attempt needs, read in one short transaction."""

    attempt_id: int
    phase: str
    tag: str
    login: str
    machine_id: int
    commit: str
    folder: str
    templates_folder: str
    script: str
    description: str | None
    request: JobRequest
    scheduler: Scheduler

    @classmethod
    def of(cls, execution: Execution, attempt: Attempt) -> _SubmitPlan:
        machine = execution.machine
        return cls(
            attempt_id=attempt.id,
            phase=attempt.phase,
            tag=attempt.tag,
            login=machine.login,
            machine_id=machine.id,
            commit=execution.commit,
            folder=execution.folder,
            templates_folder=service.templates_folder(machine, execution.commit),
            script=execution.script,
            description=execution.description,
            request=service.job_request(execution, attempt),
            scheduler=scheduler_for(machine.scheduler),
        )
