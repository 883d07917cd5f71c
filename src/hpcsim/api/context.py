"""What the routes share: settings, sessions, templates, the cipher, the worker."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hpcsim.lifecycle.executions import RunDefaults
from hpcsim.lifecycle.worker import Worker
from hpcsim.security.rate_limit import RateLimiter
from hpcsim.security.ssh_keys import KeyCipher
from hpcsim.settings import Settings
from hpcsim.workflows.repository import TemplateRepository


@dataclass
class Limits:
    """The rate limiters of one service process."""

    login: RateLimiter
    requests: RateLimiter
    submissions: RateLimiter

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            login=RateLimiter("logins", settings.rate_login_per_minute),
            requests=RateLimiter("requests", settings.rate_requests_per_minute),
            submissions=RateLimiter(
                "submissions", settings.rate_submissions_per_minute
            ),
        )


@dataclass
class AppContext:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    templates: TemplateRepository
    cipher: KeyCipher
    worker: Worker | None
    limits: Limits

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
