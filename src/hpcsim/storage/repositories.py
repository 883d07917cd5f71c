"""Small data-access functions; each takes the session it works in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hpcsim.storage.models import (
    ApiToken,
    Attempt,
    AuditEvent,
    Execution,
    Machine,
    SshKey,
    StagedTemplate,
    StatusChange,
    User,
    utcnow,
)


async def audit_events(
    session: AsyncSession, limit: int, user_name: str | None, action: str | None
) -> Sequence[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if user_name:
        query = query.where(AuditEvent.user_name == user_name)
    if action:
        query = query.where(AuditEvent.action == action)
    return (await session.scalars(query)).all()


async def user_by_name(session: AsyncSession, name: str) -> User | None:
    return await session.scalar(select(User).where(User.name == name))


async def token_by_jti(session: AsyncSession, jti: str) -> ApiToken | None:
    return await session.scalar(select(ApiToken).where(ApiToken.jti == jti))


async def tokens_of(session: AsyncSession, user_id: int) -> Sequence[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    return (await session.scalars(query)).all()


async def machines_of(session: AsyncSession, user_id: int) -> Sequence[Machine]:
    query = select(Machine).where(Machine.owner_id == user_id).order_by(Machine.name)
    return (await session.scalars(query)).all()


async def machine_by_name(
    session: AsyncSession, user_id: int, name: str
) -> Machine | None:
    query = select(Machine).where(Machine.owner_id == user_id, Machine.name == name)
    return await session.scalar(query)


async def machine_by_login(
    session: AsyncSession, user_id: int, login: str, host: str
) -> Machine | None:
    query = select(Machine).where(
        Machine.owner_id == user_id, Machine.login == login, Machine.host == host
    )
    return await session.scalar(query.order_by(Machine.id).limit(1))


async def key_by_sec_token(session: AsyncSession, digest: str) -> SshKey | None:
    return await session.scalar(select(SshKey).where(SshKey.sec_token_digest == digest))


async def all_keys(session: AsyncSession) -> Sequence[SshKey]:
    return (await session.scalars(select(SshKey).order_by(SshKey.id))).all()


async def keys_of(session: AsyncSession, user_id: int) -> Sequence[SshKey]:
    query = select(SshKey).where(SshKey.owner_id == user_id).order_by(SshKey.id)
    return (await session.scalars(query)).all()


async def execution_of(
    session: AsyncSession, user_id: int, execution_id: str
) -> Execution | None:
    """Return a user's execution, None when missing, foreign or being deleted."""
    query = select(Execution).where(
        Execution.id == execution_id,
        Execution.owner_id == user_id,
        Execution.delete_requested.is_(False),
    )
    return await session.scalar(query)


async def executions_of(session: AsyncSession, user_id: int) -> Sequence[Execution]:
    query = (
        select(Execution)
        .where(Execution.owner_id == user_id, Execution.delete_requested.is_(False))
        .order_by(Execution.created_at.desc())
    )
    return (await session.scalars(query)).all()


async def attempts_in_phase(
    session: AsyncSession, phases: Sequence[str]
) -> Sequence[Attempt]:
    query = select(Attempt).where(Attempt.phase.in_(phases)).order_by(Attempt.id)
    return (await session.scalars(query)).all()


async def executions_to_delete(session: AsyncSession) -> Sequence[Execution]:
    query = select(Execution).where(Execution.delete_requested.is_(True))
    return (await session.scalars(query)).all()


async def is_staged(session: AsyncSession, machine_id: int, commit: str) -> bool:
    query = select(StagedTemplate.id).where(
        StagedTemplate.machine_id == machine_id, StagedTemplate.commit == commit
    )
    return await session.scalar(query) is not None


async def status_changes(
    session: AsyncSession, execution_id: str
) -> Sequence[StatusChange]:
    query = (
        select(StatusChange)
        .where(StatusChange.execution_id == execution_id)
        .order_by(StatusChange.id)
    )
    return (await session.scalars(query)).all()


def record_status(
    session: AsyncSession,
    execution: Execution,
    status: str,
    reason: str | None,
    at: datetime | None = None,
) -> None:
    """Set an execution's status and keep the change with its time and reason."""
    session.add(
        StatusChange(
            execution_id=execution.id,
            attempt=execution.attempt,
            at=at or utcnow(),
            from_status=execution.status,
            to_status=status,
            reason=reason,
        )
    )
    execution.status = status
    execution.reason = reason


def record_creation(session: AsyncSession, execution: Execution, reason: str) -> None:
    """Keep the first status of a new execution, which was flushed already."""
    session.add(
        StatusChange(
            execution_id=execution.id,
            attempt=execution.attempt,
            from_status=None,
            to_status=execution.status,
            reason=reason,
        )
    )
