"""Workflow manifests and the validation of user parameters against them."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

from hpcsim.errors import InvalidInput, TemplateError

TYPES = ("integer", "number", "string", "boolean")
MAX_STRING = 1000
_PARAMETER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_TRUE = {"true", "1", "on", "yes"}
_FALSE = {"false", "0", "off", "no"}


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    max_length: int = MAX_STRING
    description: str = ""


@dataclass(frozen=True)
class Manifest:
    name: str
    description: str
    parameters: dict[str, Parameter]


def parse_manifest(text: bytes, workflow: str) -> Manifest:
    """Read a `workflow.yaml`; a broken one is the template's fault."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise TemplateError(f"workflow {workflow}: the manifest is not YAML") from error
    if not isinstance(data, dict):
        raise TemplateError(f"workflow {workflow}: the manifest is not a mapping")

    raw_parameters = data.get("parameters") or {}
    if not isinstance(raw_parameters, dict):
        raise TemplateError(f"workflow {workflow}: parameters must be a mapping")
    parameters = {
        str(name): _parameter(str(name), spec, workflow)
        for name, spec in raw_parameters.items()
    }
    return Manifest(
        name=str(data.get("name", workflow)),
        description=str(data.get("description", "")),
        parameters=parameters,
    )


def _parameter(name: str, spec: Any, workflow: str) -> Parameter:
    if not isinstance(spec, dict) or spec.get("type") not in TYPES:
        raise TemplateError(
            f"workflow {workflow}: parameter {name} needs a type, one of {TYPES}"
        )
    if not _PARAMETER_NAME.fullmatch(name):
        raise TemplateError(f"workflow {workflow}: bad parameter name {name!r}")
    return Parameter(
        name=name,
        type=spec["type"],
        default=spec.get("default"),
        minimum=spec.get("min"),
        maximum=spec.get("max"),
        pattern=spec.get("pattern"),
        max_length=int(spec.get("max_length", MAX_STRING)),
        description=str(spec.get("description", "")),
    )


def validate_parameters(manifest: Manifest, given: dict[str, Any]) -> dict[str, Any]:
    """Return each parameter's value, given or default, checked by the manifest."""
    unknown = sorted(set(given) - set(manifest.parameters))
    if unknown:
        allowed = ", ".join(sorted(manifest.parameters)) or "none"
        raise InvalidInput(
            f"unknown parameter {unknown[0]!r} for workflow {manifest.name}; "
            f"allowed: {allowed}",
            field=f"parameters.{unknown[0]}",
        )
    values = {}
    for name, parameter in manifest.parameters.items():
        if name in given:
            values[name] = _coerce(parameter, given[name])
        elif parameter.default is not None:
            values[name] = _coerce(parameter, parameter.default)
        else:
            raise InvalidInput(
                f"parameter {name} is required by workflow {manifest.name}",
                field=f"parameters.{name}",
            )
    return values


def _coerce(parameter: Parameter, value: Any) -> Any:
    field = f"parameters.{parameter.name}"
    if parameter.type == "boolean":
        return _boolean(value, field)
    if parameter.type == "integer":
        return _bounded(parameter, _integer(value, field), field)
    if parameter.type == "number":
        return _bounded(parameter, _number(value, field), field)
    return _string(parameter, value, field)


def _boolean(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise InvalidInput(f"{field} must be true or false", field=field)


def _integer(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise InvalidInput(f"{field} must be a whole number", field=field)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}", value.strip()):
        return int(value)
    raise InvalidInput(f"{field} must be a whole number", field=field)


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool):
        raise InvalidInput(f"{field} must be a number", field=field)
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"{field} must be a number", field=field) from error
    if not math.isfinite(number):
        raise InvalidInput(f"{field} must be a finite number", field=field)
    return number


def _bounded(parameter: Parameter, number: float, field: str) -> Any:
    if parameter.minimum is not None and number < parameter.minimum:
        raise InvalidInput(f"{field} must be at least {parameter.minimum}", field=field)
    if parameter.maximum is not None and number > parameter.maximum:
        raise InvalidInput(f"{field} must be at most {parameter.maximum}", field=field)
    return number


def _string(parameter: Parameter, value: Any, field: str) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise InvalidInput(f"{field} must be a string", field=field)
    text = str(value)
    if len(text) > parameter.max_length:
        raise InvalidInput(
            f"{field} must be at most {parameter.max_length} characters", field=field
        )
    if "\x00" in text or "\n" in text or "\r" in text:
        raise InvalidInput(f"{field} must be one line without NUL bytes", field=field)
    if parameter.pattern and not re.fullmatch(parameter.pattern, text):
        raise InvalidInput(
            f"{field} must match the pattern {parameter.pattern}", field=field
        )
    return text
