"""Accept, stop, restart and delete executions; the worker does the cluster work."""

from __future__ import annotations

import logging
import posixpath
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from hpcsim import accounts
from hpcsim.cluster.scheduler import JobRequest
from hpcsim.cluster.slurm.timefmt import format_time_limit
from hpcsim.errors import Conflict, InvalidInput, NotFound
from hpcsim.lifecycle.run_request import RunRequest
from hpcsim.lifecycle.schedulers import scheduler_for
from hpcsim.lifecycle.states import RESTARTABLE_STATUSES, ExecutionStatus
from hpcsim.storage import repositories as repo
from hpcsim.storage.models import Attempt, AttemptPhase, Execution, Machine, User
from hpcsim.workflows.manifest import parse_manifest, validate_parameters
from hpcsim.workflows.render import render_script
from hpcsim.workflows.repository import TemplateRepository

logger = logging.getLogger(__name__)

SCRIPT_NAME = "job.sh"
DESCRIPTION_NAME = "description.yaml"


@dataclass(frozen=True)
class RunDefaults:
    workflow: str
    max_attempts: int


def execution_folder(machine: Machine, execution_id: str) -> str:
    return posixpath.join(machine.workdir, "hpcsim", "executions", execution_id)


def templates_folder(machine: Machine, commit: str) -> str:
    return posixpath.join(machine.workdir, "hpcsim", "templates", commit)


def attempt_tag(execution_id: str, number: int) -> str:
    """Return the job name that finds an attempt's job again after a crash."""
    return f"hpcsim-{execution_id}-{number}"


def job_request(execution: Execution, attempt: Attempt) -> JobRequest:
    """Return what to submit for an attempt of an execution."""
    machine = execution.machine
    folder = execution.folder
    lead = machine.checkpoint_lead if execution.checkpointing else None
    template_dir = posixpath.join(
        templates_folder(machine, execution.commit), execution.workflow
    )
    environment = {
        "HPCSIM_EXECUTION_ID": execution.id,
        "HPCSIM_ATTEMPT": str(attempt.number),
        "HPCSIM_RESUMING": "1" if attempt.resume else "0",
        "HPCSIM_CHECKPOINTING": "1" if execution.checkpointing else "0",
        "HPCSIM_CHECKPOINT_DIR": posixpath.join(folder, "checkpoint"),
        "HPCSIM_EXECUTION_DIR": folder,
        "HPCSIM_TEMPLATE_DIR": template_dir,
    }
    return JobRequest(
        script_path=posixpath.join(folder, SCRIPT_NAME),
        workdir=folder,
        tag=attempt.tag,
        num_nodes=execution.num_nodes,
        time_limit=format_time_limit(execution.time_limit_seconds),
        output_path=posixpath.join(folder, "slurm-%j.out"),
        error_path=posixpath.join(folder, "slurm-%j.err"),
        qos=execution.qos,
        account=execution.account,
        signal_lead_seconds=lead or None,
        environment=environment,
    )


async def accept_run(
    session: AsyncSession,
    templates: TemplateRepository,
    defaults: RunDefaults,
    user: User,
    request: RunRequest,
) -> Execution:
    """Check a run request against the user's machine, key and templates; store it."""
    machine = await accounts.find_machine(session, user, request.machine)
    key = await accounts.find_key(session, user, machine, request.sec_token)
    if request.num_nodes > machine.max_nodes:
        raise InvalidInput(
            f"NumNodes must be at most {machine.max_nodes} on {machine.name}",
            field="NumNodes",
        )
    branch, commit = await templates.resolve(request.branch)
    workflow = request.workflow or defaults.workflow
    parameters = await _parameters(templates, commit, workflow, request)

    execution_id = uuid.uuid4().hex
    execution = Execution(
        id=execution_id,
        owner_id=user.id,
        machine_id=machine.id,
        key_id=key.id,
        name=request.name or workflow,
        status=ExecutionStatus.INITIALIZING,
        num_nodes=request.num_nodes,
        time_limit_seconds=request.time_limit_seconds,
        branch=branch,
        commit=commit,
        workflow=workflow,
        parameters=parameters,
        description=request.description,
        qos=request.qos,
        account=request.account,
        checkpointing=request.checkpointing,
        autorestart=request.autorestart,
        max_attempts=_max_attempts(request, defaults),
        attempt=1,
        folder=execution_folder(machine, execution_id),
        script="",
    )
    execution.machine = machine
    first = _new_attempt(execution, 1, resume=False)
    execution.attempts = [first]
    execution.script = await _render(templates, execution, first)

    session.add(execution)
    await session.flush()
    repo.record_creation(session, execution, "accepted")
    logger.info(
        "execution %s: accepted for %s on %s", execution.id, workflow, machine.name
    )
    return execution


def _max_attempts(request: RunRequest, defaults: RunDefaults) -> int:
    if not request.autorestart:
        return request.max_attempts or 1
    return request.max_attempts or defaults.max_attempts


async def _parameters(
    templates: TemplateRepository, commit: str, workflow: str, request: RunRequest
) -> dict[str, object]:
    text = await templates.read_file(commit, f"{workflow}/workflow.yaml")
    if text is None:
        raise InvalidInput(
            f"Workflow {workflow!r} does not exist at this branch of the templates",
            field="Workflow",
        )
    manifest = parse_manifest(text, workflow)
    return validate_parameters(manifest, request.parameters)


async def _render(
    templates: TemplateRepository, execution: Execution, attempt: Attempt
) -> str:
    body = await templates.read_file(
        execution.commit, f"{execution.workflow}/run.sh.j2"
    )
    if body is None:
        raise InvalidInput(
            f"Workflow {execution.workflow!r} has no run.sh.j2", field="Workflow"
        )
    scheduler = scheduler_for(execution.machine.scheduler)
    header = scheduler.batch_header(job_request(execution, attempt))
    return render_script(
        body.decode(), header, execution.parameters, execution.workflow
    )


def _new_attempt(execution: Execution, number: int, *, resume: bool) -> Attempt:
    return Attempt(
        execution_id=execution.id,
        number=number,
        tag=attempt_tag(execution.id, number),
        phase=AttemptPhase.PENDING,
        resume=resume,
    )


async def get_execution(
    session: AsyncSession, user: User, execution_id: str
) -> Execution:
    """Return a user's execution; someone else's is as missing as a wrong id."""
    execution = await repo.execution_of(session, user.id, execution_id)
    if execution is None:
        raise NotFound(f"no execution {execution_id}")
    return execution


async def stop(session: AsyncSession, execution: Execution) -> bool:
    """Ask to stop an execution; return False when it had already ended."""
    if ExecutionStatus(execution.status).is_final:
        return False
    execution.stop_requested = True
    execution.autorestart = False

    attempt = execution.current
    if attempt is not None and attempt.phase == AttemptPhase.PENDING:
        attempt.phase = AttemptPhase.ENDED
        repo.record_status(
            session, execution, ExecutionStatus.STOPPED, "stopped by user"
        )
    logger.info("execution %s: stop requested", execution.id)
    return True


async def restart(session: AsyncSession, execution: Execution) -> Execution:
    """Start a new attempt of an ended execution in its folder."""
    status = ExecutionStatus(execution.status)
    if status not in RESTARTABLE_STATUSES:
        allowed = ", ".join(sorted(RESTARTABLE_STATUSES))
        raise Conflict(
            f"execution {execution.id} is {status}; only {allowed} executions restart"
        )
    await start_new_attempt(session, execution, "restarted by user")
    execution.stop_requested = False
    logger.info("execution %s: restart as attempt %s", execution.id, execution.attempt)
    return execution


async def start_new_attempt(
    session: AsyncSession, execution: Execution, reason: str
) -> None:
    """Add the next attempt; it resumes from checkpoints when checkpointing is on."""
    number = execution.attempt + 1
    attempts = await execution.awaitable_attrs.attempts
    attempts.append(_new_attempt(execution, number, resume=execution.checkpointing))
    execution.attempt = number
    repo.record_status(session, execution, ExecutionStatus.INITIALIZING, reason)


async def delete(session: AsyncSession, execution: Execution) -> None:
    """Forget an execution; the worker cancels its job and removes its folder."""
    execution.delete_requested = True
    execution.autorestart = False
    logger.info("execution %s: delete requested", execution.id)
