"""One error body for every failure: problem details (RFC 9457)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from hpcsim.errors import (
    ClusterError,
    Conflict,
    Forbidden,
    HpcsimError,
    InvalidInput,
    NotFound,
    TemplateError,
    TooLarge,
    Unauthorized,
)
from hpcsim.security.rate_limit import RateLimited

logger = logging.getLogger(__name__)

# The one table from errors to HTTP statuses; the first matching class wins.
STATUS_OF: list[tuple[type[HpcsimError], int, str]] = [
    (InvalidInput, 422, "Invalid field"),
    (TemplateError, 422, "Workflow template error"),
    (NotFound, 404, "Not found"),
    (Conflict, 409, "Conflict"),
    (Unauthorized, 401, "Unauthorized"),
    (Forbidden, 403, "Forbidden"),
    (TooLarge, 413, "Too large"),
    (ClusterError, 502, "Cluster error"),
]

PROBLEM_JSON = "application/problem+json"

MEANING = {
    400: "The body cannot be parsed as the form or JSON it claims to be.",
    401: "No valid API token (or password, for creating tokens).",
    403: "Only admins may do this.",
    404: "No such execution, machine, key or token of yours.",
    409: "Not allowed in the current state.",
    413: "The body or an upload is over its size limit.",
    422: "A field is wrong; `field` names it.",
    429: "Too many calls; `Retry-After` says when to try again.",
    502: "The cluster could not be reached or refused the command.",
}


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An error answer (RFC 9457), served as application/problem+json."""

    type: str
    title: str
    status: int
    detail: str
    field: str | None = None
    errors: list[FieldError] | None = None


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Return the OpenAPI `responses` entries of these error statuses."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {
        code: {
            "model": Problem,
            "description": MEANING[code],
            "content": {PROBLEM_JSON: {"schema": schema}},
        }
        for code in codes
    }


COMMON_ERRORS = problem_responses(400, 401, 404, 409, 413, 422, 429)


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    field: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Return a problem-details answer."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if field:
        body["field"] = field
    if errors:
        body["errors"] = errors
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


async def _hpcsim_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HpcsimError)
    status, title = 500, "Internal error"
    for kind, code, name in STATUS_OF:
        if isinstance(error, kind):
            status, title = code, name
            break
    if isinstance(error, RateLimited):
        return problem(
            429,
            "Too many requests",
            error.message,
            headers={"Retry-After": str(error.retry_after)},
        )
    if status >= 500:
        logger.error("%s %s: %s", request.method, request.url.path, error.message)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    errors = [{"field": error.field, "message": error.message}] if error.field else None
    return problem(
        status, title, error.message, field=error.field, errors=errors, headers=headers
    )


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"field": _location(item["loc"]), "message": item["msg"]}
        for item in error.errors()
    ]
    first = errors[0] if errors else {"field": "body", "message": "invalid request"}
    return problem(
        422,
        "Invalid field",
        f"{first['field']}: {first['message']}",
        field=first["field"],
        errors=errors,
    )


def _location(loc: tuple[Any, ...]) -> str:
    """Name a field by its path, without list indexes; `body` for the whole."""
    names = [str(part) for part in loc[1:] if isinstance(part, str)]
    return ".".join(names) or "body"


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    return problem(
        error.status_code,
        str(error.detail) if error.status_code < 500 else "Internal error",
        str(error.detail),
        headers=dict(error.headers) if error.headers else None,
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.exception("%s %s: unexpected error", request.method, request.url.path)
    return problem(500, "Internal error", "an unexpected error happened; see the logs")


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem answer."""
    app.add_exception_handler(HpcsimError, _hpcsim_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
