"""The exception tree of hpcsim.

    HpcsimError                 message for users, `transient` flag
    ├── InvalidInput            a field is wrong (422), names the field
    ├── NotFound                no such thing for this user (404)
    ├── Conflict                not allowed in the current status (409)
    ├── Unauthorized            no valid credentials (401)
    ├── Forbidden               an admin's call by someone else (403)
    ├── TooLarge                an upload is over its limit (413)
    ├── TemplateError           a workflow template is broken (422)
    └── ClusterError            talking to a cluster failed
        ├── ConnectionFailed    SSH could not connect or timed out (transient)
        ├── HostKeyMismatch     the host key is not the recorded one
        ├── CommandFailed       a command exited non-zero
        ├── SchedulerUnavailable the scheduler did not answer (transient)
        └── SubmissionRejected  the scheduler refused a job

Lower layers (asyncssh, SQLAlchemy, git) are translated into these at the boundary
with `raise ... from`, and `hpcsim.api.problems` maps them to HTTP answers.
"""

from __future__ import annotations


class HpcsimError(Exception):
    """Base of every error hpcsim raises on purpose."""

    transient = False

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(HpcsimError):
    """A value given by a user is not allowed."""


class NotFound(HpcsimError):
    """The thing does not exist, or belongs to someone else."""


class Conflict(HpcsimError):
    """The action is not allowed in the current state."""


class Unauthorized(HpcsimError):
    """Credentials are missing or not valid."""


class Forbidden(HpcsimError):
    """The caller is known but may not do this."""


class TooLarge(HpcsimError):
    """An upload is larger than allowed."""


class TemplateError(HpcsimError):
    """A workflow template cannot be used."""


class ClusterError(HpcsimError):
    """Something went wrong talking to a cluster."""


class ConnectionFailed(ClusterError):
    """The SSH connection could not be opened or was lost."""

    transient = True


class HostKeyMismatch(ClusterError):
    """The cluster presented a host key other than the recorded one."""


class CommandFailed(ClusterError):
    """A command on the cluster exited with a non-zero status."""

    def __init__(self, message: str, *, exit_status: int, stderr: str) -> None:
        super().__init__(message)
        self.exit_status = exit_status
        self.stderr = stderr


class SchedulerUnavailable(ClusterError):
    """The scheduler's controller could not be reached; asking later may work."""

    transient = True


class SubmissionRejected(ClusterError):
    """The scheduler refused the job; retrying the same job will not help."""
