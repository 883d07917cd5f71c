"""Users, API tokens, machines and SSH keys: what a user owns and proves."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hpcsim.cluster.ssh_pool import fetch_host_key, trusted_host_keys
from hpcsim.errors import Conflict, InvalidInput, NotFound, Unauthorized
from hpcsim.security import passwords, tokens
from hpcsim.security.ssh_keys import KeyCipher, KeyPair
from hpcsim.storage import repositories as repo
from hpcsim.storage.models import ApiToken, Machine, SshKey, User, utcnow

logger = logging.getLogger(__name__)

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_LOGIN = re.compile(r"[a-z_][a-z0-9_.-]{0,31}")
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]|[0-9A-Fa-f:.]{2,45}")
_WORKDIR = re.compile(r"/[A-Za-z0-9_./-]{0,254}")
LAST_USE_PRECISION = timedelta(seconds=60)


def check_name(value: str, field: str) -> str:
    """Return a name of a user, machine, key or token if it is a plain one."""
    if not _NAME.fullmatch(value):
        raise InvalidInput(
            f"{field} must be 1 to 64 of letters, digits, _ . and -, starting with a "
            "letter or digit",
            field=field,
        )
    return value


async def add_user(
    session: AsyncSession, name: str, password: str, *, admin: bool = False
) -> User:
    """Create a user with an argon2 password hash."""
    check_name(name, "name")
    if len(password) < 8:
        raise InvalidInput("password must be at least 8 characters", field="password")
    if await repo.user_by_name(session, name):
        raise Conflict(f"user {name} exists already", field="name")
    user = User(
        name=name, password_hash=passwords.hash_password(password), is_admin=admin
    )
    session.add(user)
    await session.flush()
    return user


async def set_active(session: AsyncSession, name: str, active: bool) -> User:
    """Enable or disable a user; a disabled user's tokens stop working at once."""
    user = await repo.user_by_name(session, name)
    if user is None:
        raise NotFound(f"no user {name}", field="name")
    user.is_active = active
    return user


async def delete_user(session: AsyncSession, name: str) -> None:
    """Delete a user with everything the user owns in the service."""
    user = await repo.user_by_name(session, name)
    if user is None:
        raise NotFound(f"no user {name}", field="name")
    await session.delete(user)


async def login(session: AsyncSession, name: str, password: str) -> User:
    """Return the user a name and password prove; the same work for unknown names."""
    user = await repo.user_by_name(session, name)
    valid = passwords.verify_password(password, user.password_hash if user else None)
    if user is None or not valid or not user.is_active:
        raise Unauthorized("wrong user name or password")
    return user


@dataclass(frozen=True)
class NewToken:
    record: ApiToken
    token: str


async def create_token(
    session: AsyncSession, secret: str, user: User, name: str, days: int
) -> NewToken:
    """Issue an API token; only its digest is stored, the token is shown once."""
    check_name(name, "name")
    issued = tokens.issue_token(secret, user.id, timedelta(days=days))
    record = ApiToken(
        jti=issued.jti,
        user_id=user.id,
        name=name,
        digest=issued.digest,
        created_at=issued.issued_at,
        expires_at=issued.expires_at,
    )
    session.add(record)
    await session.flush()
    return NewToken(record, issued.token)


@dataclass(frozen=True)
class Caller:
    user: User
    token_id: int


async def authenticate(session: AsyncSession, secret: str, token: str) -> Caller:
    """Return the user of a valid, unrevoked token of an active user."""
    claims = tokens.decode_token(secret, token)
    record = await repo.token_by_jti(session, claims.jti)
    digest = tokens.token_digest(secret, token)
    if (
        record is None
        or not tokens.digests_match(record.digest, digest)
        or record.user_id != claims.user_id
        or record.revoked_at is not None
    ):
        raise Unauthorized("the API token is not valid")

    user = await session.get(User, record.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("the API token is not valid")
    now = utcnow()
    if record.last_used_at is None or now - record.last_used_at > LAST_USE_PRECISION:
        record.last_used_at = now
    return Caller(user, record.id)


async def revoke_token(session: AsyncSession, user: User, token_id: int) -> None:
    record = await session.get(ApiToken, token_id)
    if record is None or record.user_id != user.id:
        raise NotFound(f"no token {token_id}")
    record.revoked_at = record.revoked_at or utcnow()


@dataclass(frozen=True)
class MachineSpec:
    name: str
    host: str
    port: int
    login: str
    workdir: str
    scheduler: str = "slurm"
    max_nodes: int = 1
    checkpoint_lead: int = 60
    host_keys: str | None = None


def check_machine(spec: MachineSpec) -> None:
    """Check each field of a machine; every one of them ends up in a command."""
    check_name(spec.name, "name")
    if not _HOST.fullmatch(spec.host) or spec.host.startswith("-"):
        raise InvalidInput("host must be a host name or an IP address", field="host")
    if not 1 <= spec.port <= 65535:
        raise InvalidInput("port must be from 1 to 65535", field="port")
    if not _LOGIN.fullmatch(spec.login):
        raise InvalidInput(
            "login must be a Unix user name: lowercase letters, digits, _ . -",
            field="login",
        )
    if not _WORKDIR.fullmatch(spec.workdir) or "/../" in f"{spec.workdir}/":
        raise InvalidInput(
            "workdir must be an absolute path of letters, digits, _ . / and -, "
            "without ..",
            field="workdir",
        )
    if spec.scheduler != "slurm":
        raise InvalidInput("scheduler must be slurm", field="scheduler")
    if not 1 <= spec.max_nodes <= 100_000:
        raise InvalidInput("max_nodes must be from 1 to 100000", field="max_nodes")
    if not 0 <= spec.checkpoint_lead <= 3600:
        raise InvalidInput(
            "checkpoint_lead must be from 0 to 3600 seconds", field="checkpoint_lead"
        )


async def add_machine(session: AsyncSession, owner: User, spec: MachineSpec) -> Machine:
    """Register a machine and record its host key (given, or read from the host)."""
    check_machine(spec)
    if await repo.machine_by_name(session, owner.id, spec.name):
        raise Conflict(f"machine {spec.name} exists already", field="name")
    host_keys = await _host_keys(spec)

    machine = Machine(
        owner_id=owner.id,
        name=spec.name,
        host=spec.host,
        port=spec.port,
        login=spec.login,
        workdir=spec.workdir.rstrip("/") or "/",
        scheduler=spec.scheduler,
        max_nodes=spec.max_nodes,
        checkpoint_lead=spec.checkpoint_lead,
        host_keys=host_keys,
    )
    session.add(machine)
    await session.flush()
    return machine


async def _host_keys(spec: MachineSpec) -> str:
    if spec.host_keys:
        host = spec.host.strip("[]")
        try:
            keys = trusted_host_keys(spec.host_keys, host, spec.port)
        except ValueError as error:
            raise InvalidInput(
                "host_keys must be OpenSSH public key lines or known_hosts lines",
                field="host_keys",
            ) from error
        if not keys:
            raise InvalidInput(
                f"host_keys holds no key for {host} port {spec.port}",
                field="host_keys",
            )
        return "\n".join(key.export_public_key().decode().strip() for key in keys)
    key = await fetch_host_key(spec.host.strip("[]"), spec.port)
    logger.info(
        "machine %s: recorded host key %s", spec.name, key.get_fingerprint("sha256")
    )
    return str(key.export_public_key().decode().strip())


async def find_machine(
    session: AsyncSession, owner: User, choice: str, field: str = "MachineChoice"
) -> Machine:
    """Return the machine a `MachineChoice` names: its name, or `login@host`."""
    machine = await repo.machine_by_name(session, owner.id, choice)
    if machine is None and "@" in choice:
        login_name, _, host = choice.partition("@")
        machine = await repo.machine_by_login(session, owner.id, login_name, host)
    if machine is None:
        raise NotFound(f"no machine {choice!r}", field=field)
    return machine


async def remove_machine(session: AsyncSession, owner: User, name: str) -> None:
    machine = await find_machine(session, owner, name, field="name")
    await _delete_unused(
        session, machine, f"machine {name} still has executions; delete them first"
    )


async def _delete_unused(session: AsyncSession, row: object, in_use: str) -> None:
    """Delete a row that executions may still point to; refuse if they do."""
    await session.delete(row)
    try:
        await session.flush()
    except IntegrityError as error:
        raise Conflict(in_use) from error


@dataclass(frozen=True)
class NewKey:
    record: SshKey
    sec_token: str


async def store_key(
    session: AsyncSession,
    cipher: KeyCipher,
    owner: User,
    machine: Machine,
    name: str,
    pair: KeyPair,
) -> NewKey:
    """Store a key pair encrypted; return it with its new SecToken, shown once."""
    check_name(name, "name")
    sec_token = tokens.new_sec_token()
    record = SshKey(
        owner_id=owner.id,
        machine_id=machine.id,
        name=name,
        sec_token_digest=tokens.sec_token_digest(sec_token),
        public_key=pair.public_openssh,
        fingerprint=pair.fingerprint,
        private_key_encrypted=b"",
        kek_id=cipher.kek_id,
    )
    session.add(record)
    await session.flush()
    record.private_key_encrypted = cipher.encrypt(
        pair.private_openssh, key_context(record)
    )
    return NewKey(record, sec_token)


def key_context(key: SshKey) -> str:
    """Return what an encrypted key is bound to: its row, owner and machine."""
    return f"ssh-key:{key.id}:{key.owner_id}:{key.machine_id}"


async def find_key(
    session: AsyncSession, owner: User, machine: Machine, sec_token: str
) -> SshKey:
    """Return the key a SecToken names, only for its owner and its machine."""
    key = await repo.key_by_sec_token(session, tokens.sec_token_digest(sec_token))
    if key is None or key.owner_id != owner.id or key.machine_id != machine.id:
        raise NotFound(
            f"SecToken names no key of yours for machine {machine.name}",
            field="SecToken",
        )
    return key


async def remove_key(session: AsyncSession, owner: User, key_id: int) -> None:
    key = await session.get(SshKey, key_id)
    if key is None or key.owner_id != owner.id:
        raise NotFound(f"no key {key_id}")
    await _delete_unused(
        session, key, f"key {key_id} is used by executions; delete them first"
    )


async def list_keys(session: AsyncSession, owner: User) -> Sequence[SshKey]:
    return await repo.keys_of(session, owner.id)


async def rotate_keys(session: AsyncSession, cipher: KeyCipher) -> int:
    """Encrypt every SSH key under the current KEK; return how many changed.

    One transaction: a key that no known KEK decrypts stops the whole rotation
    and nothing is changed.
    """
    changed = 0
    for key in await repo.all_keys(session):
        if key.kek_id == cipher.kek_id:
            continue
        context = key_context(key)
        plaintext = cipher.decrypt(key.private_key_encrypted, context, key.kek_id)
        key.private_key_encrypted = cipher.encrypt(plaintext, context)
        key.kek_id = cipher.kek_id
        changed += 1
    return changed
