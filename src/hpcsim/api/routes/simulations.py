"""The simulations API: run, status, stop, restart, delete.

Every path answers with and without its trailing slash, without a redirect:
a redirect makes common clients drop the body of a multipart POST.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from hpcsim import accounts
from hpcsim.api.deps import Context, CurrentUser, Session
from hpcsim.api.forms import read_fields
from hpcsim.api.problems import COMMON_ERRORS
from hpcsim.api.schemas import Accepted, ExecutionOut, Message, execution_out
from hpcsim.errors import InvalidInput, NotFound
from hpcsim.lifecycle import executions as service
from hpcsim.lifecycle.run_request import parse_run_request
from hpcsim.storage import repositories as repo
from hpcsim.storage.models import Execution, User

router = APIRouter(tags=["simulations"])

RUN_FIELDS: dict[str, Any] = {
    "MachineChoice": {
        "type": "string",
        "description": "Name of one of your machines, or `login@host`; at most "
        "255 printable characters (alias: header `MachineChoice`, `machine`).",
    },
    "SecToken": {
        "type": "string",
        "description": "Names the SSH key to use on that machine; at most 200 "
        "printable characters (alias: header `SecToken`).",
    },
    "NumNodes": {
        "type": "integer",
        "minimum": 1,
        "description": "Nodes to ask for, at most the machine's limit (alias "
        "`numNodes`).",
    },
    "ExecTime": {
        "type": "string",
        "description": "Time limit as sbatch --time reads it: MM, MM:SS, HH:MM:SS, "
        "D-HH, D-HH:MM or D-HH:MM:SS; whole numbers, more than zero (alias "
        "`execTime`, in minutes).",
    },
    "Branch": {
        "type": "string",
        "description": "Branch of the templates repository; default its default "
        "branch. Letters, digits, . _ / -, at most 100 (alias `branch`).",
    },
    "Workflow": {
        "type": "string",
        "description": "Template to run; default from the settings. Letters, digits, "
        "_ -, at most 64. The document's `workflow_type` works too.",
    },
    "Name": {
        "type": "string",
        "description": "A name for you, at most 100 printable characters (alias "
        "`name_sim`).",
    },
    "QoS": {
        "type": "string",
        "description": "Slurm QoS; empty means none. Letters, digits, _ . -, at "
        "most 64 (alias `qos`).",
    },
    "Account": {
        "type": "string",
        "description": "Slurm account (alias `project_name`); same characters as QoS.",
    },
    "Checkpointing": {
        "type": "string",
        "description": "Boolean: true/false, 1/0, on/off, yes/no; absent is false. "
        "The job gets USR1 ahead of its time limit (alias `checkpoint_flag`).",
    },
    "Autorestart": {
        "type": "string",
        "description": "Boolean like Checkpointing. Resubmit after TIME_OUT, "
        "resuming from the last checkpoint; it turns Checkpointing on (alias "
        "`auto_restart`).",
    },
    "MaxAttempts": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "description": "Ceiling on attempts with Autorestart; default from settings.",
    },
}

RUN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["MachineChoice", "SecToken", "NumNodes", "ExecTime"],
                    "properties": {
                        **RUN_FIELDS,
                        "document": {
                            "type": "string",
                            "format": "binary",
                            "description": "YAML workflow description, at "
                            "most 1 MB: `workflow_type` (or `workflow`) and "
                            "`parameters`, each checked against the type, bounds, "
                            "pattern and length the template's manifest gives.",
                        },
                    },
                }
            },
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": RUN_FIELDS}
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        **RUN_FIELDS,
                        "parameters": {"type": "object"},
                        "document": {"type": "string"},
                    },
                }
            },
        },
    }
}

ERRORS = COMMON_ERRORS


class Action(StrEnum):
    stop = "stop"
    restart = "restart"


def both(path: str) -> list[str]:
    """Return a path with and without its trailing slash."""
    bare = path.rstrip("/")
    return [bare + "/", bare]


def route(method: str, path: str, **options: Any) -> Callable[[Any], Any]:
    """Register a route under both spellings of its path; document one."""

    def register(function: Any) -> Any:
        for index, spelled in enumerate(both(path)):
            router.add_api_route(
                spelled,
                function,
                methods=[method],
                include_in_schema=index == 0,
                **options,
            )
        return function

    return register


@route(
    "POST",
    "/simulations/",
    status_code=202,
    response_model=Accepted,
    responses=ERRORS,
    openapi_extra=RUN_BODY,
    summary="Run a workflow",
)
async def run_simulation(
    request: Request, context: Context, session: Session, user: CurrentUser
) -> Accepted:
    """Start a workflow on a machine. Answers 202 at once; the execution starts
    `INITIALIZING` and the worker stages and submits it in the background."""
    context.limits.submissions.take(f"user:{user.id}")
    fields = await read_fields(request, context.settings.max_upload_bytes)
    run = parse_run_request(fields.values, fields.document)
    execution = await service.accept_run(
        session, context.templates, context.run_defaults, user, run
    )
    await session.commit()
    request.state.audit_target = f"execution_id={execution.id}"
    context.wake_worker()
    return Accepted(message="Simulation accepted", execution_id=execution.id)


@route(
    "GET",
    "/simulations/",
    response_model=list[ExecutionOut],
    responses=ERRORS,
    summary="List",
)
async def list_simulations(session: Session, user: CurrentUser) -> list[ExecutionOut]:
    """List your executions, newest first."""
    return [execution_out(e) for e in await repo.executions_of(session, user.id)]


@route(
    "GET",
    "/simulations/execution/{execution_id}/",
    response_model=ExecutionOut,
    responses=ERRORS,
    summary="Status of an execution",
)
async def get_simulation(
    execution_id: str, session: Session, user: CurrentUser
) -> ExecutionOut:
    """Return an execution's status, its scheduler details, its attempts and the
    history of its status changes."""
    execution = await service.get_execution(session, user, execution_id)
    history = await repo.status_changes(session, execution.id)
    return execution_out(execution, history)


@route(
    "PUT",
    "/simulations/execution/{execution_id}/",
    status_code=202,
    responses={
        **ERRORS,
        202: {
            "description": "`{message}` for stop; `{message, execution_id}` "
            "for restart."
        },
    },
    summary="Stop or restart an execution",
)
async def change_simulation(
    execution_id: str,
    request: Request,
    context: Context,
    session: Session,
    user: CurrentUser,
    status: Action = Query(description="`stop` or `restart`."),  # noqa: B008
) -> JSONResponse:
    """`stop` cancels the job (an execution that already ended answers with its
    status); `restart` resubmits a TIME_OUT, FAILED or STOPPED execution as a new
    attempt under the same id, from its checkpoint when it has checkpointing.
    Both need `MachineChoice` and `SecToken` as fields, query or headers."""
    execution = await _owned(request, context, session, user, execution_id)
    if status is Action.stop:
        changed = await service.stop(session, execution)
        message = (
            "Stop requested"
            if changed
            else f"Execution already ended with status {execution.status}"
        )
        body: dict[str, str] = {"message": message}
    else:
        await service.restart(session, execution)
        body = {"message": "Restart accepted", "execution_id": execution.id}
    await session.commit()
    context.wake_worker()
    return JSONResponse(body, status_code=202)


@route(
    "DELETE",
    "/simulations/execution/{execution_id}/",
    response_model=Message,
    responses=ERRORS,
    summary="Delete an execution",
)
async def delete_simulation(
    execution_id: str,
    request: Request,
    context: Context,
    session: Session,
    user: CurrentUser,
) -> Message:
    """Forget an execution at once; the worker cancels its job if it still runs
    and removes its folder on the cluster. Needs `MachineChoice` and `SecToken`."""
    execution = await _owned(request, context, session, user, execution_id)
    await service.delete(session, execution)
    await session.commit()
    context.wake_worker()
    return Message(message="Execution deleted")


async def _owned(
    request: Request, context: Context, session: Session, user: User, execution_id: str
) -> Execution:
    """Return the user's execution after checking the call's machine and key."""
    execution = await service.get_execution(session, user, execution_id)
    fields = await read_fields(request, context.settings.max_upload_bytes)
    choice = fields.values.get("MachineChoice")
    sec_token = fields.values.get("SecToken")
    for name, value in (("MachineChoice", choice), ("SecToken", sec_token)):
        if not value or not str(value).strip():
            raise InvalidInput(
                f"{name} is required, as a form field, query parameter or header",
                field=name,
            )
    machine = await accounts.find_machine(session, user, str(choice).strip())
    if machine.id != execution.machine_id:
        raise NotFound(f"no execution {execution_id} on {machine.name}")
    await accounts.find_key(session, user, machine, str(sec_token).strip())
    return execution
