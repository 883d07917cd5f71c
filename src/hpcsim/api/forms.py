"""Read the fields of a call from the body, the query string and the headers.

The older service's clients send `MachineChoice` and `SecToken` as headers and
spell form fields differently; each alias maps to one canonical name here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from hpcsim.errors import InvalidInput, TooLarge

ALIASES: dict[str, tuple[str, ...]] = {
    "MachineChoice": ("machine_choice", "machineChoice", "machine"),
    "SecToken": ("sec_token", "secToken"),
    "NumNodes": ("numNodes", "num_nodes"),
    "ExecTime": ("execTime", "exec_time"),
    "Branch": ("branch",),
    "QoS": ("qos", "QOS"),
    "Name": ("name_sim", "name"),
    "Checkpointing": ("checkpoint_flag", "checkpointing"),
    "Autorestart": ("auto_restart", "autorestart"),
    "Account": ("project_name", "account"),
    "Workflow": ("workflow", "workflow_type"),
    "MaxAttempts": ("max_attempts", "maxAttempts"),
}
HEADER_FIELDS = ("MachineChoice", "SecToken")
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


@dataclass
class CallFields:
    """The canonical fields of a call, and the bytes of its `document` part."""

    values: dict[str, Any]
    document: bytes | None


async def read_fields(request: Request, max_upload: int) -> CallFields:
    """Collect a call's fields: body first, then query string, then headers."""
    body, document = await _body(request, max_upload)
    values: dict[str, Any] = {}
    for canonical, aliases in ALIASES.items():
        for source in (body, request.query_params):
            value = _first(source, (canonical, *aliases))
            if value is not None:
                values[canonical] = value
                break
    for canonical in HEADER_FIELDS:
        if canonical not in values and request.headers.get(canonical):
            values[canonical] = request.headers[canonical]
    if isinstance(body.get("parameters"), dict):
        values["parameters"] = body["parameters"]
    return CallFields(values, document)


def _first(source: Any, names: tuple[str, ...]) -> Any:
    for name in names:
        value = source.get(name)
        if value is not None and not isinstance(value, UploadFile):
            return value
    return None


async def _body(
    request: Request, max_upload: int
) -> tuple[dict[str, Any], bytes | None]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in FORM_TYPES:
        return await _form(request, max_upload)
    if kind == "application/json":
        return await _json(request, max_upload)
    return {}, None


async def _form(
    request: Request, max_upload: int
) -> tuple[dict[str, Any], bytes | None]:
    form = await request.form(max_part_size=max_upload)
    fields: dict[str, Any] = {}
    document: bytes | None = None
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key == "document":
                document = await _read_upload(value, max_upload)
        elif key == "document":
            document = value.encode()
        else:
            fields.setdefault(key, value)
    return fields, document


async def _read_upload(upload: UploadFile, max_upload: int) -> bytes:
    data = await upload.read(max_upload + 1)
    if len(data) > max_upload:
        raise TooLarge(f"document must be at most {max_upload} bytes", field="document")
    return data


async def _json(
    request: Request, max_upload: int
) -> tuple[dict[str, Any], bytes | None]:
    raw = await request.body()
    if len(raw) > max_upload:
        raise TooLarge(f"the JSON body must be at most {max_upload} bytes")
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput("the body is not valid JSON", field="body") from error
    if not isinstance(data, dict):
        raise InvalidInput("the JSON body must be an object", field="body")
    document = data.pop("document", None)
    if document is not None and not isinstance(document, str):
        raise InvalidInput("document must be YAML text", field="document")
    fields = {k: _scalar(v) if k != "parameters" else v for k, v in data.items()}
    return fields, document.encode() if document else None


def _scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)
