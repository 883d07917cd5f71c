"""The service's settings: one typed object read from `HPCSIM_*` variables."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hpcsim.security.ssh_keys import KeyCipher

DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-in-production"  # noqa: S105
DEV_KEK = "dev-only-key-encryption-key-change-me"
PLACEHOLDERS = {DEV_JWT_SECRET, DEV_KEK, "", "changeme", "change-me", "secret"}


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="HPCSIM_", env_file=".env", extra="ignore"
    )

    environment: Environment = Field(
        Environment.DEVELOPMENT,
        description="`production` refuses placeholder secrets and plain HTTP.",
    )
    data_dir: Path = Field(
        Path("var"),
        description="Folder for the SQLite database and the service's own files.",
    )
    database_url: str = Field(
        "",
        description=(
            "SQLAlchemy URL of the database. Empty means SQLite in data_dir "
            "(`sqlite+aiosqlite:///<data_dir>/hpcsim.db`)."
        ),
    )
    jwt_secret: SecretStr = Field(
        SecretStr(DEV_JWT_SECRET),
        description="HMAC key that signs API tokens (HS256). At least 32 characters.",
    )
    key_encryption_key: SecretStr = Field(
        SecretStr(DEV_KEK),
        description="Secret from which the key that encrypts SSH private keys derives.",
    )
    previous_key_encryption_keys: list[SecretStr] = Field(
        default_factory=list,
        description="Former KEKs (a JSON list), kept while `hpcsim key rotate` "
        "encrypts every SSH key under the current one.",
    )
    token_days: int = Field(
        90, ge=1, le=3650, description="Default lifetime of a new API token, in days."
    )
    templates_repo: str = Field(
        "var/templates.git",
        description="Path or URL of the git repository holding the workflow templates.",
    )
    default_workflow: str = Field(
        "lammps-melt", description="Template run when a request names none."
    )
    poll_interval: float = Field(
        10.0, gt=0, description="Seconds between two scheduler queries of the worker."
    )
    fast_poll_interval: float = Field(
        2.0,
        gt=0,
        description="Seconds between scheduler queries right after a submission.",
    )
    ssh_connect_timeout: float = Field(
        15.0, gt=0, description="Seconds allowed to open an SSH connection."
    )
    ssh_command_timeout: float = Field(
        120.0, gt=0, description="Seconds allowed for one command on a cluster."
    )
    ssh_max_channels: int = Field(
        8, ge=1, le=64, description="Concurrent commands on one SSH connection."
    )
    max_attempts: int = Field(
        5, ge=1, le=100, description="Default ceiling on attempts of one execution."
    )
    vanished_polls: int = Field(
        3,
        ge=1,
        description="Polls that must miss a job before it counts as lost.",
    )
    submit_timeout: float = Field(
        3600.0,
        gt=0,
        description="Seconds a submission waits for an unreachable cluster before "
        "the execution fails.",
    )
    lease_seconds: float = Field(
        30.0,
        gt=0,
        description="Lifetime of the worker lease; another replica takes over "
        "this long after the holder dies.",
    )
    behind_proxy: bool = Field(
        False,
        description="A reverse proxy terminates TLS in front of the service; "
        "production refuses to serve plain HTTP without this or a certificate.",
    )
    rate_login_per_minute: int = Field(
        10, ge=0, description="Password logins per user and address a minute; 0: none."
    )
    rate_requests_per_minute: int = Field(
        600, ge=0, description="Authenticated calls per user a minute; 0: no limit."
    )
    rate_submissions_per_minute: int = Field(
        60, ge=0, description="Run calls per user a minute; 0: no limit."
    )
    crash_test_pause: float = Field(
        0.0,
        ge=0,
        description="Testing only: seconds the worker waits between sbatch and "
        "recording the job id, so that a crash test can kill it there. Keep 0; "
        "production refuses anything else.",
    )
    max_upload_bytes: int = Field(
        1_000_000, ge=1024, description="Largest accepted workflow description file."
    )
    max_request_bytes: int = Field(
        2_000_000,
        ge=4096,
        description="Largest accepted request body; larger ones get 413 unread.",
    )

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.environment is Environment.PRODUCTION and self.crash_test_pause:
            raise ValueError("HPCSIM_CRASH_TEST_PAUSE must be 0 in production")
        if self.environment is Environment.PRODUCTION:
            for name in ("jwt_secret", "key_encryption_key"):
                value = getattr(self, name).get_secret_value()
                if value in PLACEHOLDERS or len(value) < 32:
                    raise ValueError(
                        f"HPCSIM_{name.upper()} must be set to a real secret of at "
                        "least 32 characters in production"
                    )
        return self

    def key_cipher(self) -> KeyCipher:
        """Return the cipher of SSH private keys, knowing the previous KEKs too."""
        previous = [kek.get_secret_value() for kek in self.previous_key_encryption_keys]
        return KeyCipher(self.key_encryption_key.get_secret_value(), previous)

    @property
    def effective_database_url(self) -> str:
        """Return the database URL, defaulting to SQLite in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir.resolve() / 'hpcsim.db'}"


@lru_cache
def get_settings() -> Settings:
    """Return the settings of this process, read once."""
    return Settings()
