"""The app factory: builds the API from settings; its lifespan runs the worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from hpcsim import __version__
from hpcsim.api import problems
from hpcsim.api.audit import AuditMiddleware
from hpcsim.api.context import AppContext, Limits
from hpcsim.api.limits import BodyLimit
from hpcsim.api.routes import accounts, admin, simulations
from hpcsim.cluster.ssh_pool import PoolLimits, SshPool
from hpcsim.lifecycle.lease import Lease
from hpcsim.lifecycle.worker import Worker, WorkerConfig
from hpcsim.settings import Settings
from hpcsim.storage.db import create_engine, session_factory, upgrade_schema_async
from hpcsim.workflows.repository import TemplateRepository

logger = logging.getLogger(__name__)

DESCRIPTION = """
Run simulation workflows on Slurm clusters over SSH.

Authenticate with `Authorization: Bearer <token>` (`Token <token>` works too).
Errors are problem details (RFC 9457) whose `field` names the offending field.
"""


def create_app(settings: Settings, *, run_worker: bool = True) -> FastAPI:
    """Build the application; with `run_worker` its lifespan runs the worker."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = settings.effective_database_url
        await upgrade_schema_async(url)
        engine = create_engine(url)
        pool = SshPool(
            PoolLimits(
                connect_timeout=settings.ssh_connect_timeout,
                command_timeout=settings.ssh_command_timeout,
                max_channels=settings.ssh_max_channels,
            )
        )
        sessions = session_factory(engine)
        templates = TemplateRepository(settings.templates_repo, settings.data_dir)
        cipher = settings.key_cipher()
        lease = Lease(sessions, settings.lease_seconds)
        config = worker_config(settings)
        worker = Worker(sessions, pool, templates, cipher, config, lease)
        app.state.context = AppContext(
            settings,
            sessions,
            templates,
            cipher,
            worker if run_worker else None,
            Limits.from_settings(settings),
        )
        task = asyncio.create_task(worker.run()) if run_worker else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await pool.close()
            await engine.dispose()

    app = FastAPI(
        title="hpcsim",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        redirect_slashes=False,
    )
    problems.install(app)
    app.add_middleware(AuditMiddleware)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.include_router(simulations.router)
    app.include_router(accounts.router)
    app.include_router(admin.router)

    @app.get("/health", tags=["service"])
    async def health() -> dict[str, str]:
        """Tell that the service answers."""
        return {"status": "ok"}

    return app


def worker_config(settings: Settings) -> WorkerConfig:
    return WorkerConfig(
        poll_interval=settings.poll_interval,
        fast_poll_interval=settings.fast_poll_interval,
        vanished_polls=settings.vanished_polls,
        submit_timeout=settings.submit_timeout,
        crash_test_pause=settings.crash_test_pause,
    )
