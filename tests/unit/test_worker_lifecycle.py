"""The worker's lifecycle against an in-memory scheduler: fast, and no cluster.

The fake keeps a job table that each test moves by hand; the real scheduler is
exercised by tests/e2e. Each test runs worker cycles and checks what a user of
the status call would see.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hpcsim import accounts
from hpcsim.cluster.commands import CommandResult
from hpcsim.cluster.scheduler import JobInfo, JobRequest
from hpcsim.cluster.slurm.sbatch import header_lines
from hpcsim.cluster.slurm.states import status_for_job
from hpcsim.errors import ConnectionFailed, SchedulerUnavailable, SubmissionRejected
from hpcsim.lifecycle import executions as service
from hpcsim.lifecycle.executions import RunDefaults
from hpcsim.lifecycle.run_request import RunRequest
from hpcsim.lifecycle.schedulers import register_scheduler
from hpcsim.lifecycle.states import Verdict
from hpcsim.lifecycle.worker import Worker, WorkerConfig
from hpcsim.security.ssh_keys import KeyCipher, generate_key_pair
from hpcsim.storage.db import create_engine, session_factory, upgrade_schema
from hpcsim.storage.models import Attempt, AttemptPhase, Execution, Machine
from hpcsim.storage.repositories import status_changes
from hpcsim.workflows.repository import TemplateRepository

ROOT = Path(__file__).resolve().parents[2]
HOST_KEY = generate_key_pair("host").public_openssh


@dataclass
class FakeScheduler:
    """Jobs in a dict; tests set their states. Behaves like the Slurm adapter."""

    name: str = "fake"
    jobs: dict[str, JobInfo] = field(default_factory=dict)
    requests: list[JobRequest] = field(default_factory=list)
    failing: Exception | None = None
    reject: str | None = None

    def verdict(self, info: JobInfo) -> Verdict | None:
        return status_for_job(info.state, info.exit_code)

    def batch_header(self, request: JobRequest) -> list[str]:
        return header_lines(request)

    async def submit(self, runner: object, request: JobRequest) -> str:
        self._maybe_fail()
        if self.reject:
            raise SubmissionRejected(self.reject)
        job_id = str(100 + len(self.requests))
        self.requests.append(request)
        self.jobs[job_id] = JobInfo(job_id, "PENDING", name=request.tag)
        return job_id

    async def poll(
        self, runner: object, login: str, job_ids: Iterable[str]
    ) -> dict[str, JobInfo]:
        self._maybe_fail()
        return {i: self.jobs[i] for i in job_ids if i in self.jobs}

    async def find_by_tag(
        self, runner: object, login: str, tags: Iterable[str]
    ) -> dict[str, str]:
        self._maybe_fail()
        return {j.name: i for i, j in self.jobs.items() if j.name in set(tags)}

    async def cancel(self, runner: object, job_ids: Iterable[str]) -> None:
        self._maybe_fail()
        for job_id in job_ids:
            self.set(job_id, "CANCELLED by 1000", exit_code=0)

    def set(self, job_id: str, state: str, exit_code: int | None = None) -> None:
        self.jobs[job_id] = JobInfo(
            job_id, state, exit_code=exit_code, name=self.jobs[job_id].name
        )

    def _maybe_fail(self) -> None:
        if self.failing is not None:
            raise self.failing


class FakeRunner:
    async def run(
        self, argv: Sequence[str], *, stdin: str | bytes | None = None
    ) -> CommandResult:
        return CommandResult("", "", 0)

    async def write_file(self, path: str, data: bytes, *, mode: int = 0o644) -> None:
        return None


class FakePool:
    def runner(self, endpoint: object) -> FakeRunner:
        return FakeRunner()


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "templates.git"
    script = ROOT / "scripts" / "make-templates-repo"
    subprocess.run([script, path], check=True, capture_output=True)
    return path


@dataclass
class World:
    worker: Worker
    scheduler: FakeScheduler
    sessions: object
    run: object

    async def execution(self, execution_id: str) -> Execution:
        async with self.sessions() as session:
            found = await session.get(Execution, execution_id)
            assert found is not None
            return found

    async def cycles(self, count: int = 1) -> None:
        for _ in range(count):
            await self.worker.cycle()


@pytest.fixture
async def world(tmp_path: Path, templates: Path) -> AsyncIterator[World]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_schema(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    cipher = KeyCipher("test-kek")
    repository = TemplateRepository(str(templates), tmp_path)
    scheduler = FakeScheduler()
    register_scheduler("fake", scheduler)

    async with sessions() as session, session.begin():
        user = await accounts.add_user(session, "ada", "password-ada")
        machine = Machine(
            owner_id=user.id,
            name="fake",
            host="127.0.0.1",
            port=22,
            login="ada",
            workdir="/scratch/ada",
            scheduler="fake",
            max_nodes=4,
            checkpoint_lead=30,
            host_keys=HOST_KEY,
        )
        session.add(machine)
        await session.flush()
        pair = generate_key_pair("ada")
        key = await accounts.store_key(session, cipher, user, machine, "k", pair)
        sec_token = key.sec_token

    async def run(**overrides: object) -> str:
        fields = {
            "machine": "fake",
            "sec_token": sec_token,
            "num_nodes": 1,
            "time_limit_seconds": 60,
            "workflow": "sleep-exit",
        }
        fields.update(overrides)
        async with sessions() as session, session.begin():
            owner = await accounts.repo.user_by_name(session, "ada")
            execution = await service.accept_run(
                session, repository, RunDefaults("sleep-exit", 3), owner,
                RunRequest(**fields),
            )  # fmt: skip
            return execution.id

    config = WorkerConfig(
        poll_interval=1, fast_poll_interval=1, vanished_polls=3, submit_timeout=3600
    )
    worker = Worker(sessions, FakePool(), repository, cipher, config)  # type: ignore[arg-type]
    yield World(worker, scheduler, sessions, run)
    await engine.dispose()


async def test_a_submitted_job_moves_through_running_to_finished(world: World) -> None:
    execution_id = await world.run()
    await world.cycles()
    execution = await world.execution(execution_id)
    job_id = execution.current.job_id
    assert execution.status == "INITIALIZING" and job_id == "100"

    world.scheduler.set(job_id, "RUNNING")
    await world.cycles()
    assert (await world.execution(execution_id)).status == "RUNNING"

    world.scheduler.set(job_id, "COMPLETED", exit_code=0)
    await world.cycles()
    assert (await world.execution(execution_id)).status == "FINISHED"


async def test_time_out_with_autorestart_resubmits_resuming_until_the_ceiling(
    world: World,
) -> None:
    execution_id = await world.run(autorestart=True, checkpointing=True, max_attempts=2)
    await world.cycles()

    world.scheduler.set("100", "TIMEOUT", exit_code=0)
    await world.cycles()
    execution = await world.execution(execution_id)
    assert execution.status == "INITIALIZING" and execution.attempt == 2
    await world.cycles()
    second = world.scheduler.requests[1]
    assert second.environment["HPCSIM_RESUMING"] == "1"
    assert second.environment["HPCSIM_ATTEMPT"] == "2"
    assert second.signal_lead_seconds == 30
    assert second.tag != world.scheduler.requests[0].tag

    world.scheduler.set("101", "TIMEOUT", exit_code=0)
    await world.cycles()
    execution = await world.execution(execution_id)
    assert execution.status == "TIME_OUT" and execution.attempt == 2
    assert len(world.scheduler.requests) == 2


async def test_an_attempt_caught_between_sbatch_and_its_record_is_not_doubled(
    world: World,
) -> None:
    execution_id = await world.run()
    await world.cycles()
    async with world.sessions() as session, session.begin():
        execution = await session.get(Execution, execution_id)
        attempt = execution.current
        # As if the service died after sbatch but before it stored the job id.
        attempt.phase = AttemptPhase.SUBMITTING
        attempt.job_id = None

    await world.cycles()

    execution = await world.execution(execution_id)
    assert execution.current.job_id == "100"
    assert execution.current.phase == AttemptPhase.SUBMITTED
    assert len(world.scheduler.requests) == 1


async def test_an_attempt_whose_sbatch_never_ran_is_submitted_after_a_crash(
    world: World,
) -> None:
    execution_id = await world.run()
    async with world.sessions() as session, session.begin():
        attempt = (await session.get(Execution, execution_id)).current
        attempt.phase = AttemptPhase.SUBMITTING

    await world.cycles()

    assert (await world.execution(execution_id)).current.job_id == "100"
    assert len(world.scheduler.requests) == 1


async def test_a_failed_poll_changes_no_status(world: World) -> None:
    execution_id = await world.run()
    await world.cycles()
    world.scheduler.set("100", "RUNNING")
    await world.cycles()

    world.scheduler.failing = SchedulerUnavailable("slurmctld is down")
    world.scheduler.set("100", "COMPLETED", exit_code=0)
    await world.cycles(3)
    assert (await world.execution(execution_id)).status == "RUNNING"

    world.scheduler.failing = None
    world.worker._incidents.succeeded("ada@127.0.0.1:22")  # skip the backoff
    await world.cycles()
    assert (await world.execution(execution_id)).status == "FINISHED"


async def test_a_job_the_scheduler_forgot_fails_after_several_polls(
    world: World,
) -> None:
    execution_id = await world.run()
    await world.cycles()
    del world.scheduler.jobs["100"]

    await world.cycles(2)
    assert (await world.execution(execution_id)).status == "INITIALIZING"
    await world.cycles()

    execution = await world.execution(execution_id)
    assert execution.status == "FAILED"
    assert "no longer knows job 100" in execution.reason


async def test_a_rejected_submission_fails_with_the_reason_and_no_retry(
    world: World,
) -> None:
    world.scheduler.reject = "sbatch refused the job: Invalid qos specification"
    execution_id = await world.run()

    await world.cycles(3)

    execution = await world.execution(execution_id)
    assert execution.status == "FAILED"
    assert "Invalid qos" in execution.reason
    assert world.scheduler.requests == []


async def test_stop_cancels_the_job_and_a_final_status_stays(world: World) -> None:
    execution_id = await world.run(autorestart=True)
    await world.cycles()
    world.scheduler.set("100", "RUNNING")
    await world.cycles()
    async with world.sessions() as session, session.begin():
        await service.stop(session, await session.get(Execution, execution_id))

    await world.cycles()

    execution = await world.execution(execution_id)
    assert execution.status == "STOPPED" and execution.reason == "stopped by user"
    assert execution.autorestart is False
    world.scheduler.set("100", "RUNNING")
    await world.cycles()
    assert (await world.execution(execution_id)).status == "STOPPED"


async def test_an_unknown_scheduler_state_keeps_the_last_status(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    execution_id = await world.run()
    await world.cycles()
    world.scheduler.set("100", "RUNNING")
    await world.cycles()

    world.scheduler.set("100", "LEVITATING")
    await world.cycles()

    assert (await world.execution(execution_id)).status == "RUNNING"
    assert "unknown scheduler state 'LEVITATING'" in caplog.text


async def test_stopping_before_submission_never_submits(world: World) -> None:
    execution_id = await world.run()
    async with world.sessions() as session, session.begin():
        await service.stop(session, await session.get(Execution, execution_id))

    await world.cycles()

    execution = await world.execution(execution_id)
    assert execution.status == "STOPPED"
    assert world.scheduler.requests == []
    async with world.sessions() as session:
        attempt = await session.get(Attempt, execution.current.id)
        assert attempt.phase == AttemptPhase.ENDED


async def test_a_submission_fails_once_the_cluster_was_away_too_long(
    world: World,
) -> None:
    world.worker._config = WorkerConfig(
        poll_interval=1, fast_poll_interval=1, vanished_polls=3, submit_timeout=0.01
    )
    world.scheduler.failing = ConnectionFailed("cannot connect to ada@127.0.0.1:22")
    execution_id = await world.run()
    await asyncio.sleep(0.05)

    await world.cycles()

    execution = await world.execution(execution_id)
    assert execution.status == "FAILED"
    assert "could not be reached" in execution.reason
    assert world.scheduler.requests == []


async def test_a_job_slurm_requeues_by_itself_is_not_a_new_attempt(
    world: World,
) -> None:
    execution_id = await world.run(autorestart=True)
    await world.cycles()
    world.scheduler.set("100", "RUNNING")
    await world.cycles()

    world.scheduler.set("100", "REQUEUED")
    await world.cycles()
    assert (await world.execution(execution_id)).status == "INITIALIZING"
    world.scheduler.set("100", "RUNNING")
    await world.cycles()
    world.scheduler.set("100", "COMPLETED", exit_code=0)
    await world.cycles()

    execution = await world.execution(execution_id)
    assert execution.status == "FINISHED" and execution.attempt == 1
    assert len(world.scheduler.requests) == 1


async def test_a_manual_restart_with_checkpointing_resumes(world: World) -> None:
    execution_id = await world.run(checkpointing=True)
    await world.cycles()
    world.scheduler.set("100", "TIMEOUT", exit_code=0)
    await world.cycles()
    assert (await world.execution(execution_id)).status == "TIME_OUT"

    async with world.sessions() as session, session.begin():
        await service.restart(session, await session.get(Execution, execution_id))
    await world.cycles()

    second = world.scheduler.requests[1]
    assert second.environment["HPCSIM_RESUMING"] == "1"
    assert second.environment["HPCSIM_ATTEMPT"] == "2"


async def test_every_status_change_is_kept_with_its_time_and_reason(
    world: World,
) -> None:
    execution_id = await world.run()
    await world.cycles()
    world.scheduler.set("100", "RUNNING")
    await world.cycles()
    world.scheduler.set("100", "COMPLETED", exit_code=0)
    await world.cycles()

    async with world.sessions() as session:
        history = await status_changes(session, execution_id)

    assert [(c.from_status, c.to_status) for c in history] == [
        (None, "INITIALIZING"),
        ("INITIALIZING", "RUNNING"),
        ("RUNNING", "FINISHED"),
    ]
    assert history[0].reason == "accepted"
    assert history[0].at <= history[1].at <= history[2].at
