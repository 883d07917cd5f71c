"""What only admins may read."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel

from hpcsim.api.deps import CurrentUser, Session
from hpcsim.api.problems import COMMON_ERRORS, problem_responses
from hpcsim.errors import Forbidden
from hpcsim.storage import repositories as repo

router = APIRouter(
    prefix="/api/admin",
    tags=["admin"],
    responses={**COMMON_ERRORS, **problem_responses(403)},
)


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    user_id: int | None
    user_name: str | None
    token_id: int | None
    action: str
    target: str | None
    address: str | None
    status: int


@router.get(
    "/audit",
    response_model=list[AuditEventOut],
)
async def read_audit_log(
    session: Session,
    user: CurrentUser,
    limit: int = Query(100, ge=1, le=1000),
    user_name: str | None = Query(None, max_length=64),
    action: str | None = Query(None, max_length=100),
) -> list[AuditEventOut]:
    """Read the audit log, newest first: who did what, with which token, from
    which address, on what, and the answer's status."""
    if not user.is_admin:
        raise Forbidden("only admins read the audit log")
    events = await repo.audit_events(session, limit, user_name, action)
    return [AuditEventOut.model_validate(e, from_attributes=True) for e in events]
