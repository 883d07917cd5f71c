"""Render a workflow's batch script: the service's header, then the template."""

from __future__ import annotations

import shlex
from typing import Any

from jinja2 import StrictUndefined
from jinja2 import TemplateError as JinjaError
from jinja2.sandbox import SandboxedEnvironment

from hpcsim.errors import TemplateError


def _quote(value: Any) -> str:
    """Shell-quote every value a template prints; None prints nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return shlex.quote(str(value))


_environment = SandboxedEnvironment(
    undefined=StrictUndefined,
    finalize=_quote,
    autoescape=False,
    keep_trailing_newline=True,
)


def render_script(
    template: str, header: list[str], params: dict[str, Any], workflow: str
) -> str:
    """Return the complete batch script; a template may not set scheduler options."""
    _refuse_directives(template, workflow)
    try:
        body = _environment.from_string(template).render(params=params)
    except JinjaError as error:
        raise TemplateError(f"workflow {workflow}: cannot render: {error}") from error
    _refuse_directives(body, workflow)

    lines = ["#!/bin/bash", *header, "", body]
    return "\n".join(lines)


def _refuse_directives(text: str, workflow: str) -> None:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("#SBATCH", "#PBS", "#!")):
            raise TemplateError(
                f"workflow {workflow}: the template may not contain "
                f"{stripped.split()[0]} lines; the service writes them"
            )
