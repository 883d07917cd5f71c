"""What the routes share: settings, sessions, templates, the cipher, the worker."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hpcsim.lifecycle.executions import RunDefaults
from hpcsim.lifecycle.worker import Worker
from hpcsim.security.ssh_keys import KeyCipher
from hpcsim.settings import Settings
from hpcsim.workflows.repository import TemplateRepository


@dataclass
class AppContext:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    templates: TemplateRepository
    cipher: KeyCipher
    worker: Worker | None

    @property
    def jwt_secret(self) -> str:
        return self.settings.jwt_secret.get_secret_value()

    @property
    def run_defaults(self) -> RunDefaults:
        return RunDefaults(
            workflow=self.settings.default_workflow,
            max_attempts=self.settings.max_attempts,
        )

    def wake_worker(self) -> None:
        if self.worker is not None:
            self.worker.wake()
