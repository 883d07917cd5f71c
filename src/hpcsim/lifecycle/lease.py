"""A lease in the database: one service process at a time runs the worker.

Every replica tries to take or renew the lease before each cycle. The holder
renews it every cycle; when it dies, another replica takes the lease once it has
expired, so takeover happens within the lease's duration plus one poll interval.

Shortcoming: a holder that stalls for longer than the lease (a cycle blocked on
slow SSH commands) may overlap with its successor for one cycle; submissions stay
single because each attempt is claimed with a compare-and-set on its phase.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta

from sqlalchemy import case, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hpcsim.storage.models import WorkerLease, utcnow

logger = logging.getLogger(__name__)

LEASE_NAME = "worker"


def holder_name() -> str:
    """Return a name for this process that no other process shares."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """Takes, renews and releases the worker lease for one process."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], seconds: float
    ) -> None:
        self._sessions = sessions
        self._duration = timedelta(seconds=seconds)
        self.holder = holder_name()
        self.held = False

    async def acquire(self) -> bool:
        """Take or renew the lease; return whether this process holds it now."""
        now = utcnow()
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(WorkerLease)
                .where(WorkerLease.name == LEASE_NAME)
                .where(
                    (WorkerLease.holder == self.holder) | (WorkerLease.expires_at < now)
                )
                .values(
                    holder=self.holder,
                    expires_at=now + self._duration,
                    acquired_at=case(
                        (WorkerLease.holder == self.holder, WorkerLease.acquired_at),
                        else_=now,
                    ),
                )
                .execution_options(synchronize_session=False)
            )
            held: bool = result.rowcount == 1  # type: ignore[attr-defined]
        if not held:
            held = await self._create()
        self._note(held)
        return held

    async def _create(self) -> bool:
        try:
            async with self._sessions() as session, session.begin():
                await session.execute(
                    insert(WorkerLease).values(
                        name=LEASE_NAME,
                        holder=self.holder,
                        expires_at=utcnow() + self._duration,
                        acquired_at=utcnow(),
                    )
                )
        except IntegrityError:
            return False
        return True

    def _note(self, held: bool) -> None:
        if held and not self.held:
            logger.info("worker lease: taken by %s", self.holder)
        elif self.held and not held:
            logger.warning("worker lease: lost by %s", self.holder)
        self.held = held

    async def release(self) -> None:
        """Give the lease up at once, so another process need not wait it out."""
        if not self.held:
            return
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(WorkerLease)
                .where(WorkerLease.name == LEASE_NAME)
                .where(WorkerLease.holder == self.holder)
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
        self.held = False
        logger.info("worker lease: released by %s", self.holder)
