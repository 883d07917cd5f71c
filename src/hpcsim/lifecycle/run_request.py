"""The fields of a run request, checked one by one with messages naming each."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from hpcsim.cluster.slurm.timefmt import parse_time_limit
from hpcsim.errors import InvalidInput
from hpcsim.workflows.repository import check_branch_name, check_workflow_name

_TRUE = {"true", "1", "on", "yes"}
_FALSE = {"false", "0", "off", "no"}
_SLURM_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_NAME = 100
MAX_NODES = 100_000


@dataclass(frozen=True)
class RunRequest:
    """A run request whose every field has been checked."""

    machine: str
    sec_token: str
    num_nodes: int
    time_limit_seconds: int
    branch: str | None = None
    workflow: str | None = None
    name: str | None = None
    qos: str | None = None
    account: str | None = None
    checkpointing: bool = False
    autorestart: bool = False
    max_attempts: int | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    description: str | None = None


def parse_bool(value: str | bool | None, field: str) -> bool:
    """Read a boolean as forms send it; absent is false."""
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if not text:
        return False
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidInput(
        f"{field} must be true or false (also 1/0, on/off, yes/no)", field=field
    )


def parse_run_request(fields: dict[str, Any], description: bytes | None) -> RunRequest:
    """Check the canonical fields of a run call and return the request."""
    described = parse_description(description)
    checkpointing = parse_bool(fields.get("Checkpointing"), "Checkpointing")
    autorestart = parse_bool(fields.get("Autorestart"), "Autorestart")
    workflow = _text(fields.get("Workflow")) or described.get("workflow")

    return RunRequest(
        machine=_required(fields, "MachineChoice", 255),
        sec_token=_required(fields, "SecToken", 200),
        num_nodes=_positive_int(fields.get("NumNodes"), "NumNodes", MAX_NODES),
        time_limit_seconds=parse_time_limit(_required(fields, "ExecTime", 40)),
        branch=_optional(fields.get("Branch"), check_branch_name),
        workflow=check_workflow_name(workflow) if workflow else None,
        name=_name(fields.get("Name")),
        qos=_slurm_name(fields.get("QoS"), "QoS"),
        account=_slurm_name(fields.get("Account"), "Account"),
        # Autorestart resumes from checkpoints, so it turns checkpointing on.
        checkpointing=checkpointing or autorestart,
        autorestart=autorestart,
        max_attempts=_optional_int(fields.get("MaxAttempts"), "MaxAttempts", 100),
        parameters=_parameters(fields.get("parameters"), described),
        description=description.decode() if description else None,
    )


def parse_description(data: bytes | None) -> dict[str, Any]:
    """Read the YAML description: `workflow_type` (or `workflow`), `parameters`."""
    if not data:
        return {}
    try:
        document = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise InvalidInput(
            "document must be a UTF-8 YAML workflow description", field="document"
        ) from error
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise InvalidInput("document must be a YAML mapping", field="document")

    workflow = document.get("workflow_type", document.get("workflow"))
    parameters = document.get("parameters") or {}
    if workflow is not None and not isinstance(workflow, str):
        raise InvalidInput("document: workflow_type must be a string", field="document")
    if not isinstance(parameters, dict):
        raise InvalidInput("document: parameters must be a mapping", field="document")
    result: dict[str, Any] = {"parameters": {str(k): v for k, v in parameters.items()}}
    if workflow:
        result["workflow"] = workflow
    return result


def _parameters(given: Any, described: dict[str, Any]) -> dict[str, Any]:
    """Merge a JSON body's `parameters` over those of the description."""
    parameters: dict[str, Any] = dict(described.get("parameters", {}))
    if given is None:
        return parameters
    if not isinstance(given, dict):
        raise InvalidInput("parameters must be an object", field="parameters")
    parameters.update({str(key): value for key, value in given.items()})
    return parameters


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _required(fields: dict[str, Any], name: str, max_length: int) -> str:
    text = _text(fields.get(name))
    if not text:
        raise InvalidInput(f"{name} is required", field=name)
    if len(text) > max_length or _CONTROL.search(text):
        raise InvalidInput(
            f"{name} must be at most {max_length} printable characters", field=name
        )
    return text


def _positive_int(value: Any, name: str, maximum: int) -> int:
    text = _text(value)
    if not text:
        raise InvalidInput(f"{name} is required", field=name)
    if not re.fullmatch(r"[0-9]{1,9}", text) or not 1 <= int(text) <= maximum:
        raise InvalidInput(
            f"{name} must be a whole number from 1 to {maximum}", field=name
        )
    return int(text)


def _optional_int(value: Any, name: str, maximum: int) -> int | None:
    return _positive_int(value, name, maximum) if _text(value) else None


def _optional(value: Any, check: Any) -> Any:
    text = _text(value)
    return check(text) if text else None


def _name(value: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    if len(text) > MAX_NAME or _CONTROL.search(text):
        raise InvalidInput(
            f"Name must be at most {MAX_NAME} printable characters", field="Name"
        )
    return text


def _slurm_name(value: Any, name: str) -> str | None:
    text = _text(value)
    if not text:
        return None
    if not _SLURM_NAME.fullmatch(text) or text.startswith("-"):
        raise InvalidInput(
            f"{name} must be 1 to 64 of letters, digits, _ . and -, not starting "
            "with -",
            field=name,
        )
    return text
